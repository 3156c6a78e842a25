"""Issue 17, point 9: results are staged over the canvas image, then accepted (undoable) or discarded.

The real window on the tiny pipeline, with staging on (the app's default): the
batch is set in the Parameters panel, Generate is Ctrl+Enter in the prompt,
the strip's buttons are clicked, its keys pressed over the canvas, the compare
line dragged with the mouse; what the canvas shows is read from a grab of its
viewport at 100% with nearest-neighbour scaling (image pixel = screen pixel).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from test_ui_window import GEN_TIMEOUT, gallery_entries, open_window, qloop, wait_ready  # noqa: F401

from studio.settings import Settings
from studio.ui.images import from_qimage
from studio.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.filterwarnings("ignore")

BASE_COLOUR = (30, 60, 200)


@pytest.fixture
def window(qtbot, qloop, tiny_sd_dir):  # noqa: F811
    w = open_window(qtbot, tiny_sd_dir, steps=3, stage_results=True)
    w.resize(1400, 900)
    wait_ready(qtbot, w)
    return w


def put_base(qtbot, window, tmp_path) -> np.ndarray:
    """A flat 64x64 picture on the canvas (the tiny model's size), as a user opens a file."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[...] = BASE_COLOUR
    path = tmp_path / "base.png"
    Image.fromarray(img).save(path)
    window.open_image(str(path))
    qtbot.waitUntil(lambda: window.canvas.current_path() == str(path), timeout=10_000)
    return img


def set_batch(qtbot, window, n: int) -> None:
    spin = window.params.batch
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(n))
    qtbot.keyClick(spin, Qt.Key_Tab)
    assert spin.value() == n


def generate(qtbot, window, text: str = "two shapes") -> None:
    edit = window.prompt_editor.prompt
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        qtbot.keyClick(edit, Qt.Key_Return, Qt.ControlModifier)


def pixel_view(qtbot, window) -> None:
    """100% and nearest-neighbour: each image pixel is one screen pixel of the viewport grab."""
    if not window.canvas_panel.nearest_button.isChecked():
        qtbot.mouseClick(window.canvas_panel.nearest_button, Qt.LeftButton)
    qtbot.mouseClick(window.canvas_panel.actual_button, Qt.LeftButton)


def shown(window, x: float, y: float) -> np.ndarray:
    """The colour the canvas viewport shows at image pixel (x, y)."""
    grab = window.canvas.viewport().grab().toImage()
    p = window.canvas.mapFromScene(x + 0.25, y + 0.25)  # inside the pixel, whatever the rounding
    c = grab.pixelColor(p)
    return np.array([c.red(), c.green(), c.blue()])


def hover_canvas(window) -> None:
    vp = window.canvas.viewport()
    QTest.mouseMove(vp, vp.rect().center())


def test_a_batch_of_two_is_staged_cycled_and_accepted_with_undo(qtbot, window, tmp_path):
    base = put_base(qtbot, window, tmp_path)
    base_image = window.canvas.current_image()
    set_batch(qtbot, window, 2)
    generate(qtbot, window)
    staging, strip = window.staging, window.staging_strip
    assert staging.active() and len(staging.results) == 2
    assert strip.isVisible() and strip.thumbs.count() == 2 and strip.count_label.text() == "1 / 2"
    assert strip.thumbs.currentRow() == 0  # the shown one is highlighted
    assert window.canvas.current_image() is base_image  # unchanged until accepted
    assert not window.canvas_panel.strip.isVisible()  # the old batch strip stays away
    first, second = (from_qimage(r.image) for r in staging.results)
    assert not np.array_equal(first, second)

    pixel_view(qtbot, window)
    assert np.abs(shown(window, 40, 20) - first[20, 40]).max() <= 2  # the staged result is what shows
    qtbot.mouseClick(strip.next_button, Qt.LeftButton)
    assert staging.index == 1 and strip.thumbs.currentRow() == 1 and strip.count_label.text() == "2 / 2"
    assert np.abs(shown(window, 40, 20) - second[20, 40]).max() <= 2
    hover_canvas(window)
    QTest.keyClick(window.canvas.viewport(), Qt.Key_Right)  # wraps round to the first
    assert staging.index == 0
    QTest.keyClick(window.canvas.viewport(), Qt.Key_Left)
    assert staging.index == 1
    strip.thumbs.setCurrentRow(0)  # a click on a thumbnail
    assert staging.index == 0
    qtbot.mouseClick(strip.next_button, Qt.LeftButton)

    chosen = staging.current()
    qtbot.waitUntil(lambda: staging.current_path() is not None, timeout=10_000)  # the gallery has it
    path = staging.current_path()
    qtbot.mouseClick(strip.accept_button, Qt.LeftButton)
    assert window.canvas.current_image() is chosen and window.canvas.current_path() == path
    assert not staging.active() and not strip.isVisible()
    assert np.abs(shown(window, 40, 20) - second[20, 40]).max() <= 2
    assert window.canvas.undo_stack.undoText() == "Accept result"

    window.activateWindow()
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # Edit > Undo
    assert window.canvas.current_image() is base_image
    assert np.abs(shown(window, 40, 20) - base[20, 40]).max() <= 2
    assert len(gallery_entries()) == 2


def test_discard_brings_the_original_back_and_keeps_the_gallery(qtbot, window, tmp_path):
    base = put_base(qtbot, window, tmp_path)
    base_image = window.canvas.current_image()
    set_batch(qtbot, window, 2)
    generate(qtbot, window)
    qtbot.waitUntil(lambda: len(gallery_entries()) == 2, timeout=10_000)
    steps = window.canvas.undo_stack.count()
    pixel_view(qtbot, window)
    qtbot.mouseClick(window.staging_strip.discard_button, Qt.LeftButton)
    assert not window.staging.active() and not window.staging_strip.isVisible()
    assert window.canvas.current_image() is base_image and window.canvas.undo_stack.count() == steps
    assert np.abs(shown(window, 40, 20) - base[20, 40]).max() <= 2
    assert len(gallery_entries()) == 2  # never lose an image
    assert "stay in the gallery" in window.statusBar().currentMessage()

    generate(qtbot, window)  # Backspace over the canvas discards too (once the prompt no longer has the keys)
    vp = window.canvas.viewport()
    QTest.mouseClick(vp, Qt.LeftButton, Qt.NoModifier, vp.rect().center())
    assert window.canvas.hasFocus()
    QTest.keyClick(vp, Qt.Key_Backspace)
    assert not window.staging.active() and window.canvas.current_image() is base_image
    qtbot.waitUntil(lambda: len(gallery_entries()) == 4, timeout=10_000)


def test_compare_split_line_and_side_by_side(qtbot, window, tmp_path):
    base = put_base(qtbot, window, tmp_path)
    generate(qtbot, window)
    staged = from_qimage(window.staging.current())
    pixel_view(qtbot, window)
    strip = window.staging_strip
    combo = strip.compare
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key_Down)  # "Split"
    assert window.staging.compare == "split" and window.staging.handle.isVisible()
    vp = window.canvas.viewport()
    line = window.canvas.mapFromScene(32.0, 32.0)  # the line starts halfway
    to = window.canvas.mapFromScene(16.0, 40.0)
    QTest.mouseMove(vp, line)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, line)
    QTest.mouseMove(vp, QPoint((line.x() + to.x()) // 2, line.y()))
    QTest.mouseMove(vp, to)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, to)
    assert window.staging.split == pytest.approx(16 / 64, abs=1.5 / 64)
    assert window.masking.mask.data.max() == 0  # the drag moved the line, it painted nothing
    for x in (2, 8, 12):  # left of the line: the canvas image
        assert np.abs(shown(window, x, 50) - base[50, x]).max() <= 2, x
    for x in (24, 40, 60):  # right of it: the staged result
        assert np.abs(shown(window, x, 50) - staged[50, x]).max() <= 2, x
    assert window.canvas.current_image().width() == 64  # still not accepted

    hover_canvas(window)
    QTest.keyClick(vp, Qt.Key_C)  # next compare mode: side by side
    assert window.staging.compare == "side" and not window.staging.handle.isVisible()
    qtbot.mouseClick(window.canvas_panel.actual_button, Qt.LeftButton)
    right = window.staging.side_offset()
    assert window.canvas.sceneRect().width() == right + 64
    assert np.abs(shown(window, 10, 50) - base[50, 10]).max() <= 2
    assert np.abs(shown(window, right + 10, 50) - staged[50, 10]).max() <= 2
    QTest.keyClick(vp, Qt.Key_Return)  # Enter accepts
    assert window.canvas.current_image().width() == 64 and window.canvas.sceneRect().width() == 64
    assert np.array_equal(from_qimage(window.canvas.current_image()), staged)


def test_new_results_join_the_staging_and_previews_still_stream(qtbot, window, tmp_path):
    put_base(qtbot, window, tmp_path)
    base_image = window.canvas.current_image()
    generate(qtbot, window, "one")
    first = window.staging.current()
    window.params.steps.setValue(6)
    seen_hidden = []
    window.gen.worker.progress_ready.connect(lambda: seen_hidden.append(not window.staging.item.isVisible()))
    before = window.previews_shown
    generate(qtbot, window, "another")
    assert window.previews_shown > before and any(seen_hidden)  # previews went to the canvas, over the staging
    assert len(window.staging.results) == 2 and window.staging.results[0].image is first
    assert window.staging.index == 1 and window.staging.item.isVisible()  # the new one shown
    assert window.canvas.current_image() is base_image


def test_opening_another_image_ends_the_staging(qtbot, window, tmp_path):
    put_base(qtbot, window, tmp_path)
    generate(qtbot, window)
    other = tmp_path / "other.png"
    Image.fromarray(np.full((48, 80, 3), 200, np.uint8)).save(other)
    window.open_image(str(other))  # as the gallery's "Send to canvas" does
    qtbot.waitUntil(lambda: window.canvas.current_path() == str(other), timeout=10_000)
    assert not window.staging.active() and not window.staging_strip.isVisible()
    assert window.canvas.sceneRect().width() == 80


def test_inpaint_result_is_staged_in_place_with_its_mask(qtbot, window, tmp_path):
    base = put_base(qtbot, window, tmp_path)
    window.canvas.fit()
    vp = window.canvas.viewport()
    hover_canvas(window)
    QTest.keyClick(vp, Qt.Key_R)  # the rectangle tool, dragged over the middle
    a, b = window.canvas.mapFromScene(16.0, 16.0), window.canvas.mapFromScene(48.0, 48.0)
    QTest.mouseMove(vp, a)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    QTest.mouseMove(vp, (a + b) / 2)
    QTest.mouseMove(vp, b)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, b)
    assert window.masking.mask.data[32, 32] == 255 and window.masking.mask.data[4, 4] == 0
    generate(qtbot, window, "inpaint it")
    assert window.last_images[0].request.mode.value == "inpaint"
    staged = from_qimage(window.staging.current())
    assert staged.shape == base.shape and window.canvas.current_image().width() == 64
    qtbot.mouseClick(window.staging_strip.accept_button, Qt.LeftButton)
    assert window.masking.mask.data[32, 32] == 255  # the result keeps the mask: Generate repaints it again


def test_setting_off_gives_the_old_behaviour_and_is_saved(qtbot, window, tmp_path):
    dialog = SettingsDialog(window.settings, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.stage_results.isChecked()
    qtbot.mouseClick(dialog.stage_results, Qt.LeftButton, pos=QPoint(8, dialog.stage_results.height() // 2))
    assert not dialog.stage_results.isChecked()
    dialog.accept()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.apply_settings(dialog.result_settings())
    assert Settings.load().stage_results is False
    put_base(qtbot, window, tmp_path)
    generate(qtbot, window)
    assert not window.staging.active() and not window.staging_strip.isVisible()
    assert window.canvas.current_image() is not None
    assert np.array_equal(from_qimage(window.canvas.current_image()), window.last_images[0].image)


def test_the_strip_fits_small_screens(qtbot, window, tmp_path):
    """1280x720, and 1600x1000 at 200% (800x500 logical): the strip wraps its buttons under the
    thumbnails and scrolls instead of widening the window; Accept stays reachable."""
    put_base(qtbot, window, tmp_path)
    set_batch(qtbot, window, 2)
    generate(qtbot, window)
    strip = window.staging_strip
    for size in ((1280, 720), (800, 500)):
        window.resize(*size)
        qtbot.waitUntil(lambda s=size: window.width() <= s[0] and window.height() <= s[1], timeout=2000)
        hint = window.minimumSizeHint()
        assert hint.width() <= 800 and hint.height() <= 500, hint
        strip.ensureWidgetVisible(strip.accept_button)
        qtbot.wait(20)
        assert not strip.accept_button.visibleRegion().isEmpty(), size
        assert window.canvas.viewport().height() >= 100, size
    qtbot.mouseClick(strip.accept_button, Qt.LeftButton)
    assert not window.staging.active()
