"""A small live plot of the style-transfer losses (total, content, style) per iteration, log scale."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

DECADES = 3.0
SERIES = (("total", "#e8e8e8"), ("content", "#5aa9e6"), ("style", "#f4a259"))


class LossCurve(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("lossCurve")
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.clear()

    def clear(self) -> None:
        self.points: dict[str, list[tuple[int, float]]] = {name: [] for name, _ in SERIES}
        self.total_steps = 1
        self.update()

    def add(self, iteration: int, content: float, style: float, total: float, total_steps: int) -> None:
        self.total_steps = max(1, total_steps)
        for name, value in (("content", content), ("style", style), ("total", total)):
            if math.isfinite(value) and value > 0:
                self.points[name].append((iteration, value))
        self.update()

    def last(self, name: str) -> float | None:
        pts = self.points.get(name) or []
        return pts[-1][1] if pts else None

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#1b1f25"))
        plot = QRectF(self.rect()).adjusted(46, 8, -8, -18)
        p.setPen(QPen(QColor("#3a4049"), 1))
        p.drawRect(plot)
        values = [v for pts in self.points.values() for _, v in pts]
        p.setPen(QColor("#9aa3ad"))
        if not values:
            p.drawText(plot, Qt.AlignCenter, "losses appear here, every iteration")
            return
        lo, hi = math.log10(min(values)), math.log10(max(values))
        lo = max(lo, hi - DECADES)  # a near-zero early content loss must not flatten the rest
        if hi - lo < 1e-6:
            lo, hi = lo - 0.5, hi + 0.5
        p.drawText(QRectF(0, plot.top() - 6, 43, 14), Qt.AlignRight, f"{10 ** hi:.2g}")
        p.drawText(QRectF(0, plot.bottom() - 8, 43, 14), Qt.AlignRight, f"{10 ** lo:.2g}")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 14), Qt.AlignRight, f"iteration {self.total_steps}")
        for i, (name, colour) in enumerate(SERIES):
            pts = self.points[name]
            if not pts:
                continue
            path = QPainterPath()
            for j, (it, v) in enumerate(pts):
                x = plot.left() + plot.width() * it / self.total_steps
                y = plot.bottom() - plot.height() * (max(math.log10(v), lo) - lo) / (hi - lo)
                path.moveTo(QPointF(x, y)) if j == 0 else path.lineTo(QPointF(x, y))
            p.setPen(QPen(QColor(colour), 1.6))
            p.drawPath(path)
            p.drawText(QRectF(plot.left() + 6 + 64 * i, plot.top() + 2, 62, 14), Qt.AlignLeft, name)
