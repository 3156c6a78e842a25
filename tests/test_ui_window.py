"""The real studio window on a real tiny pipeline: type, Ctrl+Enter, previews, result, cancel, queue, restart.

Everything runs for real: the worker QThread imports the engine, loads the
tiny diffusers pipeline from disk and denoises; the window receives the
signals on the GUI thread; the library writes the gallery files.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
import qasync
from PIL import Image
from PySide6.QtCore import QElapsedTimer, QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication

from studio.engine.metadata import read_metadata
from studio.engine.request import Mode
from studio.library import Library
from studio.settings import Settings
from studio.ui import aio
from studio.ui.main_window import MainWindow
from studio.ui.settings_dialog import SettingsDialog

LOAD_TIMEOUT = 120_000
GEN_TIMEOUT = 120_000


@pytest.fixture
def qloop(qapp):
    """The qasync loop the app runs on, attached to the test's running Qt event loop."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    deadline = time.monotonic() + 10
    while aio.pending() and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.01)
    # not loop.stop(): it calls QApplication.exit(), after which every later
    # QEventLoop.exec() in this process (qtbot.wait...) returns at once
    loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


def open_window(qtbot, model, *, steps: int | None = 6, stage_results: bool = False) -> MainWindow:
    """The real window on ``model``. Staging is off unless asked for: these tests are about what happens
    around a result landing on the canvas (the old behaviour, still a setting); tests/test_ui_staging.py
    drives the staging, which is the app's default."""
    window = MainWindow(model=str(model) if model else None)
    window.settings.stage_results = stage_results
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.start_engine()
    if steps is not None:
        window.params.steps.setValue(steps)
    return window


def wait_ready(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.model_state[0] in ("ready", "error", "none"), timeout=LOAD_TIMEOUT)
    assert window.model_state[0] == "ready", window.model_state


def type_prompt_and_press_ctrl_enter(qtbot, window: MainWindow, text: str) -> None:
    edit = window.prompt_editor.prompt
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return, Qt.ControlModifier)


def gallery_entries() -> list:
    with Library.open() as lib:
        return lib.list()


@pytest.fixture
def window(qtbot, qloop, tiny_sd_dir):
    w = open_window(qtbot, tiny_sd_dir)
    wait_ready(qtbot, w)
    return w


def test_type_prompt_ctrl_enter_previews_then_result_saved(qtbot, window):
    assert "ready" in window.model_label.text()
    previews_before = window.previews_shown
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        type_prompt_and_press_ctrl_enter(qtbot, window, "a red (circle:1.2)")
        # the prompt box kept its text: Ctrl+Enter was the shortcut, not a newline
        assert window.prompt_editor.prompt.toPlainText() == "a red (circle:1.2)"
    # previews arrived step by step and were painted
    assert window.previews_shown - previews_before >= 2
    assert window.preview_latencies, "no preview reached the screen"
    image = window.canvas.current_image()
    assert (image.width(), image.height()) == (64, 64)
    assert window.canvas.image_item.pixmap().width() == 64  # the final image, not a latent preview
    assert window.canvas_panel.progress.format().startswith("Done")
    assert window.last_images[0].request.prompt == "a red (circle:1.2)"
    # saved to the gallery by the worker, and the canvas knows the file
    qtbot.waitUntil(lambda: window.canvas.current_path() is not None, timeout=10_000)
    entries = gallery_entries()
    assert len(entries) == 1 and entries[0].prompt == "a red (circle:1.2)"
    assert str(entries[0].path) == window.canvas.current_path() and entries[0].path.is_file()
    saved = np.asarray(Image.open(entries[0].path).convert("RGB"))
    assert np.array_equal(saved, window.last_images[0].image)
    # the prompt went into the history
    qtbot.waitUntil(lambda: len(window.prompt_editor.history) == 1, timeout=5000)
    # reuse last seed locks the seed of that image
    window.params.reuse_seed.click()
    assert window.params.seed_value() == window.last_images[0].seed
    # Ctrl+C copies the canvas image
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_C, Qt.ControlModifier)
    assert QApplication.clipboard().image().size() == image.size()


def test_cancel_mid_run_stops_within_a_step_and_restores_the_canvas(qtbot, window):
    window.prompt_editor.set_text("first")
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    before = window.canvas.current_image()
    window.params.steps.setValue(150)
    window.prompt_editor.set_text("a long one")
    shown = window.previews_shown
    window.generate()
    qtbot.waitUntil(lambda: window.previews_shown >= shown + 2 and window._running_job is not None, timeout=GEN_TIMEOUT)
    assert window.canvas.image_item.pixmap().width() == 8  # a latent-sized preview is showing
    progress = window.canvas_panel.progress
    assert 0 < progress.value() < progress.maximum() and "step" in progress.format()
    with qtbot.waitSignal(window.gen.worker.job_cancelled, timeout=10_000):
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, Qt.Key_Escape)
    steps_done = progress.value()
    qtbot.waitUntil(lambda: window.canvas_panel.progress_label.text() == "Cancelled", timeout=5000)
    assert steps_done < 150  # stopped at the next step, not after running the rest
    assert window.canvas.current_image() is before
    assert window.canvas.image_item.pixmap().width() == 64  # back to the last image
    assert [e.prompt for e in gallery_entries()] == ["first"]  # nothing decoded or saved


def test_generate_while_running_queues_the_next_job(qtbot, window):
    window.params.steps.setValue(30)
    window.prompt_editor.set_text("one")
    first = window.generate()
    window.params.steps.setValue(4)
    window.prompt_editor.set_text("two")
    second = window.generate()
    qtbot.waitUntil(lambda: window._running_job == first.id, timeout=GEN_TIMEOUT)
    panel = window.queue_panel
    assert panel.list.count() == 1 and "two" in panel.list.item(0).text()
    assert "one" in panel.running_label.text()
    done = []
    window.images_shown.connect(done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=GEN_TIMEOUT)
    assert done == [first.id, second.id]
    qtbot.waitUntil(lambda: len(gallery_entries()) == 2, timeout=10_000)
    assert sorted(e.prompt for e in gallery_entries()) == ["one", "two"]
    # the worker marks the job done once its images are saved
    qtbot.waitUntil(lambda: panel.running_label.text() == "Idle", timeout=10_000)
    assert panel.list.count() == 0 and not panel.cancel_button.isEnabled()


def test_waiting_jobs_can_be_reordered_and_removed(qtbot, window):
    window.params.steps.setValue(40)
    window.prompt_editor.set_text("blocker")
    blocker = window.generate()
    window.params.steps.setValue(3)
    jobs = []
    for p in ("a", "b", "c"):
        window.prompt_editor.set_text(p)
        jobs.append(window.generate())
    qtbot.waitUntil(lambda: window._running_job == blocker.id, timeout=GEN_TIMEOUT)
    window.gen.queue.move(jobs[2].id, 0)  # c first
    window.gen.queue.remove(jobs[1].id)  # b never runs
    done = []
    window.images_shown.connect(done.append)
    window.cancel()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=GEN_TIMEOUT)
    assert done == [jobs[2].id, jobs[0].id]
    qtbot.waitUntil(lambda: len(gallery_entries()) == 2, timeout=10_000)
    assert sorted(e.prompt for e in gallery_entries()) == ["a", "c"]


def test_batch_shows_a_strip_to_choose_from(qtbot, window):
    window.params.batch.setValue(2)
    window.prompt_editor.set_text("two of them")
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    strip = window.canvas_panel.strip
    assert strip.isVisible() and strip.count() == 2
    first = window.canvas.current_image()
    strip.setCurrentRow(1)
    assert window.canvas.current_image() is not first
    assert window.canvas.current_image() is strip.images[1][0]
    qtbot.waitUntil(lambda: strip.images[1][1] is not None, timeout=10_000)
    assert window.canvas.current_path() == strip.images[1][1]
    assert len(gallery_entries()) == 2


def test_dropped_image_becomes_the_init_image(qtbot, window, tmp_path):
    init = np.zeros((48, 80, 3), np.uint8)
    init[:, :40] = (200, 30, 30)
    path = tmp_path / "init.png"
    Image.fromarray(init).save(path)
    window.canvas.image_dropped.emit(str(path))
    qtbot.waitUntil(lambda: window.params.init_image() is not None, timeout=10_000)
    assert window.params.current_mode() is Mode.IMG2IMG
    assert np.array_equal(window.params.init_image(), init)
    assert window.canvas.current_path() == str(path)
    window.params.strength.setValue(50)
    window.prompt_editor.set_text("repaint it")
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    result = window.last_images[0]
    assert result.request.mode is Mode.IMG2IMG and result.request.strength == 0.5
    assert result.image.shape == (48, 80, 3)
    window.canvas.undo_stack.undo()  # Ctrl+Z goes back to the dropped image
    assert window.canvas.current_path() == str(path)


def test_export_keeps_the_metadata(qtbot, window, tmp_path):
    window.prompt_editor.set_text("export me", "ugly")
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    for name in ("copy.png", "copy.jpg"):
        task = window.save_image(str(tmp_path / name))
        qtbot.waitUntil(task.done, timeout=10_000)
        assert task.exception() is None
        md = read_metadata(tmp_path / name)
        assert (md.prompt, md.negative_prompt, md.seed) == ("export me", "ugly", window.last_images[0].seed)


def test_invalid_request_is_reported_not_queued(qtbot, window):
    window.prompt_editor.set_text("")
    assert window.generate() is None
    assert "prompt" in window.messages.text().lower()  # inline, until dismissed
    assert len(window.gen.queue) == 0


def test_restart_restores_layout_parameters_and_gallery(qtbot, qloop, tiny_sd_dir):
    w = open_window(qtbot, tiny_sd_dir, steps=5)
    wait_ready(qtbot, w)
    w.prompt_editor.set_text("kept forever")
    w.params.cfg.setValue(4.5)
    with qtbot.waitSignal(w.images_shown, timeout=GEN_TIMEOUT):
        w.generate()
    qtbot.waitUntil(lambda: w.canvas.current_path() is not None, timeout=10_000)
    w.addDockWidget(Qt.LeftDockWidgetArea, w.queue_dock)  # the user rearranged the docks
    w.gallery_dock.setFloating(True)
    w.close()
    assert not w.gen.thread.isRunning()

    w2 = open_window(qtbot, None, steps=None)  # no --model: the last used model comes back from the settings
    assert w2.dockWidgetArea(w2.queue_dock) == Qt.LeftDockWidgetArea
    assert w2.gallery_dock.isFloating()
    assert w2.params.steps.value() == 5 and w2.params.cfg.value() == 4.5
    assert w2.params.model_spec() == str(tiny_sd_dir)
    wait_ready(qtbot, w2)
    entries = gallery_entries()
    assert [e.prompt for e in entries] == ["kept forever"] and entries[0].path.is_file()
    w2.reset_layout()
    assert w2.dockWidgetArea(w2.queue_dock) == Qt.RightDockWidgetArea and not w2.gallery_dock.isFloating()


def test_a_models_recommended_settings_fill_the_panel_when_chosen_not_over_saved_ones(qtbot, qloop, tiny_sd_dir, tmp_path):
    import shutil

    from studio.engine.model_defaults import ModelDefaults, write_defaults

    recommends = tmp_path / "tiny-recommends"
    shutil.copytree(tiny_sd_dir, recommends)
    write_defaults(recommends, ModelDefaults(cfg_scale=2.5, steps=3, scheduler="Euler"))
    w = open_window(qtbot, tiny_sd_dir, steps=None)  # first launch; this model recommends nothing
    wait_ready(qtbot, w)
    assert (w.params.cfg.value(), w.params.steps.value(), w.params.scheduler.currentText()) == (7.0, 20, "Euler a")
    w.params.set_model_spec(str(recommends))
    w.params.model_chosen.emit(w.params.model_spec())  # the user picks it
    qtbot.waitUntil(lambda: w.params.cfg.value() == 2.5, timeout=LOAD_TIMEOUT)
    assert (w.params.steps.value(), w.params.scheduler.currentText()) == (3, "Euler")
    qtbot.waitUntil(lambda: "recommended settings (CFG 2.5, 3 steps, Euler)" in w.statusBar().currentMessage(), timeout=5000)
    w.prompt_editor.set_text("a blue ring")
    with qtbot.waitSignal(w.images_shown, timeout=GEN_TIMEOUT):
        w.generate()
    assert w.last_images[0].request.cfg_scale == 2.5
    w.params.cfg.setValue(9.0)  # the user's own choice
    w.close()

    w2 = open_window(qtbot, None, steps=None)  # next session: saved settings, same model
    wait_ready(qtbot, w2)
    assert w2.params.model_spec() == str(recommends)
    assert w2.params.cfg.value() == 9.0 and w2.params.steps.value() == 3


def test_no_model_installed_then_pick_a_folder(qtbot, qloop, tiny_sd_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_RESOURCES", str(tmp_path / "no-resources"))  # no starter model
    w = open_window(qtbot, None)
    qtbot.waitUntil(lambda: w.model_state[0] in ("none", "ready", "error"), timeout=LOAD_TIMEOUT)
    assert w.model_state[0] == "none"
    assert "No model installed" in w.model_label.text()
    qtbot.waitUntil(lambda: w.params.model.itemText(0) == "starter (not installed)", timeout=10_000)  # after the scan
    labels = [w.params.model.itemText(i) for i in range(w.params.model.count())]
    assert "Add a model folder…" in labels
    w.params.set_model_spec(str(tiny_sd_dir))
    w.params.model_chosen.emit(w.params.model_spec())
    wait_ready(qtbot, w)
    assert "tiny-sd" in w.model_label.text()


def test_settings_dialog_edits_and_applies(qtbot, window):
    dialog = SettingsDialog(window.settings, window)
    qtbot.addWidget(dialog)
    dialog.preview_every.setValue(3)
    dialog.dtype.setCurrentText("float32")
    new = dialog.result_settings()
    assert (new.preview_every, new.dtype, new.device) == (3, "float32", "auto")
    dialog.preview_every.setValue(2)
    window.apply_settings(dialog.result_settings())
    assert window.settings.preview_every == 2
    assert Settings.load().preview_every == 2

    def reloaded() -> bool:  # a new dtype: the worker made a new engine and reloaded the model
        engine = window.gen.worker.engine
        return engine is not None and (engine.settings.dtype, engine.settings.preview_every) == ("float32", 2)

    qtbot.waitUntil(reloaded, timeout=LOAD_TIMEOUT)
    window.prompt_editor.set_text("fewer previews")
    window.params.steps.setValue(6)
    before = window.previews_shown
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    assert window.previews_shown - before <= 3


def test_gui_never_stalls_during_generation(qtbot, window):
    """A heartbeat on the GUI thread keeps ticking while the worker generates.

    Behaviour only: the GUI thread keeps running its timers during the job. How long
    the longest gap is (target 16 ms) is a figure of ``studio bench --only ui``.
    """
    timer = QElapsedTimer()
    stalls: list[int] = []

    def beat():
        stalls.append(timer.restart())

    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(beat)
    window.params.steps.setValue(40)
    window.prompt_editor.set_text("keep the window alive")
    # windows of earlier tests are deleted now, not in the middle of the measurement
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    qtbot.wait(50)
    timer.start()
    heartbeat.start()
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    heartbeat.stop()
    assert len(stalls) > 20  # 40 steps of denoising did not keep the event loop from running
    print(f"max GUI stall during generation: {max(stalls)} ms over {len(stalls)} beats (a bench figure, not a bound)")


def test_inpaint_through_the_mask_hooks(qtbot, window, tmp_path):
    """Inpaint mode: the mask painted on the canvas goes into the request, previews draw in place."""
    init = np.zeros((64, 64, 3), np.uint8)
    init[..., 2] = 180
    path = tmp_path / "base.png"
    Image.fromarray(init).save(path)
    window.open_image(str(path))
    qtbot.waitUntil(lambda: window.params.init_image() is not None, timeout=10_000)
    assert window.masking is not None and window.mask_dock is not None
    window.params.set_mode(Mode.INPAINT)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    window.masking.load_mask(mask)
    window.prompt_editor.set_text("a yellow square")
    shown = window.previews_shown
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        job = window.generate()
        assert job.request.mode is Mode.INPAINT and np.array_equal(job.request.mask, mask)
        assert window.canvas.image_item.pixmap().width() == 64  # the image stays; previews draw over it
    assert window.previews_shown > shown
    result = window.last_images[0].image
    assert result.shape == (64, 64, 3)
    assert np.array_equal(result[:4], init[:4])  # far from the mask nothing changed
    qtbot.waitUntil(lambda: len(gallery_entries()) == 1, timeout=10_000)


def test_gallery_reuse_and_send_to_canvas_and_clipboard(qtbot, window, tmp_path):
    """The gallery's signals drive the window: reuse parameters, send an image to the canvas."""
    window.gallery.reuse_parameters.emit(
        {"prompt": "from the gallery", "negative_prompt": "no", "steps": 9, "cfg_scale": 3.5, "seed": 42, "scheduler": "DDIM"}
    )
    assert window.prompt_editor.text() == ("from the gallery", "no")
    v = window.params.values()
    assert (v["steps"], v["cfg_scale"], v["seed"], v["scheduler"]) == (9, 3.5, 42, "DDIM")
    img = np.full((40, 56, 3), 120, np.uint8)
    path = tmp_path / "g.png"
    Image.fromarray(img).save(path)
    window.gallery.send_to_canvas.emit(str(path), "inpaint")
    qtbot.waitUntil(lambda: window.params.init_image() is not None, timeout=10_000)
    assert window.params.current_mode() is Mode.INPAINT
    assert window.canvas.current_path() == str(path)
    # paste from the clipboard becomes the init image too
    window.params.clear_init_image()
    QApplication.clipboard().setImage(window.canvas.current_image())
    window.paste_image()
    assert window.params.init_image().shape == (40, 56, 3)


def test_closing_mid_generation_cancels_and_stops_the_thread(qtbot, window):
    window.params.steps.setValue(150)
    window.prompt_editor.set_text("interrupted")
    shown = window.previews_shown
    window.generate()
    qtbot.waitUntil(lambda: window.previews_shown > shown, timeout=GEN_TIMEOUT)
    window.close()
    assert not window.gen.thread.isRunning()  # close() cancelled the job and joined the thread
    assert gallery_entries() == []  # a cancelled job leaves nothing half-written
    from studio import paths

    assert not [p for p in paths.data_dir().rglob("*") if p.name.startswith(".studio-tmp-")]


def test_first_launch_opens_on_the_starter_model_with_a_sample_prompt(qtbot, qloop):
    """What the README's first command shows: the bundled model, a prompt ready for Ctrl+Enter."""
    from studio.engine.models import STARTER_NAME
    from studio.paths import starter_model_dir
    from studio.ui.main_window import STARTER_SAMPLE_PROMPT

    if not (starter_model_dir() / "model_index.json").is_file():
        pytest.skip("starter model not bundled in this checkout")
    window = open_window(qtbot, None, steps=None)
    assert window.prompt_editor.text() == (STARTER_SAMPLE_PROMPT, "")
    wait_ready(qtbot, window)
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=10_000)  # model_loaded follows "ready"
    assert STARTER_NAME in window.model_label.text()
    recommended = window.model_info.defaults.as_params()
    assert recommended.get("cfg_scale") is not None  # the bundled model says which CFG it was tuned for
    qtbot.waitUntil(lambda: window.params.cfg.value() == recommended["cfg_scale"], timeout=10_000)
    window.params.steps.setValue(4)
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.prompt_editor.prompt.setFocus()
        qtbot.keyClick(window.prompt_editor.prompt, Qt.Key_Return, Qt.ControlModifier)
    assert window.last_images[0].request.prompt == STARTER_SAMPLE_PROMPT
    image = window.canvas.current_image()
    assert (image.width(), image.height()) == (128, 128)
