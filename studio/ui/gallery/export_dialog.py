"""The export dialog: how many images, format, quality or lossless, resize, and a file-name template
with a live preview of the first names."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QWidget,
)

from studio.engine.errors import StudioError
from studio.engine.provenance import STRIP_ALL_WARNING
from studio.library import Library

PREVIEW_NAMES = 3
TEMPLATES = ["{date}-{seed}-{prompt}", "{date}_{time}_{seed}", "{id}-{seed}", "{model}-{seed}-{index}", "{prompt}"]
RESIZE = [("Original size", None), ("Longest side 2048 px", 2048), ("Longest side 1024 px", 1024),
          ("Longest side 512 px", 512), ("Half size (50%)", 0.5), ("Double size (200%)", 2.0)]


class ExportDialog(QDialog):
    def __init__(self, library: Library, ids: list[int], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("galleryExportDialog")
        self.library, self.ids = library, list(ids)
        n = len(self.ids)
        self.setWindowTitle(f"Export {n} image{'s' if n != 1 else ''}")
        self.count_label = QLabel(f"{n:,} image{'s' if n != 1 else ''} will be exported.", objectName="exportCount")
        self.format = QComboBox(objectName="exportFormat")
        for label, value in (("Keep each file's format", None), ("PNG (lossless)", "png"), ("JPEG", "jpeg"), ("WebP", "webp")):
            self.format.addItem(label, value)
        self.quality = QSlider(Qt.Horizontal, objectName="exportQuality")
        self.quality.setRange(1, 100)
        self.quality.setValue(95)
        self.quality_value = QLabel("95")
        self.lossless = QCheckBox("Lossless (WebP: pixels identical to the original)", objectName="exportLossless")
        self.resize_combo = QComboBox(objectName="exportResize")
        for label, value in RESIZE:
            self.resize_combo.addItem(label, value)
        self.template = QComboBox(objectName="exportTemplate")
        self.template.setEditable(True)
        self.template.addItems(TEMPLATES)
        self.template.setToolTip(
            "Fields: {date} {time} {datetime} {seed} {prompt} {negative} {model} {id} {steps} {cfg} {sampler} {width} {height} {index}"
        )
        self.names_preview = QLabel("", objectName="exportNamesPreview")
        self.names_preview.setWordWrap(True)
        self.keep = QComboBox(objectName="exportKeep")
        for label, value in (
            ("Keep everything (parameters and provenance)", "all"),
            ("Strip generation parameters, keep provenance", "provenance"),
            ("Strip everything (pixels only)", "none"),
        ):
            self.keep.addItem(label, value)
        self.keep_warning = QLabel(STRIP_ALL_WARNING, objectName="exportStripWarning", wordWrap=True)
        self.keep_warning.setStyleSheet("color: #d08030")
        self.keep_warning.setVisible(False)
        self.keep.currentIndexChanged.connect(self._keep_changed)
        self.watermark = QCheckBox("Invisible watermark (256x256 and up)", objectName="exportWatermark", checked=True)
        self.sidecar = QComboBox()
        for label, value in (("No sidecar file", None), (".txt beside each image (AUTOMATIC1111 text)", "txt"), (".json beside each image", "json")):
            self.sidecar.addItem(label, value)
        self.as_zip = QCheckBox("Into one .zip archive")

        quality_row = QHBoxLayout()
        quality_row.addWidget(self.quality, 1)
        quality_row.addWidget(self.quality_value)
        form = QFormLayout(self)
        form.addRow(self.count_label)
        form.addRow("Format", self.format)
        form.addRow("Quality", quality_row)
        form.addRow("", self.lossless)
        form.addRow("Size", self.resize_combo)
        form.addRow("File names", self.template)
        form.addRow("", self.names_preview)
        form.addRow("Metadata", self.keep)
        form.addRow("", self.keep_warning)
        form.addRow("", self.watermark)
        form.addRow("Sidecar", self.sidecar)
        form.addRow("", self.as_zip)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

        self.quality.valueChanged.connect(lambda v: self.quality_value.setText(str(v)))
        self.format.currentIndexChanged.connect(self._update)
        self.lossless.toggled.connect(self._update)
        self.template.currentTextChanged.connect(self._update)
        self._update()

    def _update(self, *_args) -> None:
        fmt = self.format.currentData()
        self.lossless.setEnabled(fmt in (None, "webp"))
        lossy = fmt == "jpeg" or (fmt == "webp" and not self.lossless.isChecked())
        self.quality.setEnabled(lossy or fmt is None)
        try:
            names = self.library.export_names(self.ids[:PREVIEW_NAMES], fmt=fmt, template=self.template_text())
        except StudioError as exc:
            self.names_preview.setText(f"⚠ {exc}")
            self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)
            return
        more = " …" if len(self.ids) > PREVIEW_NAMES else ""
        self.names_preview.setText("\n".join(names) + more)
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(True)

    def _keep_changed(self, _index: int) -> None:
        nothing = self.keep.currentData() == "none"
        self.keep_warning.setVisible(nothing)
        self.watermark.setEnabled(not nothing)
        self.adjustSize()

    def template_text(self) -> str:
        return self.template.currentText().strip() or TEMPLATES[0]

    def values(self) -> dict[str, Any]:
        """Keywords for :meth:`studio.library.Library.export`."""
        resize = self.resize_combo.currentData()
        return {
            "fmt": self.format.currentData(),
            "template": self.template_text(),
            "keep": self.keep.currentData(),
            "watermark": self.watermark.isChecked() and self.keep.currentData() != "none",
            "sidecar": self.sidecar.currentData(),
            "quality": self.quality.value(),
            "lossless": self.lossless.isChecked(),
            "max_side": resize if isinstance(resize, int) else None,
            "scale": resize if isinstance(resize, float) else None,
        }


__all__ = ["ExportDialog"]
