"""The mask drawn over the image on the canvas: a tinted, semi-transparent layer with an edge.

The mask itself is engine-side data (:class:`studio.engine.masks.Mask`, an HxW
uint8 numpy array). This item keeps a premultiplied ARGB QImage of the tinted
mask whose pixels are a numpy view, updates only the dirty rectangle after an
edit (one lookup-table pass over the rect), and repaints only that rectangle.
The mask's edge is drawn into the same image, two-tone (white just inside, black
just outside) and always opaque, so the masked area reads on any picture whatever
the tint and fill opacity.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

from studio.engine.masks import Mask, Rect, rect_union

DEFAULT_TINT = QColor(255, 40, 90)
DEFAULT_OPACITY = 0.5
EDGE_IN, EDGE_OUT = 0xFFFFFFFF, 0xFF000000  # opaque white inside the edge, opaque black outside


class MaskLayerItem(QGraphicsItem):
    """Shows ``mask`` tinted with ``tint`` at the fill opacity, with an opaque two-tone edge;
    scene units are image pixels. One premultiplied image holds both (one draw per repaint)."""

    def __init__(self, width: int = 0, height: int = 0, parent=None):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._fill_opacity = DEFAULT_OPACITY
        self._show_edge = True
        self._tint = QColor(DEFAULT_TINT)
        self._lut = self._make_lut(self._tint, self._fill_opacity)
        self.mask = Mask(max(0, width), max(0, height))
        self._image = QImage()
        self._pixels: np.ndarray | None = None
        self._deferred: Rect | None = None  # edge rect left for the end of a stroke
        self._deferring = False
        self._allocate()

    # -- data --------------------------------------------------------------------------

    def _allocate(self) -> None:
        w, h = self.mask.width, self.mask.height
        self.prepareGeometryChange()
        if w == 0 or h == 0:
            self._image, self._pixels = QImage(), None
            return
        # one uint32 per pixel (premultiplied ARGB, native byte order), filled through a 256-entry table
        self._image, self._pixels = _argb_view(w, h)
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
        """Re-tint the pixels in ``rect`` (all when None) after the mask changed, and repaint them.

        The edge of a pixel depends on its neighbours, so one pixel around ``rect`` is redone too;
        during a brush stroke (:meth:`defer_edge`) the edge waits for the stroke's end."""
        if self._pixels is None:
            return
        w, h = self.mask.width, self.mask.height
        x0, y0, x1, y1 = self.mask.full_rect if rect is None else rect
        x0, y0, x1, y1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
        if x0 >= x1 or y0 >= y1:
            return
        data = self.mask.data
        tint = np.take(self._lut, data[y0:y1, x0:x1])
        if self._deferring:
            self._deferred = rect_union(self._deferred, (x0, y0, x1, y1))
        elif self._show_edge:
            edge = _edge_pixels(data, (x0, y0, x1, y1))
            np.copyto(tint, edge, where=edge != 0)
        self._pixels[y0:y1, x0:x1] = tint
        self.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    def defer_edge(self, on: bool) -> None:
        """While a brush stroke runs, each mouse event only re-tints; the edge follows at its end."""
        self._deferring = bool(on)
        if not on and self._deferred is not None:
            rect, self._deferred = self._deferred, None
            self.refresh(rect)

    # -- look --------------------------------------------------------------------------

    @staticmethod
    def _make_lut(color: QColor, opacity: float = 1.0) -> np.ndarray:
        a = np.arange(256, dtype=np.float64) / 255.0 * opacity
        channels = [np.round(v * a).astype(np.uint32) for v in (255, color.red(), color.green(), color.blue())]
        return (channels[0] << 24) | (channels[1] << 16) | (channels[2] << 8) | channels[3]  # 0xAARRGGBB

    def tint(self) -> QColor:
        return QColor(self._tint)

    def set_tint(self, color: QColor) -> None:
        self._tint = QColor(color)
        self._lut = self._make_lut(self._tint, self._fill_opacity)
        self.refresh()

    def fill_opacity(self) -> float:
        return self._fill_opacity

    def set_fill_opacity(self, opacity: float) -> None:
        """Opacity of the tinted fill (the edge stays opaque)."""
        self._fill_opacity = min(1.0, max(0.0, float(opacity)))
        self._lut = self._make_lut(self._tint, self._fill_opacity)
        self.refresh()

    def show_edge(self) -> bool:
        return self._show_edge

    def set_show_edge(self, on: bool) -> None:
        self._show_edge = bool(on)
        self.refresh()

    def edge_image(self) -> QImage:
        """The edge alone, as an image (for tests)."""
        image, pixels = _argb_view(self.mask.width, self.mask.height)
        if self.mask.width and self.mask.height:
            pixels[:] = _edge_pixels(self.mask.data, self.mask.full_rect)
        return image

    def tinted_image(self) -> QImage:
        """A copy of the layer as drawn (for screenshots and tests)."""
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
        painter.drawImage(QRectF(src), self._image, QRectF(src))


def _argb_view(w: int, h: int) -> tuple[QImage, np.ndarray]:
    """A transparent premultiplied ARGB image and a (h, w) uint32 numpy view of its pixels."""
    image = QImage(max(1, w), max(1, h), QImage.Format_ARGB32_Premultiplied)
    image.fill(0)
    buf = np.frombuffer(image.bits(), dtype=np.uint8, count=image.sizeInBytes())
    return image, buf.view(np.uint32).reshape(image.height(), image.bytesPerLine() // 4)[:, : image.width()]


def _edge_pixels(data: np.ndarray, rect) -> np.ndarray:
    """Edge colours for ``rect`` of the mask: EDGE_IN on masked pixels next to an unmasked one
    (4-neighbours), EDGE_OUT on unmasked pixels next to a masked one, 0 elsewhere.
    Off the mask counts as the border pixel's own value (no edge along the image border)."""
    x0, y0, x1, y1 = rect
    h, w = data.shape
    px0, py0, px1, py1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
    inside = np.empty((y1 - y0 + 2, x1 - x0 + 2), np.uint8)
    core = inside[py0 - y0 + 1 : py1 - y0 + 1, px0 - x0 + 1 : px1 - x0 + 1]
    np.right_shift(data[py0:py1, px0:px1], 7, out=core)  # 1 where >= 128
    if px0 == x0:
        inside[:, 0] = inside[:, 1]
    if px1 == x1:
        inside[:, -1] = inside[:, -2]
    if py0 == y0:
        inside[0] = inside[1]
    if py1 == y1:
        inside[-1] = inside[-2]
    c = inside[1:-1, 1:-1]
    up, down, left, right = inside[:-2, 1:-1], inside[2:, 1:-1], inside[1:-1, :-2], inside[1:-1, 2:]
    all_in = up & down
    all_in &= left
    all_in &= right
    any_in = up | down
    any_in |= left
    any_in |= right
    # code 1: edge inside (c and not all neighbours in); 2: edge outside (not c and a neighbour in)
    code = c & (all_in ^ 1)
    code += ((c ^ 1) & any_in) << 1
    return _EDGE_LUT[code]


_EDGE_LUT = np.array([0, EDGE_IN, EDGE_OUT], np.uint32)


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
