"""The mask drawn over the image on the canvas: a tinted, semi-transparent layer.

The mask itself is engine-side data (:class:`studio.engine.masks.Mask`, an HxW
uint8 numpy array). This item keeps a premultiplied ARGB QImage of the tinted
mask whose pixels are a numpy view, updates only the dirty rectangle after an
edit (one lookup-table pass over the rect), and repaints only that rectangle.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

from studio.engine.masks import Mask, Rect

DEFAULT_TINT = QColor(255, 40, 90)
DEFAULT_OPACITY = 0.5


class MaskLayerItem(QGraphicsItem):
    """Shows ``mask`` tinted with ``tint`` at ``opacity``; scene units are image pixels."""

    def __init__(self, width: int = 0, height: int = 0, parent=None):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setOpacity(DEFAULT_OPACITY)
        self._tint = QColor(DEFAULT_TINT)
        self._lut = self._make_lut(self._tint)
        self.mask = Mask(max(0, width), max(0, height))
        self._image = QImage()
        self._pixels: np.ndarray | None = None
        self._allocate()

    # -- data --------------------------------------------------------------------------

    def _allocate(self) -> None:
        w, h = self.mask.width, self.mask.height
        self.prepareGeometryChange()
        if w == 0 or h == 0:
            self._image, self._pixels = QImage(), None
            return
        self._image = QImage(w, h, QImage.Format_ARGB32_Premultiplied)
        self._image.fill(0)
        bpl = self._image.bytesPerLine()
        buf = np.frombuffer(self._image.bits(), dtype=np.uint8, count=self._image.sizeInBytes())
        # one uint32 per pixel (premultiplied ARGB, native byte order), filled through a 256-entry table
        self._pixels = buf.view(np.uint32).reshape(h, bpl // 4)[:, :w]
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
        painter.drawImage(QRectF(src), self._image, QRectF(src))


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
