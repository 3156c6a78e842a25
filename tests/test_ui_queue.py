"""The job queue model and its panel."""

from __future__ import annotations

from studio.engine.request import GenerationRequest
from studio.ui.job_queue import CANCELLED, DONE, RUNNING, JobQueue
from studio.ui.queue_panel import JOB_ID, QueuePanel


def req(prompt: str) -> GenerationRequest:
    return GenerationRequest(prompt=prompt, steps=5)


def test_queue_order_move_remove_take():
    changes = []
    q = JobQueue(on_change=lambda: changes.append(1))
    a, b, c = (q.add(req(p)) for p in "abc")
    assert [j.id for j in q.waiting()] == [a.id, b.id, c.id]
    assert q.move(c.id, 0)
    assert [j.request.prompt for j in q.waiting()] == ["c", "a", "b"]
    q.reorder([b.id, c.id])
    assert [j.request.prompt for j in q.waiting()] == ["b", "c", "a"]
    assert q.remove(c.id) and c.state == CANCELLED and not q.remove(c.id)
    job = q.take()
    assert job is b and job.state == RUNNING and q.running() is b
    assert q.take() is None  # one at a time
    assert q.cancel_running() is b and b.cancel.is_set()
    q.finish(b, DONE)
    assert q.running() is None and q.take() is a
    assert len(changes) >= 7


def test_clear_cancels_running_and_drops_waiting():
    q = JobQueue()
    first = q.add(req("a"))
    q.add(req("b"))
    q.take()
    q.clear()
    assert first.cancel.is_set() and q.waiting() == []


def test_panel_reorders_removes_and_cancels(qtbot):
    q = JobQueue()
    panel = QueuePanel(q)
    q.on_change = panel.refresh
    qtbot.addWidget(panel)
    jobs = [q.add(req(p)) for p in ("one", "two", "three")]
    running = q.take()
    assert "one" in panel.running_label.text() and panel.cancel_button.isEnabled()
    assert panel.list.count() == 2
    panel.list.setCurrentRow(1)  # "three"
    panel.up_button.click()
    assert [panel.list.item(i).data(JOB_ID) for i in range(2)] == [jobs[2].id, jobs[1].id]
    assert panel.list.currentItem().data(JOB_ID) == jobs[2].id  # selection follows the job
    panel.remove_button.click()
    assert [j.id for j in q.waiting()] == [jobs[1].id]
    with qtbot.waitSignal(panel.cancel_requested):
        panel.cancel_button.click()
    q.finish(running, DONE)
    assert panel.running_label.text() == "Idle" and not panel.cancel_button.isEnabled()
