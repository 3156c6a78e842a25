"""The "only masked" crop box on the canvas: shown while painting and generating, draggable and resizable.

In "Only masked" mode the model repaints a crop: the mask's bounds plus padding,
grown to the model's aspect ratio (:func:`studio.engine.masks.crop_box`). The
box is drawn over the canvas (two-tone dashes, a label with the size it runs at)
so the area is never a surprise. Dragging its edge moves it, dragging a corner
resizes it, as InvokeAI's bounding box; a moved box goes into the request
(``inpaint_box``). Double-clicking it goes back to the automatic box.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsObject

from studio.engine import masks as M
from studio.engine.request import InpaintArea

GRAB_PX = 7  # screen pixels either side of the border that grab it
MIN_SIDE = 8


class CropBoxItem(QGraphicsObject):
    """The box in image coordinates; ``edited(tuple)`` when the user moved or resized it."""

    edited = Signal(tuple)
    reset_requested = Signal()
    grabs_mouse = True  # the canvas lets this item take presses on its border before the tool

    def __init__(self, parent=None):
        super().__init__(parent)
        self._box = QRectF()
        self._label = ""
        self._drag: tuple[str, QPointF, QRectF] | None = None
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self.setAcceptHoverEvents(True)
        self.setVisible(False)

    def box(self) -> tuple[int, int, int, int]:
        r = self._box
        return (round(r.left()), round(r.top()), round(r.right()), round(r.bottom()))

    def set_box(self, box, label: str = "") -> None:
        self.prepareGeometryChange()
        x0, y0, x1, y1 = box
        self._box = QRectF(x0, y0, x1 - x0, y1 - y0)
        self._label = label
        self.update()

    # -- geometry ----------------------------------------------------------------------------

    def _zoom(self) -> float:
        views = self.scene().views() if self.scene() is not None else []
        return max(1e-3, views[0].transform().m11()) if views else 1.0

    def _grab(self) -> float:
        return GRAB_PX / self._zoom()

    def boundingRect(self) -> QRectF:
        g = self._grab() + 2
        return self._box.adjusted(-g, -g - 18 / self._zoom(), g, g)

    def shape(self) -> QPainterPath:
        """The border band only: presses inside the box still paint the mask."""
        path = QPainterPath()
        path.addRect(self._box)
        stroker = QPainterPathStroker()
        stroker.setWidth(2 * self._grab())
        return stroker.createStroke(path)

    def _part(self, pos: QPointF) -> str:
        g = 2 * self._grab()
        r = self._box
        near_x = "l" if abs(pos.x() - r.left()) <= g else "r" if abs(pos.x() - r.right()) <= g else ""
        near_y = "t" if abs(pos.y() - r.top()) <= g else "b" if abs(pos.y() - r.bottom()) <= g else ""
        return near_y + near_x if near_x and near_y else "move"

    # -- look ----------------------------------------------------------------------------------

    def paint(self, painter, option, widget=None) -> None:
        painter.setBrush(Qt.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 220), 0))
        painter.drawRect(self._box)
        dashes = QPen(QColor(255, 214, 90), 0, Qt.DashLine)
        painter.setPen(dashes)
        painter.drawRect(self._box)
        s = 4 / self._zoom()
        painter.setBrush(QColor(255, 214, 90))
        for corner in (self._box.topLeft(), self._box.topRight(), self._box.bottomLeft(), self._box.bottomRight()):
            painter.drawRect(QRectF(corner.x() - s, corner.y() - s, 2 * s, 2 * s))
        if self._label:
            painter.save()
            top_left = painter.transform().map(self._box.topLeft())
            painter.resetTransform()
            painter.setPen(QColor(255, 214, 90))
            painter.drawText(top_left + QPointF(2, -4), self._label)
            painter.restore()

    def hoverMoveEvent(self, event) -> None:
        part = self._part(event.pos())
        shapes = {"move": Qt.SizeAllCursor, "tl": Qt.SizeFDiagCursor, "br": Qt.SizeFDiagCursor}
        self.setCursor(shapes.get(part, Qt.SizeBDiagCursor))

    # -- dragging -----------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        self._drag = (self._part(event.pos()), event.pos(), QRectF(self._box))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._drag is None:
            return
        part, start, box = self._drag
        d = event.pos() - start
        r = QRectF(box)
        if part == "move":
            r.translate(d)
        else:
            if "l" in part:
                r.setLeft(min(r.left() + d.x(), r.right() - MIN_SIDE))
            if "r" in part:
                r.setRight(max(r.right() + d.x(), r.left() + MIN_SIDE))
            if "t" in part:
                r.setTop(min(r.top() + d.y(), r.bottom() - MIN_SIDE))
            if "b" in part:
                r.setBottom(max(r.bottom() + d.y(), r.top() + MIN_SIDE))
        self.set_box((r.left(), r.top(), r.right(), r.bottom()), self._label)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is not None:
            self._drag = None
            self.edited.emit(self.box())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        self.reset_requested.emit()
        event.accept()


class CropBox:
    """Keeps the crop box of a mask controller current; ``request_box()`` is the user's box or None."""

    def __init__(self, masking, native_size):
        self.masking = masking
        self.native_size = native_size  # callable -> (w, h) or None
        self.item = CropBoxItem()
        masking.canvas.add_overlay(self.item, z=900)
        self._user_box: tuple[int, int, int, int] | None = None
        self.item.edited.connect(self._edited)
        self.item.reset_requested.connect(self.reset)
        p = masking.panel
        masking.state_changed.connect(self.update)
        p.area_combo.currentIndexChanged.connect(lambda _i: self.update())
        p.padding_spin.valueChanged.connect(lambda _v: self.update())
        masking.canvas.image_changed.connect(lambda _s: self.reset())

    def _edited(self, box) -> None:
        w, h = self.masking.mask.width, self.masking.mask.height
        x0, y0, x1, y1 = box
        x0, y0 = max(0, min(x0, w - MIN_SIDE)), max(0, min(y0, h - MIN_SIDE))
        self._user_box = (x0, y0, max(x0 + MIN_SIDE, min(x1, w)), max(y0 + MIN_SIDE, min(y1, h)))
        self.update()

    def reset(self) -> None:
        self._user_box = None
        self.update()

    def only_masked(self) -> bool:
        return InpaintArea(self.masking.panel.area_combo.currentData()) is InpaintArea.ONLY_MASKED

    def auto_box(self) -> tuple[int, int, int, int] | None:
        m = self.masking
        support = M.bbox(m.mask.data) if m.has_mask() else None
        native = self.native_size()
        if support is None or not native:
            return None
        return M.crop_box(support, m.panel.padding_spin.value(), (m.mask.width, m.mask.height), native[0] / native[1])

    def request_box(self) -> tuple[int, int, int, int] | None:
        return self._user_box if self.only_masked() else None

    def update(self) -> None:
        box = self._user_box or self.auto_box()
        show = self.only_masked() and self.masking.mask_active() and box is not None
        if show:
            native = self.native_size()
            size = M.generation_size((box[2] - box[0], box[3] - box[1]), native, 8)
            kind = "your box" if self._user_box else "auto"
            self.item.set_box(box, f"{box[2] - box[0]}x{box[3] - box[1]} → runs at {size[0]}x{size[1]} ({kind})")
        self.item.setVisible(show)
