"""Paints one grid cell: the thumbnail (or a placeholder while it loads), favourite star, rating, selection.

Thumbnails are cached at 256 px; the copy scaled to the cell size is kept too
(keyed by the pixmap and the size), so a scroll frame only blits pixmaps.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from studio.ui.gallery.model import GalleryModel

MARGIN = 4
MAX_SCALED = 800  # scaled copies kept (a few screens' worth)


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, parent=None, size: int = 160):
        super().__init__(parent)
        self.size = size
        self._star_font = QFont()
        self._star_font.setPixelSize(16)
        self._rating_font = QFont()
        self._rating_font.setPixelSize(11)
        self._placeholder = QColor(58, 60, 66)
        self._placeholder_edge = QColor(76, 78, 86)
        self._select = QColor(70, 140, 255)
        self._scaled: OrderedDict[tuple[int, int, int], QPixmap] = OrderedDict()

    def set_size(self, size: int) -> None:
        self.size = size

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        view = self.parent()
        grid = view.gridSize() if view is not None and hasattr(view, "gridSize") else QSize()
        if grid.isValid() and grid.width() > 0:
            return grid  # the whole (stretched) cell, so the thumbnail centres in it
        return QSize(self.size + 2 * MARGIN, self.size + 2 * MARGIN)

    def _cell(self, rect: QRect) -> QRect:
        """The square thumbnail area, centred in the (possibly wider) grid cell."""
        side = min(self.size, rect.width() - 2 * MARGIN, rect.height() - 2 * MARGIN)
        x = rect.x() + (rect.width() - side) // 2
        y = rect.y() + (rect.height() - side) // 2
        return QRect(x, y, side, side)

    def _scaled_copy(self, pix: QPixmap, w: int, h: int) -> QPixmap:
        if (pix.width(), pix.height()) == (w, h):
            return pix
        key = (pix.cacheKey(), w, h)
        scaled = self._scaled.get(key)
        if scaled is None:
            scaled = pix.scaled(w, h, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
            self._scaled[key] = scaled
            while len(self._scaled) > MAX_SCALED:
                self._scaled.popitem(last=False)
        else:
            self._scaled.move_to_end(key)
        return scaled

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        rect = self._cell(option.rect)
        selected = bool(option.state & QStyle.State_Selected)
        model = index.model()
        row = index.row()
        if not isinstance(model, GalleryModel) or row >= model.rowCount():
            return
        pix = model.thumbnail(row)
        painter.save()
        if pix is None or pix.isNull():
            painter.setPen(QPen(self._placeholder_edge, 1))
            painter.setBrush(self._placeholder)
            painter.drawRoundedRect(rect, 6, 6)
            if model.state(row) == "broken":
                painter.setPen(QColor(230, 120, 100))
                painter.drawText(rect, Qt.AlignCenter, "⚠\nunreadable")
        else:
            w, h = pix.width(), pix.height()
            scale = min(rect.width() / max(w, 1), rect.height() / max(h, 1))
            tw, th = max(1, int(w * scale)), max(1, int(h * scale))
            target = QRect(rect.x() + (rect.width() - tw) // 2, rect.y() + (rect.height() - th) // 2, tw, th)
            painter.drawPixmap(target.topLeft(), self._scaled_copy(pix, tw, th))
        entry = model.entry(row)
        if entry is not None and entry.favourite:
            painter.setFont(self._star_font)
            star = QRect(rect.right() - 22, rect.top() + 2, 20, 20)
            painter.setPen(QColor(0, 0, 0, 160))
            painter.drawText(star.translated(1, 1), Qt.AlignCenter, "★")
            painter.setPen(QColor(255, 205, 60))
            painter.drawText(star, Qt.AlignCenter, "★")
        if entry is not None and entry.rating:
            painter.setFont(self._rating_font)
            band = QRect(rect.left() + 2, rect.bottom() - 14, rect.width() - 4, 13)
            painter.setPen(QColor(0, 0, 0, 170))
            painter.drawText(band.translated(1, 1), Qt.AlignLeft | Qt.AlignVCenter, "★" * entry.rating)
            painter.setPen(QColor(255, 205, 60))
            painter.drawText(band, Qt.AlignLeft | Qt.AlignVCenter, "★" * entry.rating)
        if selected:
            painter.setPen(QPen(self._select, 3))
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 6, 6)
            painter.fillRect(rect, QColor(70, 140, 255, 40))
        painter.restore()
