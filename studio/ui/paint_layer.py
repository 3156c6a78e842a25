"""The paint layer: colour painted on the canvas above the image, kept as premultiplied ARGB.

Pixels are a ``(h, w)`` uint32 numpy view of a ``Format_ARGB32_Premultiplied``
QImage (like the mask layer), so strokes edit numpy and repaint only their
rectangle, and undo records only the changed tiles with the mask's
:class:`studio.engine.masks.MaskRecorder` (it works on any 2-D array). Undo
commands go on the canvas's one undo stack, beside the mask's and the image's.

:func:`composite` puts the layer over an RGB image: what live painting sends to
the model and what the colour picker reads.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

from studio.engine.masks import MaskRecorder, Rect
from studio.ui.mask_undo import TileEditCommand, record_edit

PAINT_Z = 3.0  # above the image (0), below the inpaint preview (5) and the mask (10)
# byte order of a native uint32 0xAARRGGBB in memory
_B, _G, _R, _A = (0, 1, 2, 3) if sys.byteorder == "little" else (3, 2, 1, 0)


class PaintLayerItem(QGraphicsObject):
    """Colour painted over the image; scene units are image pixels. ``changed(rect)`` after every edit."""

    changed = Signal(object)  # (x0, y0, x1, y1) of the pixels that changed

    def __init__(self, width: int = 0, height: int = 0, parent=None):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(PAINT_Z)
        self._w, self._h = 0, 0
        self._image = QImage()
        self.pixels = np.zeros((0, 0), np.uint32)
        self.generation = 0  # bumped on every change: what live mode compares
        self.resize(width, height)

    # -- data ----------------------------------------------------------------------------

    @property
    def width(self) -> int:
        return self._w

    @property
    def height(self) -> int:
        return self._h

    def resize(self, width: int, height: int) -> None:
        """Match the image's size; the layer is cleared when the size changes."""
        width, height = max(0, int(width)), max(0, int(height))
        if (width, height) == (self._w, self._h):
            return
        self.prepareGeometryChange()
        self._w, self._h = width, height
        if width == 0 or height == 0:
            self._image, self.pixels = QImage(), np.zeros((0, 0), np.uint32)
        else:
            self._image = QImage(width, height, QImage.Format_ARGB32_Premultiplied)
            self._image.fill(0)
            buf = np.frombuffer(self._image.bits(), dtype=np.uint8, count=self._image.sizeInBytes())
            self.pixels = buf.view(np.uint32).reshape(height, self._image.bytesPerLine() // 4)[:, :width]
        self._touch(None)

    def bytes_view(self) -> np.ndarray:
        """The pixels as ``(h, w, 4)`` uint8 in memory order (index with :data:`_B` ... :data:`_A`)."""
        return self.pixels.view(np.uint8).reshape(self._h, self._w, 4)

    def is_empty(self) -> bool:
        return self.pixels.size == 0 or not self.pixels.any()

    def refresh(self, rect: Rect | None = None) -> None:
        """Repaint ``rect`` (all when None) after its pixels changed, and tell the listeners."""
        if rect is None:
            self.update()
        else:
            x0, y0, x1, y1 = rect
            self.update(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._touch(rect)

    def _touch(self, rect: Rect | None) -> None:
        self.generation += 1
        self.changed.emit(rect if rect is not None else (0, 0, self._w, self._h))

    def rgba(self) -> np.ndarray:
        """A straight (non-premultiplied) HxWx4 RGBA copy, e.g. to save the layer."""
        b = self.bytes_view().astype(np.float32)
        a = b[..., _A : _A + 1]
        rgb = np.where(a > 0, b[..., [_R, _G, _B]] * 255.0 / np.maximum(a, 1), 0)
        return np.dstack([np.clip(rgb + 0.5, 0, 255).astype(np.uint8), b[..., _A].astype(np.uint8)])

    def layer_image(self) -> QImage:
        """A copy of the layer as drawn (for screenshots and tests)."""
        return self._image.copy()

    # -- QGraphicsItem ---------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._w, self._h)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._image.isNull():
            return
        exposed = option.exposedRect.intersected(self.boundingRect())
        if exposed.isEmpty():
            return
        src = exposed.toAlignedRect().intersected(self._image.rect())
        painter.drawImage(QRectF(src), self._image, QRectF(src))


def composite(rgb: np.ndarray, layer: PaintLayerItem, rect: Rect | None = None) -> np.ndarray:
    """``rgb`` (HxWx3 uint8) with the paint layer over it; only ``rect`` when given (a crop)."""
    if layer.pixels.size == 0 or layer.pixels.shape != rgb.shape[:2]:
        return rgb.copy() if rect is None else rgb[rect[1] : rect[3], rect[0] : rect[2]].copy()
    x0, y0, x1, y1 = rect if rect is not None else (0, 0, layer.width, layer.height)
    px = layer.bytes_view()[y0:y1, x0:x1]
    base = rgb[y0:y1, x0:x1].astype(np.uint16)
    inv = 255 - px[..., _A].astype(np.uint16)[..., None]
    colour = px[..., [_R, _G, _B]].astype(np.uint16)
    return (colour + (base * inv + 127) // 255).clip(0, 255).astype(np.uint8)


def blend_into(target: np.ndarray, base: np.ndarray, alpha: np.ndarray, rect: Rect, colour, erase: bool) -> None:
    """Set ``rect`` of ``target`` (layer pixels, HxW uint32) to ``base`` (the pixels before the stroke)
    with ``colour`` (r, g, b) laid over it at coverage ``alpha`` (uint8, the stroke's), or erased by it."""
    x0, y0, x1, y1 = rect
    a = alpha[y0:y1, x0:x1].astype(np.uint16)[..., None]
    before = base[y0:y1, x0:x1].view(np.uint8).reshape(y1 - y0, x1 - x0, 4).astype(np.uint16)
    if erase:
        out = (before * (255 - a) + 127) // 255
    else:
        src = np.zeros(4, np.uint16)
        src[[_R, _G, _B, _A]] = (colour[0], colour[1], colour[2], 255)
        out = (src * a + before * (255 - a) + 127) // 255
    target[y0:y1, x0:x1].view(np.uint8).reshape(y1 - y0, x1 - x0, 4)[:] = out.astype(np.uint8)


class PaintEditCommand(TileEditCommand):
    """A paint edit already applied to the layer (one stroke, a fill, a clear), recorded by tiles."""

    target = "pixels"

    def __init__(self, layer: PaintLayerItem, recorder: MaskRecorder, text: str = "Paint stroke"):
        super().__init__(layer, recorder, text)


def edit_layer(layer: PaintLayerItem, stack, text: str, compute) -> bool:
    """Replace the layer's pixels by ``compute(pixels copy)`` as one undoable step (False if nothing changed)."""
    if layer.pixels.size == 0:
        return False
    return record_edit(layer, layer.pixels, stack, text, compute, PaintEditCommand)
