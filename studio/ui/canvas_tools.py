"""The canvas's tool protocol and its undoable image change (see :mod:`studio.ui.canvas`)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap, QUndoCommand
from PySide6.QtWidgets import QGraphicsView


class CanvasTool:
    """Base class of canvas tools; subclasses override what they need.

    ``pos`` is in image coordinates (QPointF); ``event`` is the QMouseEvent.
    Return True when the event was used.
    """

    cursor: Qt.CursorShape | None = None

    def activate(self, canvas: QGraphicsView) -> None:
        """Called by ``set_tool`` when the tool becomes active."""

    def deactivate(self, canvas: QGraphicsView) -> None:
        """Called when another tool (or none) replaces this one."""

    def press(self, pos: QPointF, event) -> bool:
        return False

    def move(self, pos: QPointF, event) -> bool:
        return False

    def release(self, pos: QPointF, event) -> bool:
        return False


class SetImageCommand(QUndoCommand):
    """One change of the canvas image, undoable."""

    def __init__(self, canvas: QGraphicsView, image: QImage, path: str | None, text: str = "Change image"):
        super().__init__(text)
        self.canvas = canvas
        self.new = (image, path)
        self.old = (canvas.current_image(), canvas.current_path())

    def redo(self) -> None:
        self.canvas._show_image(*self.new)

    def undo(self) -> None:
        self.canvas._show_image(*self.old)


def checker_brush(square: int) -> QBrush:
    """A checkerboard brush of ``square``-pixel squares (shown under images, for transparency)."""
    pix = QPixmap(square * 2, square * 2)
    pix.fill(QColor("#3a3f47"))
    p = QPainter(pix)
    p.fillRect(0, 0, square, square, QColor("#2c3037"))
    p.fillRect(square, square, square, square, QColor("#2c3037"))
    p.end()
    return QBrush(pix)
