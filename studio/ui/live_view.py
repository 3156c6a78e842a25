"""The live view: live painting's newest frame, beside the canvas (a panel) or over it (a choice).

:meth:`LiveView.show_frame` takes a frame as numpy (a step preview, often
latent-sized, or a finished result) and makes its QImage here, on the GUI
thread. ``painted(stamp)`` fires once a frame is really on screen, with the
time its state was taken: the live benchmark's "stroke to updated image".
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsPixmapItem, QSizePolicy, QWidget

BESIDE, OVER = "beside", "over"
OVERLAY_Z = 20.0  # over the image, the paint and the mask; under the brush outline
DEFAULT_OVERLAY_OPACITY = 0.75  # over the canvas: the strokes under the frame stay visible


class _Overlay(QGraphicsPixmapItem):
    """The live frame drawn over the canvas image; mouse events go through to the paint tool."""

    def __init__(self, on_paint):
        super().__init__()
        self._on_paint = on_paint
        self.setTransformationMode(Qt.SmoothTransformation)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(OVERLAY_Z)
        self.setOpacity(DEFAULT_OVERLAY_OPACITY)
        self.setVisible(False)

    def paint(self, painter, option, widget=None) -> None:
        super().paint(painter, option, widget)
        self._on_paint()


class LiveView(QWidget):
    painted = Signal(float)  # the state stamp of the frame that just reached the screen

    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.setObjectName("liveView")
        self.setMinimumSize(200, 240)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.canvas = canvas
        self.placement = BESIDE
        self.image: QImage | None = None
        self.text = "Live is off: press Ctrl+L (or the Live button) and paint."
        self._stamp: float | None = None
        self._active = False
        self.frames_shown = 0
        self.overlay = _Overlay(self._overlay_painted)
        canvas.add_overlay(self.overlay, z=OVERLAY_Z)

    def sizeHint(self) -> QSize:
        return QSize(300, 300)

    def set_placement(self, placement: str) -> None:
        if placement not in (BESIDE, OVER):
            raise ValueError(f"the live view goes {BESIDE!r} or {OVER!r} the canvas, not {placement!r}")
        self.placement = placement
        self._show_overlay()
        self.update()

    def set_overlay_opacity(self, opacity: float) -> None:
        """How opaque the frame over the canvas is (0.1-1; the strokes show through the rest)."""
        self.overlay.setOpacity(max(0.1, min(1.0, float(opacity))))

    def set_active(self, on: bool) -> None:
        self._active = bool(on)
        if not on:
            self.text = "Live is off."
        self._show_overlay()
        self.update()

    def set_note(self, text: str) -> None:
        """A word on what live mode is doing, under the frame."""
        if text != self.text:
            self.text = text
            self.update()

    def show_frame(self, frame: np.ndarray, stamp: float, text: str = "") -> None:
        from studio.ui.images import to_qimage

        self.image = to_qimage(np.ascontiguousarray(frame[..., :3]))
        self._stamp = stamp
        self.text = text
        self.frames_shown += 1
        if self.placement == OVER:
            self._show_overlay()
        self.update()  # the frame (beside) or its note (over)

    def _show_overlay(self) -> None:
        over = self._active and self.placement == OVER and self.image is not None
        if over:
            size = self.canvas.image_size()
            pix = QPixmap.fromImage(self.image)
            self.overlay.setPixmap(pix)
            self.overlay.setTransform(QTransform.fromScale(size.width() / max(1, pix.width()), size.height() / max(1, pix.height())))
        self.overlay.setVisible(over)

    def _overlay_painted(self) -> None:
        if self._stamp is not None and self.placement == OVER:
            stamp, self._stamp = self._stamp, None
            self.painted.emit(stamp)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#15181d"))
        text_h = 2 * self.fontMetrics().height() + 4
        area = self.rect().adjusted(4, 4, -4, -4 - text_h)
        if self.image is not None and self.placement == BESIDE:
            iw, ih = self.image.width(), self.image.height()
            if self.canvas.current_image() is not None:  # previews are latent-sized: show the picture's shape
                iw, ih = self.canvas.image_size().width(), self.canvas.image_size().height()
            scale = min(area.width() / max(1, iw), area.height() / max(1, ih))
            w, h = iw * scale, ih * scale
            target = QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.SmoothPixmapTransform, True)
            p.drawImage(target, self.image)
            if not self._active:
                p.fillRect(target, QColor(0, 0, 0, 120))
        elif self.placement == OVER:
            p.setPen(QColor("#8a93a3"))
            p.drawText(area, Qt.AlignCenter | Qt.TextWordWrap, "The live view is over the canvas.")
        p.setPen(QColor("#c8ccd4"))
        p.drawText(QRectF(4, self.height() - text_h, self.width() - 8, text_h),
                   Qt.AlignLeft | Qt.AlignVCenter | Qt.TextWordWrap, self.text)  # two lines fit: a narrow dock cuts nothing
        p.end()
        if self._stamp is not None and self.placement == BESIDE and self.image is not None:
            stamp, self._stamp = self._stamp, None
            self.painted.emit(stamp)
