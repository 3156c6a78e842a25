"""Dragging the canvas image out as a file, and dropping image files on the canvas."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDrag, QPixmap

from studio.ui.images import is_image_file


class CanvasDragDrop:
    """Mixed into :class:`studio.ui.canvas.CanvasView`."""

    def _start_drag(self) -> None:
        mime = QMimeData()
        if self._path and Path(self._path).is_file():
            mime.setUrls([QUrl.fromLocalFile(self._path)])
        if self._image is not None:
            mime.setImageData(self._image)
        drag = QDrag(self)
        if self._image is not None:
            drag.setPixmap(QPixmap.fromImage(self._image).scaled(96, 96, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        drag.setMimeData(mime)
        drag.exec(Qt.CopyAction)

    @staticmethod
    def _dropped_file(mime: QMimeData) -> str | None:
        for url in mime.urls():
            if url.isLocalFile() and is_image_file(url.toLocalFile()):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:
        if event.source() is not self and self._dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.source() is not self and self._dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = self._dropped_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.image_dropped.emit(path)
        else:
            event.ignore()
