"""The lightbox: one image large, or two compared side by side or with a swipe divider.

Opens on a double-click (or Enter) in the grid over the current filter's order:
Left/Right (or PgUp/PgDn, Home/End) step through it, the wheel or +/- zoom around
the pointer, 0 fits, 1 shows actual pixels, dragging pans. C pins the image on
screen and compares it with the next one you step to; S switches side by side /
swipe (drag the divider). Esc closes. Images load off the GUI thread; the two
neighbours are read ahead.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from studio.library import Library

CACHE = 8
MIN_SCALE, MAX_SCALE = 0.05, 32.0


class _Signals(QObject):
    loaded = Signal(int, QImage)


class _Load(QRunnable):
    def __init__(self, image_id: int, path: str, signals: _Signals):
        super().__init__()
        self.image_id, self.path, self.signals = image_id, path, signals

    def run(self) -> None:
        self.signals.loaded.emit(self.image_id, QImage(self.path))


class ImageArea(QWidget):
    """Paints one or two images with a shared zoom and pan (``scale`` None = fit)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lightboxImage")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMouseTracking(True)
        self.images: list[QImage | None] = [None]
        self.mode = "side"  # with two images: "side" or "swipe"
        self.scale: float | None = None
        self.pan = QPointF(0, 0)
        self.divider = 0.5  # swipe divider, a fraction of the width
        self._drag: tuple[str, QPointF] | None = None

    def panes(self) -> list[QRectF]:
        r = QRectF(self.rect())
        if len(self.images) == 2 and self.mode == "side":
            half = r.width() / 2
            return [QRectF(r.x(), r.y(), half - 2, r.height()), QRectF(r.x() + half + 2, r.y(), half - 2, r.height())]
        return [r]

    def fit_scale(self) -> float:
        first = next((im for im in self.images if im is not None and not im.isNull()), None)
        if first is None:
            return 1.0
        pane = self.panes()[0]
        return min(pane.width() / first.width(), pane.height() / first.height())

    def effective_scale(self) -> float:
        return self.fit_scale() if self.scale is None else self.scale

    def zoom_by(self, factor: float, around: QPointF | None = None) -> None:
        old = self.effective_scale()
        new = max(MIN_SCALE, min(MAX_SCALE, old * factor))
        if around is not None:  # keep the point under the pointer still
            centre = self.panes()[0].center()
            self.pan = around - centre - (around - centre - self.pan) * (new / old)
        self.scale = new
        self.update()

    def set_fit(self) -> None:
        self.scale, self.pan = None, QPointF(0, 0)
        self.update()

    def set_actual(self) -> None:
        self.scale, self.pan = 1.0, QPointF(0, 0)
        self.update()

    def _target(self, image: QImage, pane: QRectF) -> QRectF:
        s = self.effective_scale()
        w, h = image.width() * s, image.height() * s
        c = pane.center() + self.pan
        return QRectF(c.x() - w / 2, c.y() - h / 2, w, h)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(18, 18, 20))
        p.setRenderHint(QPainter.SmoothPixmapTransform, self.effective_scale() < 2.0)
        panes = self.panes()
        if len(self.images) == 2 and self.mode == "swipe":
            x = self.width() * self.divider
            pane = panes[0]
            for i, image in enumerate(self.images):
                if image is None or image.isNull():
                    continue
                p.save()
                clip = QRectF(pane.x(), pane.y(), x, pane.height()) if i == 0 else QRectF(x, pane.y(), pane.width() - x, pane.height())
                p.setClipRect(clip)
                p.drawImage(self._target(image, pane), image)
                p.restore()
            p.setPen(QPen(QColor(255, 255, 255, 200), 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        else:
            for image, pane in zip(self.images, panes, strict=False):
                if image is None or image.isNull():
                    p.setPen(QColor(160, 160, 160))
                    p.drawText(pane, Qt.AlignCenter, "Loading…" if image is None else "This file cannot be read.")
                    continue
                p.save()
                p.setClipRect(pane)
                p.drawImage(self._target(image, pane), image)
                p.restore()
        p.end()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps, event.position())
        event.accept()

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        if len(self.images) == 2 and self.mode == "swipe" and event.button() == Qt.LeftButton:
            self._drag = ("divider", pos)
            self.divider = max(0.0, min(1.0, pos.x() / max(1, self.width())))
            self.update()
        else:
            self._drag = ("pan", pos)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is None:
            return
        kind, last = self._drag
        pos = event.position()
        if kind == "divider":
            self.divider = max(0.0, min(1.0, pos.x() / max(1, self.width())))
        else:
            if self.scale is None:
                self.scale = self.fit_scale()
            self.pan += pos - last
        self._drag = (kind, pos)
        self.update()

    def mouseReleaseEvent(self, _event) -> None:
        self._drag = None


class Lightbox(QWidget):
    """A window over the gallery; ``current_changed(id)`` follows the image shown (the grid selects it)."""

    current_changed = Signal(int)

    def __init__(self, library: Library, ids: list[int], row: int, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setObjectName("galleryLightbox")
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.library = library
        self.ids = list(ids)
        self.row = max(0, min(row, len(self.ids) - 1))
        self.compare_id: int | None = None
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._pending: set[int] = set()
        self._signals = _Signals(self)
        self._signals.loaded.connect(self._loaded)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)

        self.area = ImageArea(self)
        self.title = QLabel("", objectName="lightboxTitle")
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.compare_button = QToolButton(text="Compare (C)", checkable=True, objectName="lightboxCompare")
        self.compare_button.setToolTip("Pin this image and compare it with the next one you step to")
        self.mode_combo = QComboBox(objectName="lightboxMode")
        self.mode_combo.addItem("Side by side", "side")
        self.mode_combo.addItem("Swipe", "swipe")
        self.mode_combo.setToolTip("How two images are compared (S)")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.addWidget(self.title, 1)
        for text, tip, slot in (
            ("◀", "Previous (Left)", self.previous),
            ("▶", "Next (Right)", self.next),
            ("Fit", "Fit to the window (0)", self.area.set_fit),
            ("1:1", "Actual pixels (1)", self.area.set_actual),
            ("+", "Zoom in (+, wheel)", lambda: self.area.zoom_by(1.25)),
            ("−", "Zoom out (-, wheel)", lambda: self.area.zoom_by(0.8)),
        ):
            b = QToolButton(text=text, toolTip=tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addWidget(self.compare_button)
        bar.addWidget(self.mode_combo)
        close = QToolButton(text="✕", toolTip="Close (Esc)")
        close.clicked.connect(self.close)
        bar.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.area, 1)

        self.compare_button.toggled.connect(self.set_compare)
        self.mode_combo.currentIndexChanged.connect(lambda _i: self._set_mode(self.mode_combo.currentData()))
        keys = {
            (Qt.Key_Right, Qt.Key_PageDown, Qt.Key_Space): self.next,
            (Qt.Key_Left, Qt.Key_PageUp, Qt.Key_Backspace): self.previous,
            (Qt.Key_Home,): lambda: self.go(0),
            (Qt.Key_End,): lambda: self.go(len(self.ids) - 1),
            (Qt.Key_Escape,): self.close,
            (Qt.Key_Plus, Qt.Key_Equal): lambda: self.area.zoom_by(1.25),
            (Qt.Key_Minus,): lambda: self.area.zoom_by(0.8),
            (Qt.Key_0,): self.area.set_fit,
            (Qt.Key_1,): self.area.set_actual,
            (Qt.Key_C,): self.compare_button.toggle,
            (Qt.Key_S,): lambda: self.mode_combo.setCurrentIndex(1 - self.mode_combo.currentIndex()),
        }
        for key_list, slot in keys.items():
            for key in key_list:
                QShortcut(QKeySequence(key), self, slot, context=Qt.WindowShortcut)
        self.resize(1200, 800)
        self._show()

    # -- navigation ----------------------------------------------------------------------

    def current_id(self) -> int | None:
        return self.ids[self.row] if self.ids else None

    def go(self, row: int) -> None:
        if not self.ids:
            return
        row = max(0, min(row, len(self.ids) - 1))
        if row != self.row:
            self.row = row
            self._show()

    def next(self) -> None:
        self.go(self.row + 1)

    def previous(self) -> None:
        self.go(self.row - 1)

    def set_compare(self, on: bool) -> None:
        """Pin the image on screen as the left/first one (on), or show one image again (off)."""
        self.compare_id = self.current_id() if on else None
        if self.compare_button.isChecked() != on:
            self.compare_button.setChecked(on)
        if on and self.row + 1 < len(self.ids):
            self.row += 1  # the partner starts as the next image
        self._show()

    def _set_mode(self, mode: str) -> None:
        self.area.mode = mode
        self.area.update()

    def shown_ids(self) -> list[int]:
        current = self.current_id()
        if current is None:
            return []
        return [self.compare_id, current] if self.compare_id is not None else [current]

    # -- loading and showing ----------------------------------------------------------------

    def _image(self, image_id: int) -> QImage | None:
        image = self._cache.get(image_id)
        if image is not None:
            self._cache.move_to_end(image_id)
            return image
        if image_id not in self._pending:
            entry = self.library.get(image_id)
            if entry is None:
                return QImage()
            self._pending.add(image_id)
            self._pool.start(_Load(image_id, str(entry.path), self._signals))
        return None

    def _loaded(self, image_id: int, image: QImage) -> None:
        self._pending.discard(image_id)
        self._cache[image_id] = image
        while len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        if image_id in self.shown_ids():
            self._show(load_ahead=False)

    def _show(self, load_ahead: bool = True) -> None:
        shown = self.shown_ids()
        self.area.images = [self._image(i) for i in shown] or [QImage()]
        self.area.update()
        entry = self.library.get(shown[-1]) if shown else None
        if entry is not None:
            seed = "" if entry.seed is None else f" · seed {entry.seed}"
            size = f" · {entry.width}×{entry.height}" if entry.width else ""
            vs = f"#{self.compare_id} vs " if self.compare_id is not None else ""
            self.title.setText(f"{vs}{self.row + 1} / {len(self.ids)}{seed}{size} · {entry.prompt}")
            self.setWindowTitle(f"Image {entry.id} — {self.row + 1} of {len(self.ids)}")
            self.current_changed.emit(entry.id)
        if load_ahead:
            for r in (self.row + 1, self.row - 1):
                if 0 <= r < len(self.ids):
                    self._image(self.ids[r])

    def closeEvent(self, event) -> None:
        self._pool.clear()
        self._pool.waitForDone(2000)
        super().closeEvent(event)


__all__ = ["ImageArea", "Lightbox"]
