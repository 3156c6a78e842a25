"""What the gallery panel does to the images it shows: reuse, send, upscale, favourite, rate, copy, delete
with undo, boards, the context menu, the lightbox and the trash (a mixin of :class:`GalleryPanel`).

Everything here works on the panel's selection (``selected_ids``) and its library; it imports no
panel module, so the panel and its parts read in one direction.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog, QMenu

from studio.library import GalleryEntry
from studio.ui.gallery import actions
from studio.ui.gallery.commands import DeleteCommand


class PanelActions:
    """Needs ``library``, ``model``, ``view``, ``detail``, ``undo_stack``, ``status`` and the panel's
    ``selected_ids``/``current_entry``/``refresh``/``_fill_combos``."""

    def _targets(self) -> list[int]:
        ids = self.selected_ids()
        if not ids and self._current_id() is not None:
            ids = [self._current_id()]
        return ids

    def reuse_current(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        params = actions.reuse_params(entry)
        self.reuse_parameters.emit(params)
        self.status.emit(f"Parameters of image {entry.id} reused (seed {params.get('seed', 'random')}).")

    def send_current(self, purpose: str = "init") -> None:
        entry = self.current_entry()
        if entry is not None:
            self.send_to_canvas.emit(str(entry.path), purpose)

    def upscale_selected(self, scale: int) -> None:
        """Ask the window to upscale the selected images; each result becomes a new gallery image."""
        entries = self.library.get_many(self._targets())
        if entries:
            self.upscale_requested.emit([str(e.path) for e in entries], int(scale))

    def toggle_favourite(self) -> None:
        ids = self._targets()
        if not ids:
            return
        value = not all(e.favourite for e in self.library.get_many(ids))
        self.library.set_favourite(ids, value)
        self._entries_changed(ids, refilter=self.fav_button.isChecked())
        self.detail.set_favourite(value)
        if len(ids) > 1:
            self.status.emit(f"{len(ids)} images {'marked' if value else 'unmarked'} as favourite.")

    def set_rating(self, stars: int) -> None:
        ids = self._targets()
        if ids:
            self.library.set_rating(ids, stars)
            self._entries_changed(ids, refilter=self.sort_combo.currentData() == "rating")
            self.status.emit(f"Rated {len(ids)} image(s) {stars} star{'s' if stars != 1 else ''}." if stars else "Rating cleared.")

    def _entries_changed(self, ids: list[int], refilter: bool) -> None:
        if refilter:
            self.refresh()
            return
        for e in self.library.get_many(ids):
            self.model.update_entry(e)
        self._show_current()

    def copy_image(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        if not actions.copy_image(entry):
            self.status.emit(f"Could not read {entry.path.name}.")
            return
        self.status.emit("Image copied.")

    def parameters_text(self, entry: GalleryEntry) -> str:
        return actions.parameters_text(entry)

    def copy_parameters(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            QGuiApplication.clipboard().setText(self.parameters_text(entry))
            self.status.emit("Parameters copied.")

    def reveal_current(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            actions.reveal_in_file_manager(entry)

    # -- delete, undo, trash -------------------------------------------------------------------

    def delete_selected(self) -> None:
        ids = self._targets()
        if ids:
            self.undo_stack.push(DeleteCommand(self.library, ids, lambda select: self.refresh(select=select),
                                              self.status.emit))

    def undo(self) -> None:
        if self.undo_stack.canUndo():
            self.undo_stack.undo()

    def _update_undo_bar(self, _index: int = 0) -> None:
        try:
            if self._closed:
                return
            if self.undo_stack.canUndo():
                self.undo_label.setText(self.undo_stack.undoText() + " — moved to the trash.")
                self.undo_bar.show()
            else:
                self.undo_bar.hide()
            self._update_trash_button()
        except RuntimeError:  # the panel is being destroyed
            pass

    def _update_trash_button(self) -> None:
        n = self.library.trash_count()
        self.trash_button.setText(f"Trash ({n:,})" if n else "Trash")

    def open_trash(self):
        from studio.ui.gallery.trash_view import TrashDialog

        dialog = TrashDialog(self.library, self.loader, self)
        dialog.changed.connect(lambda: (self.undo_stack.clear(), self.refresh(), self._update_trash_button()))
        dialog.finished.connect(dialog.deleteLater)
        self.trash_dialog = dialog
        dialog.open()
        return dialog

    # -- the lightbox --------------------------------------------------------------------------

    def open_lightbox(self):
        """Show the current image large; arrows step through the current filter's order."""
        from studio.ui.gallery.lightbox import Lightbox

        current = self._current_id()
        if current is None:
            return None
        box = Lightbox(self.library, list(self.model.ids), self.model.row_of(current), self.window())
        box.current_changed.connect(self._lightbox_moved)
        ids = self.selected_ids()
        if len(ids) == 2:  # two selected: compare them straight away
            box.row = self.model.row_of(ids[0])
            box.set_compare(True)
            box.go(self.model.row_of(ids[1]))
        self.lightbox = box
        box.show()
        box.activateWindow()
        return box

    def _lightbox_moved(self, image_id: int) -> None:
        row = self.model.row_of(image_id)
        if row >= 0 and not self._closed:
            self.view.setCurrentIndex(self.model.index(row))
            self.view.scrollTo(self.model.index(row))

    # -- boards --------------------------------------------------------------------------------

    def add_to_board(self, name: str, ids: list[int] | None = None) -> None:
        ids = ids if ids is not None else self._targets()
        if ids and name.strip():
            self.library.add_to_board(ids, name)
            self._boards_changed()
            self.status.emit(f"Added {len(ids)} image(s) to {name}.")

    def move_to_board(self, name: str, ids: list[int] | None = None) -> None:
        source = self.board_combo.currentData()
        ids = ids if ids is not None else self._targets()
        if ids and source and name.strip():
            self.library.move_to_board(ids, source, name)
            self._boards_changed()
            self.refresh()
            self.status.emit(f"Moved {len(ids)} image(s) from {source} to {name}.")

    def remove_from_board(self, name: str, ids: list[int] | None = None) -> None:
        ids = ids if ids is not None else self._targets()
        self.library.remove_from_board(ids, name)
        self._boards_changed()
        if self.board_combo.currentData() == name:
            self.refresh()

    def _new_board(self, move: bool = False) -> None:
        name, ok = QInputDialog.getText(self, "New board", "Board name:")
        if ok and name.strip():
            (self.move_to_board if move else self.add_to_board)(name.strip())

    def _context_menu(self, pos) -> None:
        if not self.view.indexAt(pos).isValid():
            return
        self.context_menu().exec(self.view.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The grid's right-click menu, acting on the selection."""
        n = len(self._targets())
        current_board = self.board_combo.currentData()
        menu = QMenu(self)
        menu.addAction("Open\tEnter", self.open_lightbox)
        menu.addAction("Reuse parameters", self.reuse_current)
        menu.addAction("Send to canvas (img2img)", lambda: self.send_current("init"))
        menu.addAction("Send to canvas for inpainting", lambda: self.send_current("inpaint"))
        for scale in (2, 4):
            menu.addAction(f"Upscale {n} x{scale}" if n > 1 else f"Upscale x{scale}",
                           lambda s=scale: self.upscale_selected(s)).setObjectName(f"galleryUpscale{scale}")
        menu.addSeparator()
        menu.addAction("Toggle favourite\tF", self.toggle_favourite)
        rate = menu.addMenu("Rate")
        for stars in range(6):
            rate.addAction(("★" * stars or "No rating") + f"\t{stars}", lambda s=stars: self.set_rating(s))
        boards = [name for name, _n in self.library.boards()]
        add = menu.addMenu(f"Add {n} to board" if n > 1 else "Add to board")
        for name in boards:
            add.addAction(name, lambda b=name: self.add_to_board(b))
        add.addSeparator()
        add.addAction("New board…", self._new_board)
        if current_board:
            move = menu.addMenu(f"Move from {current_board} to")
            for name in boards:
                if name != current_board:
                    move.addAction(name, lambda b=name: self.move_to_board(b))
            move.addAction("New board…", lambda: self._new_board(move=True))
            menu.addAction(f"Remove from {current_board}", lambda: self.remove_from_board(current_board))
        menu.addSeparator()
        menu.addAction("Copy image", self.copy_image)
        menu.addAction("Copy parameters", self.copy_parameters)
        menu.addAction("Show in file manager", self.reveal_current)
        menu.addAction(f"Export {n}…" if n > 1 else "Export…", self.open_export_dialog)
        menu.addSeparator()
        menu.addAction(f"Delete {n}\tDel" if n > 1 else "Delete\tDel", self.delete_selected)
        return menu


__all__ = ["PanelActions"]
