"""The virtualized grid: a QListView in a wrapping left-to-right flow with uniform cells.

Qt paints only the cells in the viewport, so only their thumbnails are asked
for; after each scroll the loader is told which ids are still visible.

The grid is stable: the vertical scroll bar is always there (so its appearing
cannot change the width and flip the column count), the column count follows
the viewport width only, and every re-layout (resize, thumbnail size, a new
image, a refresh) keeps the item under the pointer where it was.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QListView

from studio.ui.gallery.delegate import MARGIN, ThumbnailDelegate
from studio.ui.gallery.model import IdRole

MIN_THUMB, MAX_THUMB, DEFAULT_THUMB = 64, 256, 112  # 112: two columns in the default dock
WRAP_SLACK = 4  # QListView wraps a hair before the right edge


class GalleryView(QListView):
    files_dropped = Signal(list)  # local paths dropped in from other apps
    delete_pressed = Signal()
    undo_pressed = Signal()
    favourite_pressed = Signal()
    activated_entry = Signal()  # Enter / double-click: open the lightbox
    rate_pressed = Signal(int)  # keys 0-5

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("galleryGrid")
        self.setViewMode(QListView.ListMode)
        self.setFlow(QListView.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.SinglePass)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOn)  # its width never changes the columns
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDrop)
        self.setDefaultDropAction(Qt.CopyAction)
        self.setMouseTracking(False)
        self.thumb_delegate = ThumbnailDelegate(self, DEFAULT_THUMB)
        self.setItemDelegate(self.thumb_delegate)
        self._retain_timer = QTimer(self, singleShot=True, interval=50)
        self._retain_timer.timeout.connect(self._retain_visible)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._retain_timer.start())
        self.set_thumb_size(DEFAULT_THUMB)

    def set_thumb_size(self, px: int) -> None:
        px = max(MIN_THUMB, min(MAX_THUMB, int(px)))
        anchor = self.anchor()
        self.thumb_delegate.set_size(px)
        self._fit_columns()
        self.verticalScrollBar().setSingleStep(max(8, (px + 2 * MARGIN) // 4))
        self.scheduleDelayedItemsLayout()
        self.restore_anchor(anchor)
        self.viewport().update()

    def columns(self) -> int:
        """How many cells a row holds at the current width (a function of the width alone)."""
        cell = self.thumb_delegate.size + 2 * MARGIN
        return max(1, (self.viewport().width() - WRAP_SLACK) // cell)

    def _fit_columns(self) -> None:
        """Stretch the cells so the columns fill the width (no ragged gap on the right)."""
        cell = self.thumb_delegate.size + 2 * MARGIN
        cell_w = max(cell, (self.viewport().width() - WRAP_SLACK) // self.columns())
        if self.gridSize() != QSize(cell_w, cell):
            self.setGridSize(QSize(cell_w, cell))

    def resizeEvent(self, event) -> None:
        anchor = self.anchor()
        self._fit_columns()
        super().resizeEvent(event)
        self.restore_anchor(anchor)

    # -- keeping the item under the pointer in place ---------------------------------------

    def anchor(self) -> tuple[int, int] | None:
        """(id, its cell's top in the viewport) for the item under the pointer, else the
        current item when visible, else the first visible one; None at the very top."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return None
        index = None
        pos = self.viewport().mapFromGlobal(QCursor.pos())
        if self.viewport().rect().contains(pos):
            index = self.indexAt(pos)
        if (index is None or not index.isValid()) and self.currentIndex().isValid():
            rect = self.visualRect(self.currentIndex())
            if rect.intersects(self.viewport().rect()):
                index = self.currentIndex()
        if index is None or not index.isValid():
            if self.verticalScrollBar().value() == 0:
                return None  # at the top: stay at the top (new images show)
            rows = self.visible_rows()
            if not rows:
                return None
            index = model.index(rows[0], 0)
        return index.data(IdRole), self.visualRect(index).top()

    def restore_anchor(self, anchor: tuple[int, int] | None) -> None:
        """Scroll so the anchor's cell is back at the same height (after a re-layout)."""
        model = self.model()
        if anchor is None or model is None:
            return
        row = model.row_of(anchor[0]) if hasattr(model, "row_of") else -1
        if row < 0:
            return
        self.executeDelayedItemsLayout()
        rect = self.visualRect(model.index(row, 0))
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + rect.top() - anchor[1])

    def thumb_size(self) -> int:
        return self.thumb_delegate.size

    def visible_rows(self) -> range:
        """Rows whose cells intersect the viewport (what a paint asks thumbnails for)."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return range(0)
        vp = self.viewport().rect()
        first = self.indexAt(QPoint(MARGIN + 1, MARGIN + 1))
        start = first.row() if first.isValid() else 0
        # step back to the start of that line (the top-left point may fall in a gap)
        while start > 0 and self.visualRect(model.index(start - 1, 0)).intersects(vp):
            start -= 1
        end = start
        count = model.rowCount()
        while end < count:
            rect = self.visualRect(model.index(end, 0))
            if rect.top() >= vp.bottom():
                break
            end += 1
        return range(start, end)

    def visible_ids(self) -> set[int]:
        model = self.model()
        return {model.index(r, 0).data(IdRole) for r in self.visible_rows()}

    def _retain_visible(self) -> None:
        model = self.model()
        loader = getattr(model, "loader", None)
        if loader is not None:
            loader.retain(self.visible_ids())

    # -- keyboard, drag and drop --------------------------------------------------------

    def _own_key(self, event) -> str | None:
        if event.matches(QKeySequence.Undo):
            return "undo"
        mods = event.modifiers() & ~Qt.KeypadModifier
        if event.key() in (Qt.Key_Delete, Qt.Key_Backspace) and not mods:
            return "delete"
        if event.key() == Qt.Key_F and not mods:
            return "favourite"
        if event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space) and not mods:
            return "activate"
        if Qt.Key_0 <= event.key() <= Qt.Key_5 and not mods:
            return f"rate{event.key() - Qt.Key_0}"
        return None

    def event(self, event) -> bool:
        # Keys the grid handles itself win over window-wide shortcuts (e.g. the canvas's Ctrl+Z).
        if event.type() == QEvent.ShortcutOverride and self._own_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        key = self._own_key(event)
        if key == "undo":
            self.undo_pressed.emit()
        elif key == "delete":
            self.delete_pressed.emit()
        elif key == "favourite":
            self.favourite_pressed.emit()
        elif key == "activate":
            self.activated_entry.emit()
        elif key is not None and key.startswith("rate"):
            self.rate_pressed.emit(int(key[4:]))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        super().mouseDoubleClickEvent(event)
        if self.indexAt(event.position().toPoint()).isValid():
            self.activated_entry.emit()

    def _external_paths(self, event) -> list[str]:
        if event.source() is self or not event.mimeData().hasUrls():
            return []
        return [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._external_paths(event):
            event.setDropAction(Qt.CopyAction)
            event.accept()
        elif event.source() is self:
            event.ignore()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._external_paths(event):
            event.setDropAction(Qt.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._external_paths(event)
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.CopyAction)
        event.accept()
        self.files_dropped.emit([str(Path(p)) for p in paths])
