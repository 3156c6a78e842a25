"""Live painting through the real window on the tiny pipeline: paint -> live job -> newest state wins,
Apply commits and saves, undo restores, live off stops every job; region-only updates."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.engine.request import InpaintArea, Mode
from studio.library import Library
from studio.ui.images import from_qimage, to_qimage
from tests.test_ui_window import GEN_TIMEOUT, open_window, qloop, wait_ready  # noqa: F401  (qloop: a fixture)

pytestmark = pytest.mark.filterwarnings("ignore")


def _send(canvas, kind, scene_pt, buttons=Qt.LeftButton):
    vp = canvas.viewport()
    pos = QPointF(canvas.mapFromScene(QPointF(*scene_pt)))
    button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
    held = Qt.NoButton if kind == QEvent.MouseButtonRelease else buttons
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, held, Qt.NoModifier))


def stroke(canvas, points):
    _send(canvas, QEvent.MouseButtonPress, points[0])
    for p in points[1:]:
        _send(canvas, QEvent.MouseMove, p)
    _send(canvas, QEvent.MouseButtonRelease, points[-1])


@pytest.fixture
def window(qtbot, qloop, tiny_sd_dir):  # noqa: F811
    w = open_window(qtbot, tiny_sd_dir)
    wait_ready(qtbot, w)
    w.prompt_editor.set_text("a red circle")
    return w


def _live_on(qtbot, window):
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=GEN_TIMEOUT)  # "ready" can come a moment before
    window.live_panel.live_button.click()  # the panel's toggle (Ctrl+L is the same action)
    assert window.live.enabled and window.live_action.isChecked()
    assert window.paint.painting()  # live arms the brush
    assert window.canvas.current_image() is not None  # an empty canvas became a white picture


def test_painting_starts_a_live_job_and_the_view_follows(qtbot, window):
    _live_on(qtbot, window)
    live, paint = window.live, window.paint
    size = window.canvas.image_size()
    assert (size.width(), size.height()) == (64, 64)  # the tiny model's native size
    qtbot.waitUntil(lambda: live.result is not None, timeout=GEN_TIMEOUT)  # the blank canvas ran once
    first = live.submitted
    paint.settings.set(colour=QColor(0, 0, 255), size=10, hardness=1.0)
    stroke(window.canvas, [(10.0, 30.0), (30.0, 30.0), (50.0, 30.0)])
    qtbot.waitUntil(lambda: live.submitted > first, timeout=1000)  # painting started a live job
    job = live.live_jobs()[-1].job
    assert job.live and job.request.mode is Mode.IMG2IMG and job.request.seed == live.settings.seed
    init = job.request.init_image
    assert tuple(init[30, 30]) == (0, 0, 255) and tuple(init[5, 5]) == (255, 255, 255)  # image + paint
    assert job.request.steps == live.settings.request_steps()
    with qtbot.waitSignal(live.result_ready, timeout=GEN_TIMEOUT):
        pass
    qtbot.waitUntil(lambda: not live.live_jobs(), timeout=GEN_TIMEOUT)
    assert np.array_equal(live._result_source, paint.composite())
    assert live.result.shape == (64, 64, 3)
    assert window.live_panel.view.frames_shown >= 2 and live.frames  # previews and the result reached the screen
    assert window.live_panel.apply_button.isEnabled()
    assert window.gen.queue.waiting() == []  # live jobs are not the user's queue
    with Library.open() as lib:
        assert lib.list() == []  # live updates are not saved until applied
    # over the canvas: the frame is see-through (the strokes under it stay visible), its opacity a slider
    panel = window.live_panel
    assert not panel.overlay_opacity.isEnabled()
    panel.placement.setCurrentIndex(panel.placement.findData("over"))
    assert panel.view.overlay.isVisible() and panel.overlay_opacity.isEnabled()
    assert 0.1 <= panel.view.overlay.opacity() < 1.0
    panel.overlay_opacity.setValue(40)
    assert panel.view.overlay.opacity() == pytest.approx(0.4)
    panel.placement.setCurrentIndex(panel.placement.findData("beside"))
    assert not panel.view.overlay.isVisible() and not panel.overlay_opacity.isEnabled()


def test_a_second_stroke_cancels_the_running_job_and_the_newest_state_wins(qtbot, window):
    window.live_panel.steps.setValue(16)  # long enough jobs to paint into
    window.live_panel.strength.setValue(1.0)
    _live_on(qtbot, window)
    live, paint = window.live, window.paint
    qtbot.waitUntil(lambda: live.result is not None, timeout=GEN_TIMEOUT)
    paint.settings.set(colour=QColor(255, 0, 0), size=8)
    submitted = live.submitted
    stroke(window.canvas, [(8.0, 10.0), (56.0, 10.0)])
    qtbot.waitUntil(lambda: live.submitted > submitted, timeout=1000)
    first = live.live_jobs()[-1]
    qtbot.waitUntil(lambda: first.shown, timeout=GEN_TIMEOUT)  # running, one preview on screen
    assert first.job.state == "running"
    paint.settings.set(colour=QColor(0, 200, 0))
    for y in (40.0, 44.0, 48.0):  # several changes while it runs: no queue build-up
        stroke(window.canvas, [(8.0, y), (56.0, y)])
        qtbot.wait(20)
        assert len(window.gen.queue.waiting(live=True)) <= 1
    assert (first.job.cancel.is_set() or first.job.cancel.after_frame()) and live.stale_cancelled >= 1
    qtbot.waitUntil(lambda: not live.live_jobs(), timeout=GEN_TIMEOUT)
    newest = paint.composite()
    assert tuple(newest[48, 30]) == (0, 200, 0)
    assert np.array_equal(live._result_source, newest)  # the result shown is of the newest state
    assert live.result_image.request.init_image is not None
    assert np.array_equal(live.result_image.request.init_image, newest)


def test_apply_commits_and_saves_and_undo_restores(qtbot, window):
    _live_on(qtbot, window)
    live, paint, canvas = window.live, window.paint, window.canvas
    before = canvas.current_image()
    paint.settings.set(colour=QColor(0, 0, 255), size=12)
    stroke(canvas, [(20.0, 20.0), (44.0, 44.0)])
    painted = paint.layer.pixels.copy()
    assert painted.any()
    qtbot.waitUntil(lambda: not live.live_jobs() and live.result is not None
                    and np.array_equal(live._result_source, paint.composite()), timeout=GEN_TIMEOUT)
    result = live.result.copy()
    live.set_enabled(False)  # so the applied picture does not start another update mid-test
    window.live_panel.apply_button.click()
    assert np.array_equal(from_qimage(canvas.current_image()), result)
    assert paint.layer.is_empty()  # the paint went into the result
    qtbot.waitUntil(lambda: canvas.current_path() is not None, timeout=20_000)
    with Library.open() as lib:
        entries = lib.list()
    assert len(entries) == 1
    params = entries[0].params
    assert params["mode"] == "img2img" and params["seed"] == live.settings.seed
    assert params["strength"] == live.settings.strength and params["steps"] == live.settings.request_steps()
    assert str(entries[0].path) == canvas.current_path()
    window.undo_action.trigger()  # one step: the picture and the paint come back
    assert canvas.current_image() is before
    assert np.array_equal(paint.layer.pixels, painted)
    window.undo_action.trigger()  # the stroke itself
    assert paint.layer.is_empty()


def test_live_off_stops_all_jobs(qtbot, window, tiny_sd_dir):
    window.live_panel.steps.setValue(16)
    window.live_panel.strength.setValue(1.0)
    assert window.settings.live[str(tiny_sd_dir)]["steps"] == 16  # kept per model
    _live_on(qtbot, window)
    live = window.live
    qtbot.waitUntil(lambda: live.result is not None, timeout=GEN_TIMEOUT)
    stroke(window.canvas, [(10.0, 10.0), (50.0, 50.0)])
    qtbot.waitUntil(lambda: any(e.job.state == "running" for e in live.live_jobs()), timeout=GEN_TIMEOUT)
    jobs = [e.job for e in live.live_jobs()]
    qtbot.keyClick(window.prompt_editor.prompt, Qt.Key_L, Qt.ControlModifier)  # the live toggle's key
    assert not live.enabled and not window.live_panel.live_button.isChecked()
    assert all(j.cancel.is_set() for j in jobs)
    qtbot.waitUntil(lambda: window.gen.queue.running() is None and not live.live_jobs(), timeout=GEN_TIMEOUT)
    submitted = live.submitted
    stroke(window.canvas, [(10.0, 50.0), (50.0, 10.0)])
    qtbot.wait(100)
    assert live.submitted == submitted and window.gen.queue.waiting(live=True) == []


def test_small_change_on_a_big_picture_regenerates_only_its_region(qtbot, window):
    big = np.full((192, 192, 3), 230, np.uint8)
    big[:, :96] = (40, 90, 160)
    window.canvas.set_image(to_qimage(big))
    _live_on(qtbot, window)
    live, paint = window.live, window.paint
    qtbot.waitUntil(lambda: live.result is not None and not live.live_jobs(), timeout=GEN_TIMEOUT)
    assert live.result.shape == (192, 192, 3)
    previous = live.result.copy()
    paint.settings.set(colour=QColor(255, 255, 0), size=6)
    submitted = live.submitted
    stroke(window.canvas, [(150.0, 150.0), (160.0, 156.0)])
    qtbot.waitUntil(lambda: live.submitted > submitted, timeout=1000)
    job = live.live_jobs()[-1]
    assert job.box is not None and job.job.request.mode is Mode.INPAINT
    assert job.job.request.inpaint_area is InpaintArea.ONLY_MASKED
    qtbot.waitUntil(lambda: not live.live_jobs(), timeout=GEN_TIMEOUT)
    assert live.result_image.request.mode is Mode.INPAINT
    # far from the stroke the picture is the previous live result, bit for bit
    assert np.array_equal(live.result[:100, :100], previous[:100, :100])
    assert not np.array_equal(live.result[140:170, 140:170], previous[140:170, 140:170])
