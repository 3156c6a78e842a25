"""The detail panel: a large preview of the current image, all its parameters, and the actions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QBoxLayout,
    QVBoxLayout,
    QWidget,
)

from studio.library import GalleryEntry


class _PreviewSignals(QObject):
    done = Signal(int, QImage, str)  # id, image, parameters text
    provenance = Signal(int, str, str, str)  # id, level, badge text, details


class _LoadPreview(QRunnable):
    """Reads the image and its metadata off the GUI thread."""

    def __init__(self, entry: GalleryEntry, max_px: int, signals: _PreviewSignals):
        super().__init__()
        self.entry, self.max_px, self.signals = entry, max_px, signals

    def run(self) -> None:
        from studio.engine.errors import ImageLoadError
        from studio.engine.metadata import format_readable, read_metadata

        image = QImage(str(self.entry.path))
        if not image.isNull() and max(image.width(), image.height()) > self.max_px:
            image = image.scaled(QSize(self.max_px, self.max_px), Qt.KeepAspectRatio, Qt.SmoothTransformation)
        try:
            text = format_readable(read_metadata(self.entry.path))
        except ImageLoadError as exc:
            text = str(exc)
        self.signals.done.emit(self.entry.id, image, text)
        from studio.engine.provenance.verify import verify_file

        try:
            report = verify_file(self.entry.path)
        except Exception as exc:  # noqa: BLE001 - a file that cannot be checked only loses its badge
            self.signals.provenance.emit(self.entry.id, "none", "Provenance: cannot be checked", str(exc))
            return
        level, badge = report.badge()
        self.signals.provenance.emit(self.entry.id, level, badge, "\n".join(report.lines()))


class DetailPanel(QWidget):
    """Shows one entry; its buttons are the panel's actions (wired by GalleryPanel)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("galleryDetail")
        self.entry: GalleryEntry | None = None
        self._image: QImage | None = None
        self._signals = _PreviewSignals(self)
        self._signals.done.connect(self._loaded)
        self._signals.provenance.connect(self._provenance)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

        self.preview = QLabel("No image selected", alignment=Qt.AlignCenter)
        self.preview.setObjectName("galleryPreview")
        self.preview.setMinimumSize(120, 120)
        self.preview.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.params_text = QPlainTextEdit(readOnly=True)
        self.params_text.setObjectName("galleryParams")
        lines = self.params_text.fontMetrics().lineSpacing()
        self.params_text.setMinimumHeight(lines * 6 + 10)  # six lines stay readable however small the dock
        self.params_text.setMaximumHeight(lines * 14 + 10)
        self.params_text.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.params_text.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        self.provenance_badge = QLabel("", objectName="galleryProvenance")
        self.provenance_badge.setWordWrap(True)

        self.buttons: dict[str, QToolButton] = {}
        grid = QGridLayout()
        grid.setSpacing(4)
        specs = [
            ("open", "Open", "View large, zoom and compare (Enter or double-click)"),
            ("reuse", "Reuse parameters", "Fill the prompt and parameters with this image's, including the seed"),
            ("init", "To canvas", "Send to the canvas as the init image (img2img)"),
            ("inpaint", "Inpaint", "Send to the canvas for inpainting"),
            ("favourite", "☆ Favourite", "Mark as favourite (F)"),
            ("copy_image", "Copy image", "Copy the image to the clipboard"),
            ("copy_params", "Copy parameters", "Copy the parameters as AUTOMATIC1111 text"),
            ("reveal", "Show file", "Reveal in the file manager"),
            ("export", "Export…", "Export the selected images"),
            ("delete", "Delete", "Move the selected images to the trash (undo with Ctrl+Z)"),
        ]
        for i, (key, text, tip) in enumerate(specs):
            button = QToolButton(text=text, toolTip=tip, objectName=f"gallery_{key}")
            button.setToolButtonStyle(Qt.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # the dock's width is the user's
            button.setMinimumWidth(30)
            self.buttons[key] = button
            grid.addWidget(button, i // 5, i % 5)
        # compact: one row of buttons; the second row's actions live in a "⋯" menu
        self.more_button = QToolButton(text="⋯", toolTip="More actions", objectName="gallery_more")
        self.more_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.more_button)
        for key, text, _tip in specs[5:]:
            menu.addAction(text, self.buttons[key].click)
        self.more_button.setMenu(menu)
        grid.addWidget(self.more_button, 0, 5)
        self._second_row = [self.buttons[key] for key, _t, _tip in specs[5:]]

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.preview.setMinimumSize(60, 60)
        self.top = QBoxLayout(QBoxLayout.TopToBottom)
        self.top.addWidget(self.preview, 1)
        self.top.addWidget(self.params_text, 0)
        layout.addLayout(self.top, 1)
        layout.addWidget(self.provenance_badge)
        layout.addLayout(grid)
        self.show_entry(None)

    def set_compact(self, compact: bool) -> None:
        """Compact (under the grid in a dock): preview and parameters side by side, so the grid keeps
        the height; else (beside the grid) the preview above the parameters."""
        self.top.setDirection(QBoxLayout.LeftToRight if compact else QBoxLayout.TopToBottom)
        self.top.setStretch(0, 2 if compact else 1)
        self.top.setStretch(1, 3 if compact else 0)
        self.params_text.setMaximumHeight(16777215 if compact else self.params_text.fontMetrics().lineSpacing() * 14 + 10)
        for button in self._second_row:
            button.setVisible(not compact)
        self.more_button.setVisible(compact)

    def show_entry(self, entry: GalleryEntry | None) -> None:
        self.entry = entry
        enabled = entry is not None
        for button in [*self.buttons.values(), self.more_button]:
            button.setEnabled(enabled)
        if entry is None:
            self._image = None
            self.preview.setPixmap(QPixmap())
            self.preview.setText("No image selected")
            self.params_text.setPlainText("")
            self.provenance_badge.setText("")
            return
        self.set_favourite(entry.favourite)
        self.preview.setText("Loading…")
        self.params_text.setPlainText(entry.prompt)
        self.provenance_badge.setText("Provenance: checking…")
        self.provenance_badge.setToolTip("")
        self._pool.start(_LoadPreview(entry, 1024, self._signals))

    def set_favourite(self, on: bool) -> None:
        self.buttons["favourite"].setText("★ Favourite" if on else "☆ Favourite")

    def _loaded(self, image_id: int, image: QImage, text: str) -> None:
        if self.entry is None or self.entry.id != image_id:
            return
        self._image = image
        self.params_text.setPlainText(text)
        self._fit()

    def _provenance(self, image_id: int, level: str, text: str, details: str) -> None:
        if self.entry is None or self.entry.id != image_id:
            return
        colour = {"ok": "#3c9a5f", "warn": "#d05030"}.get(level, "palette(mid)")
        self.provenance_badge.setStyleSheet(f"QLabel {{ color: {colour}; font-weight: 600; }}")
        self.provenance_badge.setText(text)
        self.provenance_badge.setToolTip(details)

    def _fit(self) -> None:
        if self._image is None or self._image.isNull():
            if self.entry is not None and self._image is not None:
                self.preview.setText("This file cannot be read.")
            return
        size = self.preview.size()
        pix = QPixmap.fromImage(self._image).scaled(size, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        self.preview.setPixmap(pix)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def path(self) -> Path | None:
        return self.entry.path if self.entry else None

    def wait(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)
