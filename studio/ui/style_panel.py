"""The Style tool's panel: the style image (file, gallery, clipboard, drop), weights and options, run/cancel, loss curve.

Plain widgets and values; :mod:`studio.ui.style_tool` connects it to the canvas and the style thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style.settings import MAX_SIZE, MAX_STEPS, StyleSettings
from studio.ui.images import from_qimage, is_image_file, read_rgb, to_qimage
from studio.ui.loss_curve import LossCurve


class StyleImageBox(QLabel):
    """Shows the chosen style image; takes dropped files (also gallery thumbnails) and images."""

    dropped = Signal(object)  # HxWx3 uint8
    failed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__("Drop a style image here", parent)
        self.setObjectName("styleImageBox")
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(160, 120)
        self.setMaximumHeight(160)
        self.setAcceptDrops(True)
        self.setStyleSheet("QLabel#styleImageBox { border: 1px dashed #59616b; color: #9aa3ad; }")

    def show_array(self, array: np.ndarray) -> None:
        pix = QPixmap.fromImage(to_qimage(array))
        self.setPixmap(pix.scaled(self.width() - 4, self.height() - 4, Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasImage() or (mime.hasUrls() and any(is_image_file(u.toLocalFile()) for u in mime.urls())):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and is_image_file(u.toLocalFile())]
        try:
            if paths:
                self.dropped.emit(read_rgb(paths[0]))
            elif mime.hasImage():
                self.dropped.emit(from_qimage(mime.imageData()))
            event.acceptProposedAction()
        except Exception as exc:  # noqa: BLE001 - an unreadable drop is a status message
            self.failed.emit(str(exc))


class StylePanel(QWidget):
    run_clicked = Signal()
    cancel_clicked = Signal()
    gallery_clicked = Signal()
    status = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("stylePanel")
        self.style_image: np.ndarray | None = None
        d = StyleSettings()
        layout = QVBoxLayout(self)
        self.image_box = StyleImageBox(self)
        self.image_box.dropped.connect(self.set_style_image)
        self.image_box.failed.connect(self.status)
        layout.addWidget(self.image_box)
        pick = QHBoxLayout()
        self.file_button = QPushButton("File…", objectName="styleFile")
        self.gallery_button = QPushButton("Gallery", objectName="styleGallery", toolTip="Use the image selected in the gallery")
        self.paste_button = QPushButton("Paste", objectName="stylePaste", toolTip="Use the image on the clipboard")
        for b in (self.file_button, self.gallery_button, self.paste_button):
            pick.addWidget(b)
        layout.addLayout(pick)
        self.file_button.clicked.connect(self._choose_file)
        self.gallery_button.clicked.connect(self.gallery_clicked)
        self.paste_button.clicked.connect(self._paste)

        form = QFormLayout()
        self.mode = QComboBox(objectName="styleMode")
        self.mode.addItem("Exact (optimise, live)", "exact")
        self.mode.addItem("Fast (one pass)", "fast")
        self.network = QComboBox(objectName="styleNetwork")
        for label, value in (("Automatic", "auto"), ("VGG-19 (your weights)", "vgg19"), ("Random multi-scale", "random")):
            self.network.addItem(label, value)
        self.steps = QSpinBox(objectName="styleSteps", minimum=1, maximum=MAX_STEPS, value=d.steps)
        self.style_weight = self._weight(d.style_weight, "styleWeight")
        self.content_weight = self._weight(d.content_weight, "contentWeight")
        self.tv_weight = self._weight(d.tv_weight, "tvWeight")
        self.size = QSpinBox(objectName="styleSize", minimum=0, maximum=MAX_SIZE, value=d.size, singleStep=64)
        self.size.setSpecialValueText("auto (≤ 512)")
        self.preserve = QCheckBox("Preserve colours (luminance only)", objectName="stylePreserve")
        self.masked = QCheckBox("Only inside the painted mask", objectName="styleMasked")
        form.addRow("Mode", self.mode)
        form.addRow("Features", self.network)
        form.addRow("Iterations", self.steps)
        form.addRow("Style weight", self.style_weight)
        form.addRow("Content weight", self.content_weight)
        form.addRow("Smoothness (TV)", self.tv_weight)
        form.addRow("Size (px)", self.size)
        form.addRow(self.preserve)
        form.addRow(self.masked)
        layout.addLayout(form)
        self.mode.currentIndexChanged.connect(self._mode_changed)

        buttons = QHBoxLayout()
        self.run_button = QPushButton("Stylize canvas", objectName="styleRun")
        self.cancel_button = QPushButton("Cancel", objectName="styleCancel", enabled=False)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.run_button.clicked.connect(self.run_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.progress = QLabel("Choose a style image, then stylize the canvas image.", objectName="styleProgress", wordWrap=True)
        layout.addWidget(self.progress)
        self.curve = LossCurve(self)
        layout.addWidget(self.curve)
        layout.addStretch(1)

    @staticmethod
    def _weight(value: float, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(objectName=name, minimum=0.0, maximum=1e6, decimals=3, value=value)
        spin.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
        return spin

    def _mode_changed(self) -> None:
        exact = self.mode.currentData() == "exact"
        for w in (self.steps, self.network, self.style_weight, self.content_weight, self.tv_weight):
            w.setEnabled(exact)

    def set_style_image(self, array: np.ndarray) -> None:
        self.style_image = np.ascontiguousarray(array[..., :3])
        self.image_box.show_array(self.style_image)
        self.status.emit(f"Style image: {array.shape[1]}x{array.shape[0]}")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Style image", "", "Images (*.png *.jpg *.jpeg *.webp *.bmp)")
        if path:
            try:
                self.set_style_image(read_rgb(path))
            except Exception as exc:  # noqa: BLE001
                self.status.emit(str(exc))

    def _paste(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.status.emit("No image on the clipboard")
        else:
            self.set_style_image(from_qimage(image))

    def settings(self) -> StyleSettings:
        """The chosen settings (raises InvalidRequest for impossible combinations)."""
        return StyleSettings(
            mode=self.mode.currentData(),
            steps=self.steps.value(),
            style_weight=self.style_weight.value(),
            content_weight=self.content_weight.value(),
            tv_weight=self.tv_weight.value(),
            size=self.size.value() if self.size.value() == 0 or self.size.value() >= 32 else 32,
            preserve_colors=self.preserve.isChecked(),
            network=self.network.currentData(),
        )

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
