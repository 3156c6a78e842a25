"""Mask painting tools for the canvas: round brush, eraser, rectangle and lasso.

A :class:`MaskTool` is a :class:`studio.ui.canvas.CanvasTool`: the canvas hands it
mouse press/move/release in image coordinates. Left button paints (adds to the
mask), right button erases, with every tool; the eraser mode makes the left
button erase too. ``[`` and ``]`` shrink and grow the brush.

Between two mouse events the brush is swept along the segment (exact distance
to the segment, :func:`studio.engine.masks.stamp_segment`), so a fast stroke or a
zoomed-out view leaves no gaps; only the segment's rectangle is stamped,
re-tinted and repainted. One stroke (press to release) is one undo command
holding only the changed tiles.
"""

from __future__ import annotations

import enum
import math

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem

from studio.engine import masks as M
from studio.ui.canvas import CanvasTool
from studio.ui.mask_undo import TILE, MaskEditCommand

MIN_SIZE, MAX_SIZE = 1, 1024  # brush diameter in image pixels (the mask and the paint brush)


class ToolMode(str, enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    RECT = "rect"
    LASSO = "lasso"


class MaskToolSettings(QObject):
    """Brush size (diameter, image pixels), hardness (0..1) and the active mode."""

    changed = Signal()

    def __init__(self, size: int = 40, hardness: float = 0.8, mode: ToolMode = ToolMode.BRUSH, parent=None):
        super().__init__(parent)
        self._size, self._hardness, self._mode = int(size), float(hardness), ToolMode(mode)

    @property
    def size(self) -> int:
        return self._size

    @size.setter
    def size(self, value: int) -> None:
        value = max(MIN_SIZE, min(MAX_SIZE, int(round(value))))
        if value != self._size:
            self._size = value
            self.changed.emit()

    @property
    def hardness(self) -> float:
        return self._hardness

    @hardness.setter
    def hardness(self, value: float) -> None:
        value = min(1.0, max(0.0, float(value)))
        if value != self._hardness:
            self._hardness = value
            self.changed.emit()

    @property
    def mode(self) -> ToolMode:
        return self._mode

    @mode.setter
    def mode(self, value: ToolMode) -> None:
        value = ToolMode(value)
        if value != self._mode:
            self._mode = value
            self.changed.emit()

    def bigger(self) -> None:
        self.size = max(self._size + 1, self._size * 1.15)

    def smaller(self) -> None:
        self.size = min(self._size - 1, self._size / 1.15)


def two_tone(painter, draw) -> None:
    """Draw an outline visible on any background: dark solid under light dashes, one screen pixel wide."""
    painter.setBrush(Qt.NoBrush)
    dark = QPen(QColor(0, 0, 0, 200), 0)
    painter.setPen(dark)
    draw()
    light = QPen(QColor(255, 255, 255, 230), 0, Qt.DashLine)
    painter.setPen(light)
    draw()


class _OutlineItem(QGraphicsEllipseItem):
    """The brush outline; the eraser's is crossed by a slash, so the active tool shows at the pointer."""

    erasing = False

    def paint(self, painter, option, widget=None) -> None:
        r = self.rect()

        def draw() -> None:
            painter.drawEllipse(r)
            if self.erasing:
                d = r.width() * 0.3535  # 45 degrees, on the circle
                c = r.center()
                painter.drawLine(QPointF(c.x() - d, c.y() + d), QPointF(c.x() + d, c.y() - d))

        two_tone(painter, draw)


class _ShapeItem(QGraphicsPathItem):
    def paint(self, painter, option, widget=None) -> None:
        two_tone(painter, lambda: painter.drawPath(self.path()))


class _KeyFilter(QObject):
    """On the canvas: ``[`` ``]`` brush size, B brush, E eraser; on its viewport: hide the outline on leave."""

    MODE_KEYS = {Qt.Key_B: ToolMode.BRUSH, Qt.Key_E: ToolMode.ERASER}

    def __init__(self, tool: MaskTool):
        super().__init__()
        self.tool = tool

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.KeyPress and not event.modifiers() & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier):
            settings = self.tool.settings
            if event.key() == Qt.Key_BracketLeft:
                settings.smaller()
                return True
            if event.key() == Qt.Key_BracketRight:
                settings.bigger()
                return True
            if event.key() in self.MODE_KEYS:
                settings.mode = self.MODE_KEYS[event.key()]
                return True
        elif kind == QEvent.Leave:
            self.tool.hide_outline()
        return False


class MaskTool(CanvasTool):
    """Paints ``layer.mask`` on a :class:`studio.ui.canvas.CanvasView`."""

    @property
    def cursor(self) -> Qt.CursorShape:
        # brush and eraser: their outline is the cursor; rectangle and lasso: a cross
        return Qt.BlankCursor if self.settings.mode in (ToolMode.BRUSH, ToolMode.ERASER) else Qt.CrossCursor

    def __init__(self, layer, settings: MaskToolSettings | None = None, undo_stack=None):
        self.layer = layer
        self.settings = settings or MaskToolSettings()
        self.undo_stack = undo_stack
        self.canvas = None
        self._recorder: M.MaskRecorder | None = None
        self._erase = False
        self._last: tuple[float, float] | None = None
        self._start: QPointF | None = None
        self._points: list[tuple[float, float]] = []
        self._keys = _KeyFilter(self)
        self._outline = _OutlineItem()
        self._outline.setPen(QPen(QColor(255, 255, 255), 0))  # cosmetic: one screen pixel at any zoom
        self._outline.setZValue(1000)
        self._outline.setVisible(False)
        self._shape = _ShapeItem()
        self._shape.setPen(QPen(QColor(255, 255, 255), 0))
        self._shape.setZValue(1001)
        self._shape.setVisible(False)
        self.settings.changed.connect(self._settings_changed)
        self._hover = QPointF()
        self._hovered = False  # the outline shows once the mouse has been over the canvas

    # -- activation ------------------------------------------------------------------------

    def activate(self, canvas) -> None:
        self.canvas = canvas
        if self.undo_stack is None:
            self.undo_stack = getattr(canvas, "undo_stack", None)
        canvas.add_overlay(self._outline, z=1000)
        canvas.add_overlay(self._shape, z=1001)
        canvas.installEventFilter(self._keys)
        canvas.viewport().installEventFilter(self._keys)

    def deactivate(self, canvas) -> None:
        self._finish_stroke()
        canvas.removeEventFilter(self._keys)
        canvas.viewport().removeEventFilter(self._keys)
        canvas.remove_overlay(self._outline)
        canvas.remove_overlay(self._shape)
        self.canvas = None

    # -- brush outline -------------------------------------------------------------------------

    @property
    def radius(self) -> float:
        return self.settings.size / 2.0

    def hide_outline(self) -> None:
        self._hovered = False
        self._outline.setVisible(False)

    def _settings_changed(self) -> None:
        if self.canvas is not None:
            self.canvas._update_cursor()
        self._outline.erasing = self.settings.mode is ToolMode.ERASER
        self._outline.update()
        self._update_outline()

    def _update_outline(self) -> None:
        r = self.radius
        self._outline.setRect(QRectF(self._hover.x() - r, self._hover.y() - r, 2 * r, 2 * r))
        self._outline.setVisible(
            self._hovered and self.settings.mode in (ToolMode.BRUSH, ToolMode.ERASER) and self.canvas is not None
        )

    # -- events ----------------------------------------------------------------------------------

    def press(self, pos: QPointF, event) -> bool:
        button = event.button()
        if button not in (Qt.LeftButton, Qt.RightButton) or self.layer.mask.width == 0:
            return False
        self._finish_stroke()
        self._erase = button == Qt.RightButton or self.settings.mode is ToolMode.ERASER
        self._recorder = M.MaskRecorder(self.layer.mask.data, TILE)
        mode = self.settings.mode
        if mode in (ToolMode.BRUSH, ToolMode.ERASER):
            self.layer.defer_edge(True)  # the outline follows at the end of the stroke
            self._last = (pos.x(), pos.y())
            self._stamp(self._last, self._last)
        elif mode is ToolMode.RECT:
            self._start = QPointF(pos)
            self._show_rect(pos)
        else:
            self._points = [(pos.x(), pos.y())]
            self._show_lasso()
        return True

    def move(self, pos: QPointF, event) -> bool:
        self._hover = QPointF(pos)
        self._hovered = True
        self._update_outline()
        if self._recorder is None:
            return False
        mode = self.settings.mode
        if mode in (ToolMode.BRUSH, ToolMode.ERASER) and self._last is not None:
            p = (pos.x(), pos.y())
            self._stamp(self._last, p)
            self._last = p
        elif mode is ToolMode.RECT and self._start is not None:
            self._show_rect(pos)
        elif mode is ToolMode.LASSO:
            p = (pos.x(), pos.y())
            if not self._points or math.dist(p, self._points[-1]) >= 0.5:
                self._points.append(p)
                self._show_lasso()
        return True

    def release(self, pos: QPointF, event) -> bool:
        if self._recorder is None:
            return False
        mode = self.settings.mode
        value = 0 if self._erase else 255
        if mode is ToolMode.RECT and self._start is not None:
            rect = self._rect_from(self._start, pos)
            self._recorder.before(M._clamp_rect(rect, self.layer.mask.width, self.layer.mask.height))
            self.layer.refresh(M.fill_rect(self.layer.mask.data, rect, value))
        elif mode is ToolMode.LASSO and len(self._points) >= 3:
            pts = self._points + [(pos.x(), pos.y())]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            bound = (int(math.floor(min(xs))), int(math.floor(min(ys))), int(math.ceil(max(xs))) + 1, int(math.ceil(max(ys))) + 1)
            self._recorder.before(M._clamp_rect(bound, self.layer.mask.width, self.layer.mask.height))
            self.layer.refresh(M.fill_polygon(self.layer.mask.data, pts, value))
        elif mode in (ToolMode.BRUSH, ToolMode.ERASER) and self._last is not None:
            p = (pos.x(), pos.y())
            if p != self._last:
                self._stamp(self._last, p)
        self._finish_stroke()
        return True

    # -- work ----------------------------------------------------------------------------------------

    def _stamp(self, p0, p1) -> None:
        mask = self.layer.mask
        rect = M.segment_rect(p0, p1, self.radius, (mask.width, mask.height))
        if rect is None:
            return
        self._recorder.before(rect)
        rect = M.stamp_segment(mask.data, p0, p1, radius=self.radius, hardness=self.settings.hardness, erase=self._erase)
        self.layer.refresh(rect)

    def _finish_stroke(self) -> None:
        if hasattr(self.layer, "defer_edge"):
            self.layer.defer_edge(False)
        rec, self._recorder = self._recorder, None
        self._last, self._start, self._points = None, None, []
        self._shape.setVisible(False)
        if rec is None or not rec.finish():
            return
        mode = self.settings.mode
        names = {ToolMode.RECT: "Rectangle", ToolMode.LASSO: "Lasso"}
        text = ("Erase " if self._erase else "Mask ") + names.get(mode, "stroke").lower()
        if self.undo_stack is not None:
            self.undo_stack.push(MaskEditCommand(self.layer, rec, text))

    @staticmethod
    def _rect_from(a: QPointF, b: QPointF) -> M.Rect:
        x0, x1 = sorted((a.x(), b.x()))
        y0, y1 = sorted((a.y(), b.y()))
        return (int(math.floor(x0)), int(math.floor(y0)), int(math.ceil(x1)), int(math.ceil(y1)))

    def _show_rect(self, pos: QPointF) -> None:
        path = QPainterPath()
        path.addRect(QRectF(self._start, pos).normalized())
        self._shape.setPath(path)
        self._shape.setVisible(True)

    def _show_lasso(self) -> None:
        path = QPainterPath()
        if self._points:
            path.moveTo(*self._points[0])
            for p in self._points[1:]:
                path.lineTo(*p)
            path.closeSubpath()
        self._shape.setPath(path)
        self._shape.setVisible(True)


__all__ = ["MaskTool", "MaskToolSettings", "ToolMode"]
