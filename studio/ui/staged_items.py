"""What a staged result looks like on the canvas: the image item and the compare split line.

Both are canvas overlays in image coordinates (see :mod:`studio.ui.canvas`).
:class:`StagedImageItem` (z 3: above the canvas image, under an inpaint preview
and the mask) paints the staged result whole, only right of the split (split
compare) or beside the image (side by side). :class:`SplitHandle` (z 950, above
the mask, so the canvas hands it the mouse before any tool) is the line the
user drags; it reports the new split as a fraction of the width.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

SIDE_GAP = 16  # image pixels between the image and the staged result, side by side
HANDLE_PX = 14  # screen pixels either side of the split line that grab it


class StagedImageItem(QGraphicsItem):
    """The staged result over (or beside) the canvas image."""

    def __init__(self):
        super().__init__()
        self._pixmap = QPixmap()
        self._split: float | None = None  # None: the whole image; else the fraction of the width left uncovered
        self.setAcceptedMouseButtons(Qt.NoButton)  # clicks go to the canvas's tools

    def set_image(self, image: QImage | None) -> None:
        self.prepareGeometryChange()
        self._pixmap = QPixmap.fromImage(image) if image is not None else QPixmap()
        self.update()

    def set_split(self, fraction: float | None) -> None:
        self._split = fraction
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._pixmap.width(), self._pixmap.height())

    def paint(self, painter, option, widget=None) -> None:
        if self._pixmap.isNull():
            return
        if self._split is None:
            painter.drawPixmap(0, 0, self._pixmap)
            return
        x = round(self._split * self._pixmap.width())
        width = self._pixmap.width() - x
        if width > 0:
            painter.drawPixmap(QRectF(x, 0, width, self._pixmap.height()), self._pixmap,
                               QRectF(x, 0, width, self._pixmap.height()))


class SplitHandle(QGraphicsObject):
    """The compare line: drag it left or right (the canvas gives it the mouse before a mask tool)."""

    moved = Signal(float)  # the split as a fraction of the width, 0..1
    grabs_mouse = True  # read by CanvasView.mousePressEvent

    def __init__(self):
        super().__init__()
        self._width = 0
        self._height = 0
        self._fraction = 0.5
        self._zoom = 1.0
        self.setCursor(Qt.SplitHCursor)
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self.setAcceptHoverEvents(True)

    def set_geometry(self, width: int, height: int, fraction: float) -> None:
        self.prepareGeometryChange()
        self._width, self._height, self._fraction = width, height, fraction
        self.update()

    def set_zoom(self, zoom: float) -> None:
        self.prepareGeometryChange()
        self._zoom = max(zoom, 1e-3)

    def line_x(self) -> float:
        return self._fraction * self._width

    def boundingRect(self) -> QRectF:
        reach = HANDLE_PX / self._zoom
        return QRectF(self.line_x() - reach, 0, 2 * reach, self._height)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def paint(self, painter, option, widget=None) -> None:
        x = self.line_x()
        for colour, width in ((QColor(0, 0, 0, 160), 4), (QColor("#f5f7fa"), 2)):
            pen = QPen(colour, width)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, 0), QPointF(x, self._height))
        r = 7 / self._zoom  # a knob of constant screen size halfway down
        painter.setBrush(QColor("#f5f7fa"))
        painter.drawEllipse(QPointF(x, self._height / 2), r, r)

    def mousePressEvent(self, event) -> None:
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._width > 0:
            self.moved.emit(min(1.0, max(0.0, event.scenePos().x() / self._width)))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        event.accept()
