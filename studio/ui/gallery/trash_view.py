"""The Trash: browse deleted images, restore them, delete some for good, or empty it (after asking)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from studio.library import Library
from studio.ui.gallery.model import GalleryModel
from studio.ui.gallery.thumbnails import ThumbnailLoader
from studio.ui.gallery.view import GalleryView


class TrashDialog(QDialog):
    """``changed`` fires after a restore or a purge (the gallery refreshes its view and count)."""

    changed = Signal()

    def __init__(self, library: Library, loader: ThumbnailLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("galleryTrash")
        self.setWindowTitle("Trash")
        self.library = library
        self.model = GalleryModel(library, loader, self)
        self.view = GalleryView(self)
        self.view.setObjectName("trashGrid")
        self.view.setDragEnabled(False)
        self.view.setModel(self.model)
        self.count_label = QLabel("", objectName="trashCount")
        self.restore_button = QPushButton("Restore", objectName="trashRestore")
        self.purge_button = QPushButton("Delete forever…", objectName="trashPurge")
        self.empty_button = QPushButton("Empty trash…", objectName="trashEmpty")
        self.restore_button.setToolTip("Put the selected images back in the gallery")
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        for b in (self.restore_button, self.purge_button, self.empty_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.restore_button.clicked.connect(self.restore_selected)
        self.purge_button.clicked.connect(self.purge_selected)
        self.empty_button.clicked.connect(self.empty)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.view.delete_pressed.connect(self.purge_selected)
        self.resize(760, 560)
        self.reload()

    def reload(self) -> None:
        self.model.set_query("", trashed=True)
        self._update()

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.model.ids[r] for r in rows if r < len(self.model.ids)]

    def _update(self) -> None:
        n = self.model.rowCount()
        selected = len(self.selected_ids())
        text = "The trash is empty." if n == 0 else f"{n:,} image{'s' if n != 1 else ''} in the trash"
        if selected:
            text += f" · {selected} selected"
        self.count_label.setText(text)
        self.restore_button.setEnabled(selected > 0)
        self.purge_button.setEnabled(selected > 0)
        self.empty_button.setEnabled(n > 0)

    def _confirm(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Warning, "Trash", text, QMessageBox.Cancel, self)
        box.setObjectName("trashConfirm")
        delete = box.addButton("Delete forever", QMessageBox.DestructiveRole)
        box.setDefaultButton(QMessageBox.Cancel)
        box.exec()
        return box.clickedButton() is delete

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.library.restore(ids)
            self._after_change()

    def purge_selected(self) -> None:
        ids = self.selected_ids()
        n = len(ids)
        if ids and self._confirm(f"Delete {n} image{'s' if n != 1 else ''} for good? This cannot be undone."):
            self.library.purge(ids)
            self._after_change()

    def empty(self) -> None:
        n = self.model.rowCount()
        if n and self._confirm(f"Delete all {n:,} image{'s' if n != 1 else ''} in the trash for good? This cannot be undone."):
            self.library.empty_trash()
            self._after_change()

    def _after_change(self) -> None:
        self.reload()
        self.changed.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)


__all__ = ["TrashDialog"]
