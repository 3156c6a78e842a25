"""The Style tool in the real window: iterations streamed to the canvas, loss curve, gallery, mask, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.engine.style.samples import content_picture, style_picture
from studio.library import Library
from studio.ui.images import from_qimage, to_qimage
from test_ui_window import open_window, qloop  # noqa: F401 - the window fixtures of the window tests

TIMEOUT = 120_000


@pytest.fixture
def styled_window(qtbot, qloop, tiny_sd_dir):  # noqa: F811
    window = open_window(qtbot, tiny_sd_dir, steps=None)
    ctl = window.style_tool
    window.canvas.set_image(to_qimage(content_picture(64, 48)), None, "Open image")
    ctl.panel.set_style_image(style_picture(48, 48))
    ctl.panel.network.setCurrentIndex(ctl.panel.network.findData("random"))
    ctl.panel.size.setValue(48)
    return window


def test_style_tool_streams_iterations_then_saves(qtbot, styled_window):
    window, ctl = styled_window, styled_window.style_tool
    ctl.panel.steps.setValue(6)
    with qtbot.waitSignal(ctl.thread.worker.saved, timeout=TIMEOUT) as saved:
        assert ctl.run()
        assert ctl.panel.cancel_button.isEnabled()
    assert ctl.steps_shown >= 2  # previews reached the canvas while it ran
    assert len(ctl.panel.curve.points["total"]) == 7  # iterations 0..6, none dropped
    totals = [v for _, v in ctl.panel.curve.points["total"]]
    assert totals[-1] < totals[0]
    entry = saved.args[0]
    assert entry.params["mode"] == "style"
    image = from_qimage(window.canvas.current_image())
    assert image.shape == (36, 48, 3)  # the working size: long side 48
    assert np.array_equal(np.asarray(Image.open(entry.path).convert("RGB")), image)
    qtbot.waitUntil(lambda: window.canvas.current_path() == str(entry.path), timeout=5000)
    with Library.open() as lib:
        assert [e.id for e in lib.list()] == [entry.id]
    assert ctl.panel.progress.text().startswith("Done") and ctl.panel.run_button.isEnabled()


def test_style_tool_mask_limited_keeps_outside_pixels(qtbot, styled_window):
    window, ctl = styled_window, styled_window.style_tool
    original = from_qimage(window.canvas.current_image())
    mask = np.zeros(original.shape[:2], np.uint8)
    mask[8:40, 16:56] = 255
    assert window.masking.load_mask(mask)
    ctl.panel.masked.setChecked(True)
    ctl.panel.steps.setValue(4)
    with qtbot.waitSignal(ctl.thread.worker.saved, timeout=TIMEOUT):
        assert ctl.run()
    result = from_qimage(window.canvas.current_image())
    assert result.shape == original.shape
    assert np.array_equal(result[mask == 0], original[mask == 0])
    assert not np.array_equal(result[mask == 255], original[mask == 255])


def test_style_tool_cancel_restores_the_canvas(qtbot, styled_window):
    window, ctl = styled_window, styled_window.style_tool
    before = window.canvas.current_image()
    ctl.panel.steps.setValue(2000)
    assert ctl.run()
    qtbot.waitUntil(lambda: ctl.steps_shown >= 2, timeout=TIMEOUT)
    with qtbot.waitSignal(ctl.thread.worker.cancelled, timeout=TIMEOUT):
        ctl.panel.cancel_button.click()
    # the controller hears the same signal through its own queued slot: wait for it to run
    qtbot.waitUntil(lambda: ctl.panel.progress.text() == "Cancelled", timeout=10_000)
    assert window.canvas.current_image() is before
    assert not ctl.thread.busy()
    assert len(ctl.panel.curve.points["total"]) < 2000
    with Library.open() as lib:
        assert lib.list() == []


def test_style_tool_needs_a_style_image_and_mask(qtbot, styled_window):
    window, ctl = styled_window, styled_window.style_tool
    ctl.panel.masked.setChecked(True)
    assert not ctl.run()  # no mask painted
    assert "mask" in window.statusBar().currentMessage()
    ctl.panel.masked.setChecked(False)
    ctl.panel.style_image = None
    assert not ctl.run()
    assert "style image" in window.statusBar().currentMessage()
