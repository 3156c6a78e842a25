"""Issue 17: the canvas and its masks, driven in the real window with real mouse and key events.

The window runs the real worker thread on the tiny pipeline; the mask is painted
with QTest mouse drags on the canvas viewport, tools are picked by clicking their
buttons or pressing their keys over the canvas.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from test_ui_window import GEN_TIMEOUT, gallery_entries, open_window, qloop, wait_ready  # noqa: F401

from studio.engine.request import Mode
from studio.ui.mask_tools import ToolMode
from studio.ui.mode_logic import MODE_NAMES

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def window(qtbot, qloop, tiny_sd_dir):  # noqa: F811
    w = open_window(qtbot, tiny_sd_dir, steps=3)
    w.resize(1400, 900)
    wait_ready(qtbot, w)
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=10_000)
    w.mask_dock.raise_()
    return w


def _picture(w=64, h=64, colour=(30, 60, 200)):
    img = np.zeros((h, w, 3), np.uint8)
    img[...] = colour
    img[: h // 4, : w // 4] = (250, 250, 250)
    return img


def put_image(qtbot, window, tmp_path, img, name="base.png"):
    path = tmp_path / name
    Image.fromarray(img).save(path)
    window.open_image(str(path))
    qtbot.waitUntil(lambda: window.canvas.image_size().width() == img.shape[1] and window.params.init_image() is not None
                    and window.canvas.current_path() == str(path), timeout=10_000)
    window.canvas.fit()


def view_point(window, x, y) -> QPoint:
    return window.canvas.mapFromScene(float(x), float(y))


def drag(window, points, button=Qt.LeftButton):
    vp = window.canvas.viewport()
    pts = [view_point(window, x, y) for x, y in points]
    QTest.mouseMove(vp, pts[0])
    QTest.mousePress(vp, button, Qt.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, button, Qt.NoModifier, pts[-1])


def click(widget):
    from PySide6.QtWidgets import QCheckBox

    # a check box is hit on its box and label, not across its whole stretched width
    pos = QPoint(8, widget.height() // 2) if isinstance(widget, QCheckBox) else widget.rect().center()
    QTest.mouseClick(widget, Qt.LeftButton, Qt.NoModifier, pos)


def hover_canvas(window, x=10, y=10):
    QTest.mouseMove(window.canvas.viewport(), view_point(window, x, y))


def refresh(qtbot, window):
    qtbot.wait(20)  # the mode indicator updates on the next event-loop turn


# -- 1 and 2: choosing a tool arms it; a visible mask drives inpaint ---------------------------

def test_brush_button_arms_painting_and_the_mask_makes_generate_inpaint(qtbot, window, tmp_path):
    img = _picture()
    put_image(qtbot, window, tmp_path, img)
    window.params.set_mode(Mode.TXT2IMG)  # the user left Mode on "Text to image"
    refresh(qtbot, window)
    assert window.generate_action.text() == "Generate"
    masking = window.masking
    click(masking.panel.tool_buttons[ToolMode.BRUSH])
    assert masking.panel.paint_button.isChecked() and window.canvas.tool() is masking.tool, "choosing the brush arms it"
    masking.panel.size_spin.setValue(10)
    drag(window, [(20, 40), (32, 40), (44, 40)])
    assert masking.mask.data[40, 32] == 255
    refresh(qtbot, window)
    assert window.params.current_mode() is Mode.INPAINT, "the Mode picker follows the mask"
    assert "inpaint" in window.generate_action.text().lower()
    assert window.mode_indicator.label.text().startswith("Inpaint · mask")
    window.prompt_editor.set_text("a yellow square")
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        QTest.keyClick(window.prompt_editor.prompt, Qt.Key_Return, Qt.ControlModifier)
    result = window.last_images[0]
    assert result.request.mode is Mode.INPAINT
    assert np.array_equal(result.request.mask, masking.mask.data)
    far = masking.mask.data == 0
    far[30:50] = False  # the feathered edge of the stroke may change
    assert np.array_equal(result.image[far], img[far]), "0 pixels changed outside the mask"


def test_picking_another_mode_hides_the_mask_visibly_never_ignores_it(qtbot, window, tmp_path):
    put_image(qtbot, window, tmp_path, _picture())
    window.prompt_editor.set_text("a cat")
    masking = window.masking
    click(masking.panel.tool_buttons[ToolMode.RECT])
    drag(window, [(10, 10), (30, 30)])
    refresh(qtbot, window)
    assert window.params.current_mode() is Mode.INPAINT
    combo = window.params.mode
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key_Home)  # "Text to image"
    refresh(qtbot, window)
    assert not masking.panel.show_check.isChecked() and not masking.layer.isVisible()
    assert "mask is hidden" in window.messages.text()
    assert window.generate_action.text() == "Generate"
    assert window.build_request().mode is Mode.TXT2IMG and window.build_request().mask is None
    # H over the canvas shows it again: inpaint again
    hover_canvas(window)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_H)
    refresh(qtbot, window)
    assert masking.layer.isVisible() and window.params.current_mode() is Mode.INPAINT
    assert window.build_request().mode is Mode.INPAINT


def test_inpaint_without_a_mask_says_what_to_do_inline(qtbot, window, tmp_path):
    put_image(qtbot, window, tmp_path, _picture())
    window.params.set_mode(Mode.INPAINT)
    refresh(qtbot, window)
    assert window.generate_action.text() == "Inpaint: paint a mask"
    window.generate()
    text = window.messages.text()
    assert "paint over the area to repaint" in text and "white" not in text
    qtbot.wait(300)
    assert window.messages.isVisible(), "errors stay until dismissed"
    click(window.messages.close_button)
    assert not window.messages.isVisible()


# -- 3: checked toggles look pressed ----------------------------------------------------------------

def test_checked_toggles_are_visibly_pressed_in_the_dark_theme(qtbot, window, qapp):
    from studio.ui.theme import apply_dark_theme

    apply_dark_theme(qapp)
    try:
        buttons = [window.masking.panel.paint_button, window.masking.panel.tool_buttons[ToolMode.ERASER],
                   window.params.random_seed, window.params.lock_ratio]
        for b in buttons:
            b.setChecked(False)
            qtbot.wait(10)
            off = b.grab().toImage().pixelColor(3, b.height() // 2)
            b.setChecked(True)
            qtbot.wait(10)
            on = b.grab().toImage().pixelColor(3, b.height() // 2)
            assert on.blue() - off.blue() > 60 and on.lightness() > off.lightness(), (b.objectName(), off.name(), on.name())
    finally:
        qapp.setStyleSheet("")


# -- 4: canvas shortcuts ----------------------------------------------------------------------------

def test_tool_keys_work_over_the_canvas_after_clicking_a_panel_button(qtbot, window, tmp_path):
    put_image(qtbot, window, tmp_path, _picture())
    masking = window.masking
    settings = masking.settings
    click(masking.panel.findChild(type(masking.panel.paint_button), "maskClear"))
    focus = QApplication.focusWidget()
    assert focus is not window.canvas
    hover_canvas(window)
    QTest.keyClick(focus, Qt.Key_E)
    assert settings.mode is ToolMode.ERASER and masking.panel.tool_buttons[ToolMode.ERASER].isChecked()
    assert window.canvas.tool() is masking.tool, "a tool key arms painting"
    before = settings.size
    QTest.keyClick(focus, Qt.Key_BracketRight)
    assert settings.size > before
    QTest.keyClick(focus, Qt.Key_B)
    assert settings.mode is ToolMode.BRUSH
    assert not masking.mask.data.any(), "no click on the canvas was needed, so nothing was painted"
    # typing in the prompt is never stolen, even with the pointer over the canvas
    edit = window.prompt_editor.prompt
    edit.setFocus()
    edit.clear()
    hover_canvas(window)
    QTest.keyClicks(edit, "bee")
    assert edit.toPlainText() == "bee" and settings.mode is ToolMode.BRUSH
    # and away from the canvas a key is the focused widget's
    QTest.mouseMove(window.params.steps, QPoint(5, 5))
    QTest.mouseMove(window.canvas.viewport(), QPoint(-50, -50))
    click(masking.panel.findChild(type(masking.panel.paint_button), "maskFill"))
    window.canvas_shortcuts._over = False
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_E)
    assert settings.mode is ToolMode.BRUSH


# -- 5: overlay look ---------------------------------------------------------------------------------

def test_overlay_colour_opacity_edge_and_toggle(qtbot, window, tmp_path):
    put_image(qtbot, window, tmp_path, _picture())
    masking = window.masking
    click(masking.panel.tool_buttons[ToolMode.RECT])
    drag(window, [(16, 16), (40, 40)])
    edge = masking.layer.edge_image()
    y = 28
    xs = [x for x in range(64) if edge.pixelColor(x, y).alpha() == 255]
    assert xs and min(xs) <= 17 and max(xs) >= 38, "the mask has an opaque edge"
    assert edge.pixelColor(28, 28).alpha() == 0, "no edge inside"
    combo = masking.panel.colour_combo
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key_Down)  # red -> cyan
    tint = masking.layer.tinted_image().pixelColor(28, 28)  # premultiplied at 50%: rounding
    assert tint.red() <= 2 and abs(tint.green() - 220) <= 2 and abs(tint.blue() - 255) <= 2
    masking.panel.opacity_slider.setFocus()
    QTest.keyClick(masking.panel.opacity_slider, Qt.Key_PageUp)
    assert masking.layer.fill_opacity() > 0.5
    click(masking.panel.edge_check)
    assert not masking.layer.show_edge()
    hover_canvas(window)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_H)
    assert not masking.layer.isVisible() and not masking.mask_active()


# -- 6: a mask belongs to its image ----------------------------------------------------------------------

def test_a_mask_stays_with_the_image_it_was_painted_on(qtbot, window, tmp_path):
    put_image(qtbot, window, tmp_path, _picture())
    masking = window.masking
    click(masking.panel.tool_buttons[ToolMode.RECT])
    drag(window, [(10, 10), (30, 30)])
    painted = masking.mask.data.copy()
    put_image(qtbot, window, tmp_path, _picture(colour=(200, 40, 40)), "other.png")  # same size
    assert not masking.mask.data.any(), "another image of the same size does not inherit the mask"
    refresh(qtbot, window)
    assert window.params.current_mode() is not Mode.INPAINT or window.generate_action.text() == "Inpaint: paint a mask"
    window.canvas.undo_stack.undo()  # back to the first image: its mask comes back
    assert np.array_equal(masking.mask.data, painted)


# -- 11: odd sizes -------------------------------------------------------------------------------------

def test_odd_sizes_say_what_will_run_and_show_ranges(qtbot, window, tmp_path):
    info = window.model_info
    put_image(qtbot, window, tmp_path, np.full((1, 1, 3), 120, np.uint8), "dot.png")
    refresh(qtbot, window)
    assert window.build_request().mode is Mode.IMG2IMG
    status = window.mode_indicator.label.text()
    assert status.startswith(MODE_NAMES[Mode.IMG2IMG]) and f"runs at {info.native_width}x{info.native_height}, scaled to 1x1" in status
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    assert window.last_images[0].image.shape == (1, 1, 3), "a 1x1 init runs at native size and scales back"
    # a wide init: the native pixel count at its aspect, not 39x it
    put_image(qtbot, window, tmp_path, np.full((30, 500, 3), 90, np.uint8), "wide.png")
    refresh(qtbot, window)
    plan = window.mode_indicator.label.text().split("runs at ")[1].split(",")[0]
    w, h = (int(v) for v in plan.split("x"))
    assert w * h <= 1.5 * info.native_width * info.native_height and w > h
    # a nonsense number typed in a field shows the range and the value used
    spin = window.params.width_spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "7")
    note = window.params.range_note
    assert note.isVisible() and "16" in note.text()
    QTest.keyClick(spin, Qt.Key_Tab)
    assert window.params.preset.currentText() == "Custom size", "not 'Model's native size' while 7 is set"
    window.generate()
    assert "at least 16" in window.messages.text()
    steps = window.params.steps
    steps.setFocus()
    steps.selectAll()
    QTest.keyClicks(steps, "9999")
    assert f"maximum {steps.maximum()}" in note.text() and f"stays {steps.value()}" in note.text()


# -- 12: brush relative to the image -------------------------------------------------------------------

def test_brush_is_sized_relative_to_the_image(qtbot, window, tmp_path):
    put_image(qtbot, window, tmp_path, _picture(128, 128), "small.png")
    small = window.masking.settings.size
    assert 4 <= small <= 12, small
    put_image(qtbot, window, tmp_path, _picture(512, 512), "big.png")
    assert window.masking.settings.size == pytest.approx(small * 4, abs=2)


# -- 13: the session comes back -----------------------------------------------------------------------------

def test_restart_restores_prompt_canvas_mask_mode_and_mask_settings(qtbot, qloop, tiny_sd_dir, tmp_path):  # noqa: F811
    w = open_window(qtbot, tiny_sd_dir, steps=3)
    wait_ready(qtbot, w)
    put_image(qtbot, w, tmp_path, _picture())
    w.prompt_editor.set_text("a red star", "blurry")
    masking = w.masking
    click(masking.panel.tool_buttons[ToolMode.RECT])
    drag(w, [(10, 10), (30, 30)])
    painted = masking.mask.data.copy()
    masking.panel.set_colour((255, 220, 0))
    masking.panel.opacity_slider.setValue(70)
    w.mask_dock.raise_()
    qtbot.waitUntil(lambda: not w.mask_dock.visibleRegion().isEmpty(), timeout=5000)
    w.close()
    w2 = open_window(qtbot, tiny_sd_dir, steps=None)
    wait_ready(qtbot, w2)
    assert w2.prompt_editor.text() == ("a red star", "blurry")
    assert w2.canvas.image_size().width() == 64
    assert np.array_equal(w2.masking.mask.data, painted)
    assert w2.params.current_mode() is Mode.INPAINT
    assert tuple(w2.masking.panel.colour_combo.currentData()) == (255, 220, 0)
    assert w2.masking.panel.opacity_slider.value() == 70
    assert w2.masking.settings.mode is ToolMode.RECT
    qtbot.waitUntil(lambda: w2.mask_dock.isVisible(), timeout=5000)
    assert not w2.mask_dock.visibleRegion().isEmpty(), "the Mask dock is where it was left"
    w2.close()


# -- 12: queue rows stay put; removal undoable --------------------------------------------------------------

def test_queue_rows_stay_under_the_pointer_and_removal_can_be_undone(qtbot, window):
    from studio.ui.queue_panel import JOB_ID

    window.prompt_editor.set_text("first")
    window.params.steps.setValue(8)
    first = window.generate()
    jobs = []
    for text in ("second", "third", "fourth"):
        window.prompt_editor.set_text(text)
        jobs.append(window.generate())
    panel = window.queue_panel
    qtbot.waitUntil(lambda: window.gen.queue.running() is first, timeout=GEN_TIMEOUT)
    rows = lambda: [panel.list.item(i).data(JOB_ID) for i in range(panel.list.count())]  # noqa: E731
    QTest.mouseMove(panel.list.viewport(), QPoint(20, 8))
    qtbot.waitUntil(panel.list.underMouse, timeout=2000)
    panel.refresh()
    before = rows()
    assert before == [j.id for j in jobs]
    # the next job starts while the pointer is over the list: no row moves
    qtbot.waitUntil(lambda: window.gen.queue.running() is jobs[0], timeout=GEN_TIMEOUT)
    # the panel hears of the change through the worker's queued signal: wait for its refresh
    qtbot.waitUntil(lambda: panel.list.item(0).text().startswith("▶ running"), timeout=10_000)
    assert rows() == before
    assert not panel.list.item(0).flags() & Qt.ItemIsSelectable
    # the row under the pointer is still "third": select and remove it, then undo
    rect = panel.list.visualItemRect(panel.list.item(1))
    QTest.mouseClick(panel.list.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
    assert panel.list.currentItem().data(JOB_ID) == jobs[1].id
    click(panel.remove_button)
    assert jobs[1].id not in [j.id for j in window.gen.queue.waiting()]
    assert panel.undo_button.isEnabled()
    click(panel.undo_button)
    waiting = [j.id for j in window.gen.queue.waiting()]
    assert waiting[0] == jobs[1].id, "the removed job is back in its place"
    window.gen.queue.clear()


# -- 7: the "only masked" crop box -----------------------------------------------------------------------

def test_only_masked_crop_box_is_shown_and_can_be_dragged(qtbot, window, tmp_path):
    img = _picture(256, 192)
    put_image(qtbot, window, tmp_path, img)
    window.prompt_editor.set_text("a yellow square")
    masking = window.masking
    combo = masking.panel.area_combo
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key_End)  # "Only masked"
    click(masking.panel.tool_buttons[ToolMode.RECT])
    drag(window, [(120, 90), (136, 106)])
    crop = masking.crop
    qtbot.waitUntil(crop.item.isVisible, timeout=2000)
    auto = crop.item.box()
    assert auto[0] <= 120 and auto[2] >= 136 and "auto" in crop.item._label
    assert window.build_request().inpaint_box is None
    # drag the box's left edge to the left, from its middle
    x0, y0, x1, y1 = auto
    mid = (y0 + y1) / 2
    vp = window.canvas.viewport()
    QTest.mouseMove(vp, view_point(window, x0, mid))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, view_point(window, x0, mid))
    QTest.mouseMove(vp, view_point(window, x0 - 8, mid))
    QTest.mouseMove(vp, view_point(window, x0 - 16, mid))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, view_point(window, x0 - 16, mid))
    moved = crop.request_box()
    assert moved is not None and moved[0] < x0 - 8 and "your box" in crop.item._label
    assert masking.mask.data[:, : max(0, x0 - 20)].sum() == 0, "dragging the box painted nothing"
    request = window.build_request()
    assert request.inpaint_box == moved
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    result = window.last_images[0]
    assert tuple(result.extra["crop_box"]) == moved
    bx0, by0, bx1, by1 = moved
    outside = np.ones(img.shape[:2], bool)
    outside[by0:by1, bx0:bx1] = False
    assert np.array_equal(result.image[outside], img[outside])


# -- 8: edits can be repeated: init image and mask kept, Reuse restores them ------------------------------------

def test_reuse_restores_mode_init_image_mask_and_crop_of_an_inpaint(qtbot, window, tmp_path):
    from studio.library import sources

    img = _picture(128, 96)
    put_image(qtbot, window, tmp_path, img)
    window.prompt_editor.set_text("a yellow square")
    masking = window.masking
    click(masking.panel.tool_buttons[ToolMode.RECT])
    drag(window, [(40, 30), (70, 60)])
    painted = masking.mask.data.copy()
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.generate()
    qtbot.waitUntil(lambda: len(gallery_entries()) == 1, timeout=10_000)
    entry = gallery_entries()[0]
    assert entry.params["mode"] == "inpaint"
    init_digest, mask_digest = entry.params["init_sha256"], entry.params["mask_sha256"]
    qtbot.waitUntil(lambda: sources.source_path(mask_digest).is_file(), timeout=10_000)
    assert np.array_equal(sources.load(init_digest), img) and np.array_equal(sources.load(mask_digest), painted)
    # the same edit again stores nothing new (content-addressed)
    stored = sorted(p.name for p in sources.sources_dir().rglob("*.png"))
    with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
        window.canvas.undo_stack.undo()  # back to the original picture (and its mask)
        window.generate()
    qtbot.waitUntil(lambda: len(gallery_entries()) == 2, timeout=10_000)
    qtbot.wait(300)
    assert sorted(p.name for p in sources.sources_dir().rglob("*.png")) == stored
    # something else on the canvas, Mode back to text to image; then Reuse in the gallery
    put_image(qtbot, window, tmp_path, _picture(64, 64, (200, 30, 30)), "other.png")
    window.params.set_mode(Mode.TXT2IMG)
    gallery = window.gallery
    qtbot.waitUntil(lambda: gallery.model.rowCount() == 2, timeout=10_000)
    gallery.select_ids([entry.id])
    qtbot.waitUntil(lambda: gallery.current_entry() is not None and gallery.current_entry().id == entry.id, timeout=5000)
    click(gallery.detail.buttons["reuse"])
    qtbot.waitUntil(lambda: window.canvas.image_size().width() == 128, timeout=10_000)
    assert np.array_equal(masking.mask.data, painted)
    assert window.params.current_mode() is Mode.INPAINT and masking.mask_active()
    again = window.build_request()
    assert again.mode is Mode.INPAINT and np.array_equal(again.init_image, img) and np.array_equal(again.mask, painted)
    assert again.seed == entry.seed


# -- 10: fits a 1280x720 laptop and 200% scale ---------------------------------------------------------------

def test_window_fits_small_screens_and_its_docks_scroll(qtbot, window):
    from PySide6.QtWidgets import QScrollArea

    hint = window.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 500, hint  # 1600x1000 at 200% is 800x500 logical
    window.resize(800, 500)
    qtbot.waitUntil(lambda: window.height() <= 500, timeout=2000)
    for dock in (window.prompt_dock, window.params_dock, window.gallery_dock, window.queue_dock, window.mask_dock):
        assert isinstance(dock.widget(), QScrollArea), dock.objectName()
    # everything under Size in Parameters is reachable: scroll to Strength and drag it
    scroll = window.params_dock.widget()
    combo = window.params.mode
    scroll.ensureWidgetVisible(combo)
    qtbot.wait(20)
    assert not combo.visibleRegion().isEmpty()
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key_Down)
    assert window.params.current_mode() is Mode.IMG2IMG
    strength = window.params.strength
    scroll.ensureWidgetVisible(strength)
    qtbot.wait(20)
    assert not strength.visibleRegion().isEmpty()
    before = strength.value()
    strength.setFocus()
    QTest.keyClick(strength, Qt.Key_PageDown)
    assert strength.value() != before
    bar = window.statusBar()
    assert bar.geometry().bottom() <= window.height() and window.mode_indicator.label.isVisible()
