"""The board list: every board with its count; click filters the grid, drop images to add them
(Shift+drop moves them out of the board being viewed), right-click renames or deletes a board."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QListWidget, QListWidgetItem, QMenu, QMessageBox, QWidget

from studio.engine.errors import StudioError
from studio.library import Library

IDS_MIME = "application/x-studio-gallery-ids"
NameRole = Qt.UserRole + 10


def dropped_ids(mime) -> list[int]:
    if not mime.hasFormat(IDS_MIME):
        return []
    raw = bytes(mime.data(IDS_MIME)).decode()
    return [int(x) for x in raw.split(",") if x.strip().isdigit()]


class BoardList(QListWidget):
    """``chosen(name or "")`` when a board is clicked ("" = all images); ``changed`` after an edit;
    ``message(str)`` for the status line."""

    chosen = Signal(str)
    changed = Signal()
    message = Signal(str)

    def __init__(self, library: Library, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("galleryBoards")
        self.library = library
        self.current_board: str | None = None
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DropOnly)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemClicked.connect(lambda item: self.chosen.emit(item.data(NameRole) or ""))
        self.setMinimumWidth(110)
        self.fill()

    def fill(self, boards: list[tuple[str, int]] | None = None) -> None:
        boards = self.library.boards() if boards is None else boards
        self.clear()
        first = QListWidgetItem("All images")
        first.setData(NameRole, None)
        self.addItem(first)
        for name, n in boards:
            item = QListWidgetItem(f"{name}  ({n})")
            item.setData(NameRole, name)
            item.setToolTip(f"{name}: {n} image{'s' if n != 1 else ''}. Drop images here to add them.")
            self.addItem(item)
            if name == self.current_board:
                item.setSelected(True)
        if self.current_board is None:
            first.setSelected(True)

    def counts(self) -> dict[str, int]:
        return dict(self.library.boards())

    # -- drops -----------------------------------------------------------------------------

    def _board_at(self, event) -> str | None:
        item = self.itemAt(event.position().toPoint())
        return item.data(NameRole) if item is not None else None

    def dragEnterEvent(self, event) -> None:
        if dropped_ids(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if dropped_ids(event.mimeData()) and self._board_at(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        ids, board = dropped_ids(event.mimeData()), self._board_at(event)
        if not ids or not board:
            event.ignore()
            return
        move = bool(event.modifiers() & Qt.ShiftModifier) and self.current_board not in (None, board)
        self.drop_on(board, ids, move=move)
        event.acceptProposedAction()

    def drop_on(self, board: str, ids: list[int], *, move: bool = False) -> None:
        if move and self.current_board:
            self.library.move_to_board(ids, self.current_board, board)
            self.message.emit(f"Moved {len(ids)} image(s) from {self.current_board} to {board}.")
        else:
            self.library.add_to_board(ids, board)
            self.message.emit(f"Added {len(ids)} image(s) to {board}.")
        self.changed.emit()

    # -- rename and delete -------------------------------------------------------------------

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        name = item.data(NameRole) if item is not None else None
        menu = QMenu(self)
        menu.addAction("New board…", self.ask_new)
        if name:
            menu.addAction(f"Rename {name}…", lambda: self.ask_rename(name))
            menu.addAction(f"Delete {name} (images are kept)", lambda: self.delete(name))
        menu.exec(self.viewport().mapToGlobal(pos))

    def ask_new(self) -> None:
        name, ok = QInputDialog.getText(self, "New board", "Board name:")
        if ok and name.strip():
            self.library.create_board(name.strip())
            self.changed.emit()

    def ask_rename(self, name: str) -> None:
        new, ok = QInputDialog.getText(self, "Rename board", "New name:", text=name)
        if ok and new.strip():
            self.rename(name, new.strip())

    def rename(self, old: str, new: str) -> None:
        try:
            self.library.rename_board(old, new)
        except StudioError as exc:
            QMessageBox.warning(self, "Rename board", str(exc))
            return
        if self.current_board == old:
            self.current_board = new
        self.changed.emit()

    def delete(self, name: str) -> None:
        self.library.delete_board(name)
        if self.current_board == name:
            self.current_board = None
            self.chosen.emit("")
        self.message.emit(f"Board {name} deleted; its images are still in the gallery.")
        self.changed.emit()


__all__ = ["IDS_MIME", "BoardList", "dropped_ids"]
