"""Issue 18 through the real window: the gallery dock of MainWindow over a real library.

No model is loaded (the gallery does not need one); the library holds real PNGs
with studio metadata, indexed by the real reconcile.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QCursor, QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from studio.library import Library
from studio.bench.library import build_library
from studio.ui.gallery.boards import IDS_MIME
from studio.ui.main_window import MainWindow

N = 40


@pytest.fixture
def window(qtbot, studio_home):
    lib, _s = build_library(studio_home, N, size=48)
    lib.close()
    w = MainWindow(model="")
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    w._open_gallery()
    with qtbot.waitSignal(w.gallery.reconciled, timeout=60000, raising=False):
        pass
    yield w
    w.close()


def grid(window):
    return window.gallery.view


def test_grid_is_stable_scrollable_and_keeps_the_item_under_the_pointer(qtbot, window):
    """Point 1: same columns at the same width, always a scroll bar, wheel scrolls, the last image is reachable."""
    view = grid(window)
    window.resizeDocks([window.gallery_dock], [430], Qt.Horizontal)
    qtbot.wait(50)
    assert view.verticalScrollBar().isVisible()  # never appears/disappears, so it cannot flip the columns
    widths = {}
    for width in (300, 430, 520, 430, 300, 430):
        window.resizeDocks([window.gallery_dock], [width], Qt.Horizontal)
        qtbot.wait(30)
        widths.setdefault(view.viewport().width(), set()).add(
            round(view.visualRect(view.model().index(1)).left() / max(1, view.gridSize().width()))
        )
        assert view.columns() == max(1, (view.viewport().width() - 4) // (view.thumb_size() + 8))
    assert all(len(cols) == 1 for cols in widths.values())  # one layout per width
    # the wheel scrolls and the last row can be reached
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(0)
    pos = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, -120), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert bar.value() > 0
    view.scrollToBottom()
    qtbot.wait(20)
    assert view.visible_rows()[-1] == N - 1
    # the item under the pointer stays under it: thumbnail size change, resize, a refresh, a new image
    bar.setValue(bar.maximum() // 2)
    qtbot.wait(20)
    target = view.visible_rows()[len(view.visible_rows()) // 2]
    point = view.visualRect(view.model().index(target)).center()
    QCursor.setPos(view.viewport().mapToGlobal(point))
    if view.viewport().mapFromGlobal(QCursor.pos()) != point:
        pytest.skip("this platform cannot place the pointer")
    target_id = view.model().ids[target]

    def under_pointer():
        return view.model().ids[view.indexAt(view.viewport().mapFromGlobal(QCursor.pos())).row()]

    def on_pointer_row():  # when the columns change, the item keeps its height (its column moves)
        rect = view.visualRect(view.model().index(view.model().row_of(target_id)))
        return rect.top() <= view.viewport().mapFromGlobal(QCursor.pos()).y() <= rect.bottom()

    window.gallery.refresh()
    assert under_pointer() == target_id
    window.gallery.size_slider.setValue(160)
    qtbot.wait(30)
    assert on_pointer_row()
    window.resizeDocks([window.gallery_dock], [520], Qt.Horizontal)
    qtbot.wait(30)
    assert on_pointer_row()
    # a new image arrives at the top while the user looks further down: the row stays put
    from studio.bench.library import sample_generated

    target_id = under_pointer()
    window.gallery.add_entry(window.gallery.library.add_generated(sample_generated(777, 48)))
    qtbot.wait(30)
    assert on_pointer_row()


def test_double_click_opens_the_lightbox_arrows_zoom_compare_escape(qtbot, window):
    """Point 3."""
    panel, view = window.gallery, grid(window)
    rect = view.visualRect(view.model().index(2))
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    box = panel.lightbox
    assert box is not None and box.isVisible()
    qtbot.waitExposed(box)
    assert box.current_id() == panel.model.ids[2]
    qtbot.waitUntil(lambda: box.area.images[0] is not None, timeout=10000)
    assert box.area.images[0].width() == 48
    qtbot.keyClick(box, Qt.Key_Right)
    assert box.current_id() == panel.model.ids[3]
    assert panel._current_id() == panel.model.ids[3]  # the grid follows
    qtbot.keyClick(box, Qt.Key_Left)
    qtbot.keyClick(box, Qt.Key_Left)
    assert box.current_id() == panel.model.ids[1]
    fit = box.area.effective_scale()
    qtbot.keyClick(box, Qt.Key_Plus)
    assert box.area.effective_scale() == pytest.approx(fit * 1.25)
    qtbot.keyClick(box, Qt.Key_1)
    assert box.area.effective_scale() == 1.0
    qtbot.keyClick(box, Qt.Key_0)
    assert box.area.effective_scale() == pytest.approx(fit)
    # compare: C pins this image, the partner is the next one; S switches to swipe
    qtbot.keyClick(box, Qt.Key_C)
    assert box.shown_ids() == [panel.model.ids[1], panel.model.ids[2]]
    qtbot.waitUntil(lambda: all(im is not None for im in box.area.images), timeout=10000)
    assert len(box.area.panes()) == 2
    side = box.area.grab().toImage()
    qtbot.keyClick(box, Qt.Key_S)
    assert box.area.mode == "swipe" and len(box.area.panes()) == 1
    qtbot.mouseClick(box.area, Qt.LeftButton, pos=QPoint(box.area.width() // 4, box.area.height() // 2))
    assert box.area.divider == pytest.approx(0.25, abs=0.01)
    assert box.area.grab().toImage() != side
    qtbot.keyClick(box, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=2000)


def test_trash_view_browse_restore_delete_forever_empty(qtbot, window, monkeypatch):
    """Point 4."""
    panel = window.gallery
    ids = panel.model.ids[:3]
    panel.select_ids(ids)
    qtbot.keyClick(panel.view, Qt.Key_Delete)
    assert panel.model.rowCount() == N - 3
    assert panel.trash_button.text() == "Trash (3)"
    panel.undo_stack.clear()  # the Undo bar is gone: the trash view is the way back
    panel.trash_button.click()
    trash = panel.trash_dialog
    qtbot.waitExposed(trash)
    assert sorted(trash.model.ids) == sorted(ids) and trash.count_label.text() == "3 images in the trash"
    trash.view.setCurrentIndex(trash.model.index(trash.model.row_of(ids[0])))
    trash.restore_button.click()
    assert panel.model.row_of(ids[0]) >= 0 and trash.model.rowCount() == 2
    assert panel.trash_button.text() == "Trash (2)"
    answers = []

    def answer(box_self):
        answers.append(box_self.text())
        for b in box_self.buttons():
            if box_self.buttonRole(b) == (QMessageBox.DestructiveRole if len(answers) > 1 else QMessageBox.RejectRole):
                box_self.setProperty("_clicked", True)
                box_self._picked = b
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    monkeypatch.setattr(QMessageBox, "clickedButton", lambda box_self: getattr(box_self, "_picked", None))
    trash.view.setCurrentIndex(trash.model.index(0))
    trash.purge_button.click()  # first question: cancelled
    assert trash.model.rowCount() == 2 and "for good" in answers[0]
    trash.purge_button.click()  # confirmed
    assert trash.model.rowCount() == 1
    trash.empty_button.click()
    assert "all 1 image" in answers[-1]
    assert trash.model.rowCount() == 0 and trash.count_label.text() == "The trash is empty."
    assert panel.trash_button.text() == "Trash"
    assert panel.model.rowCount() == N - 2


def test_full_gallery_view_toggles_with_a_key_and_gives_room_at_720p(qtbot, window):
    """Point 2: at 1280x720 the key gives the gallery the window; the detail text stays readable."""
    window.resize(1280, 720)
    qtbot.wait(50)
    panel, view = window.gallery, grid(window)
    docked_rows = view.viewport().height() / view.gridSize().height()
    assert panel.detail.params_text.height() >= panel.detail.params_text.fontMetrics().lineSpacing() * 6
    # docked: one row of actions (the rest behind "⋯"), so the grid keeps the height
    assert panel.detail.more_button.isVisible() and not panel.detail.buttons["export"].isVisible()
    window.activateWindow()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    assert window.gallery_view.is_active()
    qtbot.wait(50)
    assert not window.canvas_panel.isVisible() and not window.prompt_dock.isVisible()
    assert window.gallery_dock.width() > 1200
    assert panel.splitter.orientation() == Qt.Horizontal and panel.boards.isVisible()
    assert panel.detail.buttons["export"].isVisible() and not panel.detail.more_button.isVisible()
    full_rows = view.viewport().height() / view.gridSize().height()
    assert full_rows > docked_rows and full_rows >= 3
    assert view.columns() >= 5  # 112 px thumbnails across ~70% of 1280 px
    qtbot.keyClick(view, Qt.Key_G, Qt.ControlModifier)
    assert not window.gallery_view.is_active()
    qtbot.wait(50)
    assert window.canvas_panel.isVisible() and window.prompt_dock.isVisible()
    assert panel.splitter.orientation() == Qt.Vertical


def test_dock_width_does_not_grow_with_long_text(qtbot, window, studio_home):
    """Point 7."""
    panel = window.gallery
    window.resizeDocks([window.gallery_dock], [360], Qt.Horizontal)
    qtbot.wait(50)
    before = window.gallery_dock.width()
    panel.status.emit("Exported 12 image(s) to /a/very/long/folder/" + "deeper/" * 60)
    long_prompt = "a castle " * 200
    with Library.open(studio_home) as lib:
        from studio.bench.library import sample_generated
        from studio.engine.events import GeneratedImage

        g = sample_generated(999, 48)
        g = GeneratedImage(g.image, g.seed, 0, type(g.request)(prompt=long_prompt, seed=g.seed), "a-model-with-a-really-long-name-" * 4, "0", 0.1)
        entry = lib.add_generated(g)
    panel.add_entry(entry)
    panel.select_ids([entry.id])
    panel.filter_bar.more_button.setChecked(True)
    panel.filter_bar.boards_button.setChecked(True)
    qtbot.wait(100)
    assert window.gallery_dock.width() <= before + 2
    assert panel.minimumSizeHint().width() < 360
    assert panel.message_label.full_text().startswith("Exported 12")
    assert panel.message_label.text().endswith("…")


def test_export_dialog_count_quality_lossless_resize_names_and_modes(qtbot, window, tmp_path):
    """Point 6."""
    import os
    import stat

    from PIL import Image

    panel = window.gallery
    ids = panel.model.ids[:3]
    panel.select_ids(ids)
    dialog = panel.export_dialog()
    assert dialog.count_label.text() == "3 images will be exported."
    dialog.format.setCurrentIndex(dialog.format.findData("webp"))
    dialog.lossless.setChecked(True)
    assert not dialog.quality.isEnabled()
    dialog.template.setEditText("{seed}_{id}")
    first = panel.library.get(ids[0])
    assert dialog.names_preview.text().splitlines()[0] == f"{first.seed}_{first.id}.webp"
    dialog.template.setEditText("{nope}")
    assert "Unknown field" in dialog.names_preview.text()
    assert not dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()
    dialog.template.setEditText("{id}")
    dialog.resize_combo.setCurrentIndex(dialog.resize_combo.findData(2.0))
    values = dialog.values()
    assert values["lossless"] and values["scale"] == 2.0 and values["fmt"] == "webp"
    old = os.umask(0o022)
    try:
        with qtbot.waitSignal(panel.exported, timeout=30000) as sig:
            panel.export_selected(tmp_path / "out", ids=ids, **values)
    finally:
        os.umask(old)
    paths = sig.args[0]
    assert sorted(p.name for p in paths) == sorted(f"{i}.webp" for i in ids)
    src = np.asarray(Image.open(first.path).convert("RGB"))
    out = Image.open(tmp_path / "out" / f"{first.id}.webp")
    assert out.size == (96, 96)
    assert np.array_equal(np.asarray(out.convert("RGB").resize((48, 48), Image.NEAREST)).shape, src.shape)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in paths)


def test_search_cjk_and_filters_from_the_filter_bar(qtbot, window, studio_home):
    """Point 8."""
    panel = window.gallery
    with Library.open(studio_home) as lib:
        from studio.engine.events import GeneratedImage
        from studio.bench.library import sample_generated

        g = sample_generated(500, 48)
        star = lib.add_generated(GeneratedImage(g.image, 4242, 0, type(g.request)(prompt="一颗红色的星星 <lora:ink:0.5>", seed=4242), "zh", "0", 0.1))
        masked = lib.add_generated(g, mask=np.full((48, 48), 255, np.uint8))
    panel.refresh()
    fb = panel.filter_bar
    panel.search_box.insert("星星")  # QTest types ASCII only; an input method inserts like this
    qtbot.waitUntil(lambda: panel.model.ids == [star.id], timeout=3000)
    panel.search_box.clear()
    fb.more_button.setChecked(True)
    qtbot.keyClicks(fb.seed_edit, "4242")
    qtbot.waitUntil(lambda: panel.model.ids == [star.id], timeout=3000)
    fb.seed_edit.clear()
    qtbot.keyClicks(fb.lora_edit, "ink")
    qtbot.waitUntil(lambda: panel.model.ids == [star.id], timeout=3000)
    fb.lora_edit.clear()
    fb.mask_check.setChecked(True)
    qtbot.waitUntil(lambda: panel.model.ids == [masked.id], timeout=3000)
    fb.mask_check.setChecked(False)
    qtbot.waitUntil(lambda: panel.model.rowCount() == N + 2, timeout=3000)
    fb.size_combo.showPopup()  # the sizes are read when the list opens
    fb.size_combo.hidePopup()
    fb.size_combo.setCurrentIndex(fb.size_combo.findData("48x48"))
    assert panel.model.rowCount() == N + 2
    fb.size_combo.setCurrentIndex(0)
    # sorts: seed ascending, model, rating (keys 0-5 rate the selection)
    fb.sort_combo.setCurrentIndex(fb.sort_combo.findData("seed"))
    seeds = [panel.library.get(i).seed for i in panel.model.ids]
    assert seeds == sorted(seeds)
    fb.sort_combo.setCurrentIndex(fb.sort_combo.findData("model"))
    models = [panel.library.get(i).model.lower() for i in panel.model.ids]
    assert models == sorted(models)
    fb.sort_combo.setCurrentIndex(fb.sort_combo.findData("rating"))
    last = panel.model.ids[-1]
    panel.select_ids([last])
    qtbot.keyClick(panel.view, Qt.Key_4)
    assert panel.model.ids[0] == last and panel.library.get(last).rating == 4


def test_boards_rename_delete_drop_move_and_bulk_actions(qtbot, window, monkeypatch):
    """Point 5: Ctrl+A selects the whole filter; bulk favourite, board, export, delete."""
    panel, view = window.gallery, grid(window)
    qtbot.mouseMove(view.viewport(), view.viewport().rect().center())  # the pointer on the grid, not the canvas
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
    assert len(panel.selected_ids()) == N and f"{N} selected" in panel.count_label.text()
    qtbot.keyClick(view, Qt.Key_F)
    assert panel.library.count(favourite=True) == N
    panel.add_to_board("Keepers")
    assert dict(panel.library.boards()) == {"Keepers": N}
    panel.filter_bar.boards_button.setChecked(True)
    boards = panel.boards
    assert [boards.item(i).text() for i in range(boards.count())] == ["All images", f"Keepers  ({N})"]
    # drop three images on a new board
    panel.library.create_board("Print")
    boards.fill()
    mime = QMimeData()
    mime.setData(IDS_MIME, ",".join(str(i) for i in panel.model.ids[:3]).encode())
    item_rect = boards.visualItemRect(boards.item(2))
    drop = QDropEvent(QPointF(item_rect.center()), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    boards.dropEvent(drop)
    assert dict(panel.library.boards())["Print"] == 3
    assert boards.item(2).text() == "Print  (3)"
    # view a board, move two images out of it, rename, delete (images kept)
    boards.itemClicked.emit(boards.item(2))
    assert panel.board_combo.currentData() == "Print" and panel.model.rowCount() == 3
    panel.select_ids(panel.model.ids[:2])
    panel.move_to_board("Keepers")
    assert panel.model.rowCount() == 1 and dict(panel.library.boards())["Print"] == 1
    boards.rename("Print", "Prints")
    assert panel.board_combo.currentData() == "Prints" and panel.model.rowCount() == 1
    boards.delete("Prints")
    assert dict(panel.library.boards()) == {"Keepers": N}
    assert panel.model.rowCount() == N  # back on all images, none deleted
    # bulk export and delete of the whole filter
    qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
    dialog = panel.export_dialog()
    assert dialog.count_label.text() == f"{N} images will be exported."
    menu = panel.context_menu()
    assert f"Delete {N}\tDel" in [a.text() for a in menu.actions()]
    qtbot.keyClick(view, Qt.Key_Delete)
    assert panel.model.rowCount() == 0 and panel.trash_button.text() == f"Trash ({N})"
