"""From launch to the first picture: recommended settings from the first frame, loading phases, quick quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from studio.engine.model_defaults import ModelDefaults, write_defaults
from studio.ui.app import BENCH_CLOSE_AFTER_ENV, BENCH_READY_ENV, CLOSE_MARK, STARTUP_MARK
from studio.ui.main_window import MainWindow
from test_ui_window import GEN_TIMEOUT, qloop, wait_ready  # noqa: F401  (qloop is a fixture)


@pytest.fixture
def recommending_model(tiny_sd_dir, tmp_path):
    folder = tmp_path / "tiny-recommends"
    shutil.copytree(tiny_sd_dir, folder)
    write_defaults(folder, ModelDefaults(cfg_scale=2.5, steps=3, scheduler="Euler"))
    return folder


def test_recommended_settings_show_from_the_first_frame_and_a_job_queued_while_loading_uses_them(
        qtbot, qloop, recommending_model):
    window = MainWindow(model=str(recommending_model))  # first launch: no saved settings
    qtbot.addWidget(window)
    # before the window is even shown, and long before torch is imported
    assert (window.params.cfg.value(), window.params.steps.value(), window.params.scheduler.currentText()) == (
        2.5, 3, "Euler")
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.start_engine()
    assert window.model_state[0] == "loading"
    qtbot.waitUntil(lambda: "recommended settings" in window.statusBar().currentMessage(), timeout=5000)
    window.statusBar().clearMessage()
    assert window.model_label.isVisible()  # the message did not hide the model's state for good
    window.prompt_editor.set_text("an early one")
    window.prompt_editor.prompt.setFocus()
    qtbot.keyClick(window.prompt_editor.prompt, Qt.Key_Return, Qt.ControlModifier)  # while loading
    assert window._jobs, window.statusBar().currentMessage()
    job_id = next(iter(window._jobs))
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT, check_params_cb=lambda j: j == job_id):
        pass
    request = window.last_images[0].request
    assert (request.cfg_scale, request.steps, request.scheduler) == (2.5, 3, "Euler")
    assert window.params.cfg.value() == 2.5  # the panel still matches the picture
    window.close()


def test_loading_shows_its_phases_then_hides_the_bar(qtbot, qloop, tiny_sd_dir):
    window = MainWindow(model=str(tiny_sd_dir))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_engine()
    wait_ready(qtbot, window)
    qtbot.waitUntil(lambda: window.engine_bar.phase == "ready", timeout=10_000)
    assert window.engine_bar.history == ["importing torch", "importing diffusers", "loading weights", "ready"]
    assert not window.engine_bar.isVisible()
    window.close()


def test_a_broken_model_stops_the_bar_with_the_error(qtbot, qloop, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "model_index.json").write_text("{not json")
    window = MainWindow(model=str(broken))
    qtbot.addWidget(window)
    window.show()
    window.start_engine()
    qtbot.waitUntil(lambda: window.model_state[0] == "error", timeout=120_000)
    assert not window.engine_bar.isVisible()
    window.close()


@pytest.mark.parametrize("close_after", ["0.05", "none"])
def test_closing_the_window_ends_the_process(tiny_sd_dir, studio_home, close_after):
    """Closed while the engine is still loading, or once it is ready: the process ends (no lingering thread)."""
    env = dict(os.environ, STUDIO_HOME=str(studio_home), QT_QPA_PLATFORM="offscreen", **{BENCH_READY_ENV: "1"})
    if close_after != "none":
        env[BENCH_CLOSE_AFTER_ENV] = close_after
    proc = subprocess.run([sys.executable, "-m", "studio", "--model", str(tiny_sd_dir)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert STARTUP_MARK in proc.stdout and CLOSE_MARK in proc.stdout
