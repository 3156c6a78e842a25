"""The mask drawn over the image on the canvas: a tinted, semi-transparent layer with an edge.

The mask itself is engine-side data (:class:`studio.engine.masks.Mask`, an HxW
uint8 numpy array). This item keeps a premultiplied ARGB QImage of the tinted
mask whose pixels are a numpy view, updates only the dirty rectangle after an
edit (one lookup-table pass over the rect), and repaints only that rectangle.
A second image holds the mask's edge, two-tone (white just inside, black just
outside) and always opaque, so the masked area reads on any picture whatever
the tint and fill opacity.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

from studio.engine.masks import Mask, Rect

DEFAULT_TINT = QColor(255, 40, 90)
DEFAULT_OPACITY = 0.5
EDGE_IN, EDGE_OUT = 0xFFFFFFFF, 0xFF000000  # opaque white inside the edge, opaque black outside


class MaskLayerItem(QGraphicsItem):
    """Shows ``mask`` tinted with ``tint`` at ``opacity``; scene units are image pixels."""

    def __init__(self, width: int = 0, height: int = 0, parent=None):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._fill_opacity = DEFAULT_OPACITY
        self._show_edge = True
        self._tint = QColor(DEFAULT_TINT)
        self._lut = self._make_lut(self._tint)
        self.mask = Mask(max(0, width), max(0, height))
        self._image = QImage()
        self._pixels: np.ndarray | None = None
        self._edge_image = QImage()
        self._edge: np.ndarray | None = None
        self._allocate()

    # -- data --------------------------------------------------------------------------

    def _allocate(self) -> None:
        w, h = self.mask.width, self.mask.height
        self.prepareGeometryChange()
        if w == 0 or h == 0:
            self._image, self._pixels = QImage(), None
            self._edge_image, self._edge = QImage(), None
            return
        # one uint32 per pixel (premultiplied ARGB, native byte order), filled through a 256-entry table
        self._image, self._pixels = _argb_view(w, h)
        self._edge_image, self._edge = _argb_view(w, h)
        self.refresh()

    def set_mask(self, mask: Mask) -> None:
        """Show another mask (possibly of another size)."""
        self.mask = mask
        self._allocate()
        self.update()

    def resize(self, width: int, height: int) -> None:
        """Match a new image size; the mask is cleared when the size changes."""
        if (width, height) != (self.mask.width, self.mask.height):
            self.set_mask(Mask(width, height))

    @property
    def data(self) -> np.ndarray:
        return self.mask.data

    def refresh(self, rect: Rect | None = None) -> None:
        """Re-tint the pixels in ``rect`` (all when None) after the mask changed, and repaint them."""
        if self._pixels is None:
            return
        if rect is None:
            rect = self.mask.full_rect
        x0, y0, x1, y1 = rect
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.mask.width, x1), min(self.mask.height, y1)
        if x0 >= x1 or y0 >= y1:
            return
        self._pixels[y0:y1, x0:x1] = np.take(self._lut, self.mask.data[y0:y1, x0:x1])
        # the edge of a pixel depends on its neighbours: redo it one pixel around the rect
        x0, y0 = max(0, x0 - 1), max(0, y0 - 1)
        x1, y1 = min(self.mask.width, x1 + 1), min(self.mask.height, y1 + 1)
        self._edge[y0:y1, x0:x1] = _edge_pixels(self.mask.data, (x0, y0, x1, y1))
        self.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    # -- look --------------------------------------------------------------------------

    @staticmethod
    def _make_lut(color: QColor) -> np.ndarray:
        a = np.arange(256, dtype=np.float64) / 255.0
        channels = [np.round(v * a).astype(np.uint32) for v in (255, color.red(), color.green(), color.blue())]
        return (channels[0] << 24) | (channels[1] << 16) | (channels[2] << 8) | channels[3]  # 0xAARRGGBB

    def tint(self) -> QColor:
        return QColor(self._tint)

    def set_tint(self, color: QColor) -> None:
        self._tint = QColor(color)
        self._lut = self._make_lut(self._tint)
        self.refresh()

    def fill_opacity(self) -> float:
        return self._fill_opacity

    def set_fill_opacity(self, opacity: float) -> None:
        """Opacity of the tinted fill (the edge stays opaque)."""
        self._fill_opacity = min(1.0, max(0.0, float(opacity)))
        self.update()

    def show_edge(self) -> bool:
        return self._show_edge

    def set_show_edge(self, on: bool) -> None:
        self._show_edge = bool(on)
        self.update()

    def edge_image(self) -> QImage:
        """A copy of the edge layer (for tests)."""
        return self._edge_image.copy()

    def tinted_image(self) -> QImage:
        """A copy of the tinted layer (for screenshots and tests)."""
        return self._image.copy()

    # -- QGraphicsItem -------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.mask.width, self.mask.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._image.isNull():
            return
        exposed = option.exposedRect.intersected(self.boundingRect())
        if exposed.isEmpty():
            return
        src = exposed.toAlignedRect().intersected(self._image.rect())
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
        painter.setOpacity(painter.opacity() * self._fill_opacity)
        painter.drawImage(QRectF(src), self._image, QRectF(src))
        if self._show_edge:
            painter.setOpacity(self.effectiveOpacity())
            painter.drawImage(QRectF(src), self._edge_image, QRectF(src))


def _argb_view(w: int, h: int) -> tuple[QImage, np.ndarray]:
    """A transparent premultiplied ARGB image and a (h, w) uint32 numpy view of its pixels."""
    image = QImage(w, h, QImage.Format_ARGB32_Premultiplied)
    image.fill(0)
    buf = np.frombuffer(image.bits(), dtype=np.uint8, count=image.sizeInBytes())
    return image, buf.view(np.uint32).reshape(h, image.bytesPerLine() // 4)[:, :w]


def _edge_pixels(data: np.ndarray, rect) -> np.ndarray:
    """Edge colours for ``rect`` of the mask: EDGE_IN on masked pixels next to an unmasked one
    (4-neighbours), EDGE_OUT on unmasked pixels next to a masked one, 0 elsewhere."""
    x0, y0, x1, y1 = rect
    h, w = data.shape
    px0, py0, px1, py1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
    inside = np.zeros((y1 - y0 + 2, x1 - x0 + 2), bool)
    inside[py0 - y0 + 1 : py1 - y0 + 1, px0 - x0 + 1 : px1 - x0 + 1] = data[py0:py1, px0:px1] >= 128
    if px0 == x0:  # off the mask counts as the neighbour's own value: no edge along the border
        inside[:, 0] = inside[:, 1]
    if px1 == x1:
        inside[:, -1] = inside[:, -2]
    if py0 == y0:
        inside[0] = inside[1]
    if py1 == y1:
        inside[-1] = inside[-2]
    c = inside[1:-1, 1:-1]
    up, down, left, right = inside[:-2, 1:-1], inside[2:, 1:-1], inside[1:-1, :-2], inside[1:-1, 2:]
    all_in = up & down & left & right
    any_in = up | down | left | right
    out = np.zeros(c.shape, np.uint32)
    out[c & ~all_in] = EDGE_IN
    out[~c & any_in] = EDGE_OUT
    return out


class PreviewOverlay(QGraphicsPixmapItem):
    """Step previews of an inpaint, drawn in place over the region being generated."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTransformationMode(Qt.SmoothTransformation)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setVisible(False)

    def show_frame(self, image: QImage, box: tuple[int, int, int, int]) -> None:
        """Stretch ``image`` (often latent-sized) over ``box`` = (x0, y0, x1, y1) in image pixels."""
        from PySide6.QtGui import QTransform

        x0, y0, x1, y1 = box
        pix = QPixmap.fromImage(image)
        self.setPixmap(pix)
        self.setPos(x0, y0)
        self.setTransform(QTransform.fromScale((x1 - x0) / max(1, pix.width()), (y1 - y0) / max(1, pix.height())))
        self.setVisible(True)

    def hide_frame(self) -> None:
        self.setVisible(False)
        self.setPixmap(QPixmap())
