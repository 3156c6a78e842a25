"""Colour painting on the canvas's paint layer: brush, eraser, colour picker and fill.

A :class:`PaintTool` is a :class:`studio.ui.canvas.CanvasTool`. Brush strokes
work like Krita's: within one stroke the brush's coverage builds up to at most
the stroke opacity (dabs sweep along each segment with
:func:`studio.engine.masks.stamp_segment`, so no gaps and no darker overlaps),
then the colour is laid over the layer as it was before the stroke. A pen's
pressure (where Qt reports one: tablet events, or mouse events made from them)
scales the brush size and opacity. Right button or the eraser mode erase.
Ctrl+click with the brush picks the colour under the pointer (as the picker
mode and the I key over the canvas do). One stroke or fill is one undo step.
"""

from __future__ import annotations

import enum

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QInputDevice, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem

from studio.engine import masks as M
from studio.ui.canvas import CanvasTool
from studio.ui.mask_tools import MAX_SIZE, MIN_SIZE, two_tone
from studio.ui.mask_undo import TILE
from studio.ui.paint_layer import (
    PaintEditCommand,
    PaintLayerItem,
    blend_into,
    composite,
    edit_layer,
)

FILL_TOLERANCE = 32  # per channel: a fill spreads over pixels this close to the clicked one
_PEN_DEVICES = (QInputDevice.DeviceType.Stylus, QInputDevice.DeviceType.Airbrush)


class PaintMode(str, enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    PICKER = "picker"
    FILL = "fill"


class PaintSettings(QObject):
    """Colour, brush size (diameter in image pixels), hardness and opacity (0..1), and the mode."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.colour = QColor(220, 40, 40)
        self.size, self.hardness, self.opacity = 12, 0.8, 1.0
        self.mode = PaintMode.BRUSH

    def set(self, **values) -> None:
        """Change any of colour/size/hardness/opacity/mode (clamped); ``changed`` once if anything did."""
        clamp = {
            "size": lambda v: max(MIN_SIZE, min(MAX_SIZE, round(v))),
            "hardness": lambda v: min(1.0, max(0.0, float(v))),
            "opacity": lambda v: min(1.0, max(0.01, float(v))),
            "colour": QColor,
            "mode": PaintMode,
        }
        dirty = False
        for key, value in values.items():
            value = clamp[key](value)
            if value != getattr(self, key):
                setattr(self, key, value)
                dirty = True
        if dirty:
            self.changed.emit()

    def bigger(self) -> None:
        self.set(size=max(self.size + 1, self.size * 1.15))

    def smaller(self) -> None:
        self.set(size=min(self.size - 1, self.size / 1.15))


class _Outline(QGraphicsEllipseItem):
    """The brush outline: dark and light rings with the current colour between (the eraser's is crossed)."""

    colour = QColor(0, 0, 0)
    erasing = False

    def paint(self, painter, option, widget=None) -> None:
        r = self.rect()
        two_tone(painter, lambda: painter.drawEllipse(r))
        if self.erasing:
            d = r.width() * 0.3535
            c = r.center()
            painter.drawLine(QPointF(c.x() - d, c.y() + d), QPointF(c.x() + d, c.y() - d))
        else:
            inner = QPen(self.colour, 2)
            inner.setCosmetic(True)
            painter.setPen(inner)
            painter.drawEllipse(r.adjusted(r.width() * 0.12, r.height() * 0.12, -r.width() * 0.12, -r.height() * 0.12))


class TabletPressure(QObject):
    """Watches a viewport's tablet events (left unaccepted, so Qt makes the mouse events the tools get)
    and keeps the pen's last pressure while the pen is down."""

    def __init__(self, viewport):
        super().__init__(viewport)
        self.pressure: float | None = None
        viewport.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind in (QEvent.TabletPress, QEvent.TabletMove):
            self.pressure = float(event.pressure())
        elif kind == QEvent.TabletRelease:
            self.pressure = None
        return False


def pressure_of(event, tablet: TabletPressure | None = None) -> float:
    """The pen pressure (0..1) of a tablet event or a mouse event made from one; 1.0 for a mouse."""
    if tablet is not None and tablet.pressure is not None:
        return tablet.pressure
    try:
        device = event.pointingDevice()
        if device is None or device.type() not in _PEN_DEVICES:
            return 1.0
        points = event.points()
        return float(points[0].pressure()) if points else 1.0
    except (AttributeError, RuntimeError):
        return 1.0


class PaintTool(CanvasTool):
    """Paints ``layer`` (a :class:`PaintLayerItem`) over the image of a canvas."""

    @property
    def cursor(self):
        return Qt.BlankCursor if self.settings.mode in (PaintMode.BRUSH, PaintMode.ERASER) else Qt.CrossCursor

    def __init__(self, layer: PaintLayerItem, settings: PaintSettings, undo_stack=None):
        self.layer = layer
        self.settings = settings
        self.undo_stack = undo_stack
        self.canvas = None
        self._recorder: M.MaskRecorder | None = None
        self._base: np.ndarray | None = None  # the layer's pixels before the stroke
        self._alpha: np.ndarray | None = None  # the stroke's coverage
        self._erase = False
        self._last: tuple[float, float] | None = None
        self._hover = QPointF()
        self._hovered = False
        self.tablet: TabletPressure | None = None
        self._outline = _Outline()
        self._outline.setZValue(1000)
        self._outline.setVisible(False)
        settings.changed.connect(self._settings_changed)

    def activate(self, canvas) -> None:
        self.canvas = canvas
        if self.undo_stack is None:
            self.undo_stack = canvas.undo_stack
        if self.tablet is None:
            self.tablet = TabletPressure(canvas.viewport())
        canvas.add_overlay(self._outline, z=1000)

    def deactivate(self, canvas) -> None:
        self._finish()
        canvas.remove_overlay(self._outline)
        self.canvas = None

    def _settings_changed(self) -> None:
        self._outline.colour = QColor(self.settings.colour)
        self._outline.erasing = self.settings.mode is PaintMode.ERASER
        if self.canvas is not None:
            self.canvas._update_cursor()
        self._update_outline()

    def _update_outline(self) -> None:
        r = self.settings.size / 2.0
        self._outline.setRect(QRectF(self._hover.x() - r, self._hover.y() - r, 2 * r, 2 * r))
        self._outline.setVisible(self._hovered and self.canvas is not None and self.settings.mode in (PaintMode.BRUSH, PaintMode.ERASER))
        self._outline.update()

    def hide_outline(self) -> None:
        self._hovered = False
        self._outline.setVisible(False)

    # -- events ------------------------------------------------------------------------------

    def press(self, pos: QPointF, event) -> bool:
        button = event.button()
        if button not in (Qt.LeftButton, Qt.RightButton) or self.layer.width == 0:
            return False
        self._finish()
        mode = self.settings.mode
        if mode is PaintMode.PICKER or (mode is PaintMode.BRUSH and event.modifiers() & Qt.ControlModifier):
            self.pick(pos)
            if mode is PaintMode.PICKER:
                self.settings.set(mode=PaintMode.BRUSH)  # the picker is a one-shot tool
            return True
        if mode is PaintMode.FILL:
            self.fill(pos, erase=button == Qt.RightButton)
            return True
        self._erase = button == Qt.RightButton or mode is PaintMode.ERASER
        self._recorder = M.MaskRecorder(self.layer.pixels, TILE)
        self._base = self.layer.pixels.copy()
        self._alpha = np.zeros(self.layer.pixels.shape, np.uint8)
        self._last = (pos.x(), pos.y())
        self._stamp(self._last, self._last, pressure_of(event, self.tablet))
        return True

    def move(self, pos: QPointF, event) -> bool:
        self._hover, self._hovered = QPointF(pos), True
        self._update_outline()
        if self._recorder is None or self._last is None:
            return False
        p = (pos.x(), pos.y())
        self._stamp(self._last, p, pressure_of(event, self.tablet))
        self._last = p
        return True

    def release(self, pos: QPointF, event) -> bool:
        if self._recorder is None:
            return False
        p = (pos.x(), pos.y())
        if self._last is not None and p != self._last:
            self._stamp(self._last, p, pressure_of(event, self.tablet))
        self._finish()
        return True

    # -- work ----------------------------------------------------------------------------------

    def _stamp(self, p0, p1, pressure: float = 1.0) -> None:
        s = self.settings
        radius = max(0.5, s.size / 2.0 * max(0.15, pressure))
        rect = M.segment_rect(p0, p1, radius, (self.layer.width, self.layer.height))
        if rect is None:
            return
        self._recorder.before(rect)
        rect = M.stamp_segment(self._alpha, p0, p1, radius=radius, hardness=s.hardness, opacity=s.opacity * pressure)
        if rect is None:
            return
        c = s.colour
        blend_into(self.layer.pixels, self._base, self._alpha, rect, (c.red(), c.green(), c.blue()), self._erase)
        self.layer.refresh(rect)

    def _finish(self) -> None:
        rec, self._recorder = self._recorder, None
        self._base, self._alpha, self._last = None, None, None
        if rec is None or not rec.finish():
            return
        if self.undo_stack is not None:
            self.undo_stack.push(PaintEditCommand(self.layer, rec, "Erase paint" if self._erase else "Paint stroke"))

    def _composite(self) -> np.ndarray | None:
        canvas = self.canvas
        image = canvas.current_image() if canvas is not None else None
        if image is None:
            return None
        from studio.ui.images import from_qimage

        return composite(from_qimage(image), self.layer)

    def pick(self, pos: QPointF) -> bool:
        """Take the colour of the picture (image and paint) under ``pos``."""
        rgb = self._composite()
        x, y = int(pos.x()), int(pos.y())
        if rgb is None or not (0 <= x < rgb.shape[1] and 0 <= y < rgb.shape[0]):
            return False
        self.settings.set(colour=QColor(*(int(v) for v in rgb[y, x])))
        return True

    def fill(self, pos: QPointF, erase: bool = False) -> bool:
        """Fill the connected area of similar colour under ``pos`` with the colour (or erase it)."""
        from scipy import ndimage

        rgb = self._composite()
        x, y = int(pos.x()), int(pos.y())
        if rgb is None or not (0 <= x < rgb.shape[1] and 0 <= y < rgb.shape[0]):
            return False
        close = (np.abs(rgb.astype(np.int16) - rgb[y, x].astype(np.int16)) <= FILL_TOLERANCE).all(axis=2)
        labels, _n = ndimage.label(close)
        region = labels == labels[y, x]
        alpha = (region * round(255 * self.settings.opacity)).astype(np.uint8)
        c = self.settings.colour

        def compute(pixels: np.ndarray) -> np.ndarray:
            full = (0, 0, self.layer.width, self.layer.height)
            blend_into(pixels, self.layer.pixels, alpha, full, (c.red(), c.green(), c.blue()), erase)
            return pixels

        return edit_layer(self.layer, self.undo_stack, "Erase fill" if erase else "Fill", compute)


__all__ = ["PaintMode", "PaintSettings", "PaintTool", "TabletPressure", "pressure_of"]
