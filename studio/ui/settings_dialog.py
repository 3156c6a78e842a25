"""The settings dialog: engine (this computer or a server), device, dtype, previews (every k steps, how), data folder."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
)

from studio import paths
from studio.settings import DEVICES, DTYPES, PREVIEW_METHODS, Settings
from studio.ui.engine_choice import EngineChoice
from studio.ui.theme import icon


PREVIEW_LABELS = {
    "auto": "Automatic",
    "linear": "Linear map (fastest)",
    "tiny": "Tiny decoder",
    "vae": "Full VAE every N steps",
}


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._settings = settings
        self.device = QComboBox(objectName="device")
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device)
        self.dtype = QComboBox(objectName="dtype")
        self.dtype.addItems(DTYPES)
        self.dtype.setCurrentText(settings.dtype)
        self.preview_every = QSpinBox(objectName="previewEvery", minimum=0, maximum=50, value=settings.preview_every)
        self.preview_every.setSpecialValueText("never")
        self.preview_every.setSuffix(" steps")
        self.preview_method = QComboBox(objectName="previewMethod")
        for method in PREVIEW_METHODS:
            self.preview_method.addItem(PREVIEW_LABELS[method], method)
        self.preview_method.setCurrentIndex(PREVIEW_METHODS.index(settings.preview_method))
        self.preview_method.setToolTip(
            "Automatic: the model's own tiny preview decoder when it has one (a TAESD decoder from "
            "models/VAE-approx on a GPU), else the linear map. Tiny decoder: TAESD on any device (slow on a CPU). "
            "Full VAE: exact, but a full decode every N steps."
        )
        self.preview_vae_every = QSpinBox(objectName="previewVaeEvery", minimum=1, maximum=50,
                                          value=settings.preview_vae_every, prefix="every ", suffix=" steps")
        self.preview_method.currentIndexChanged.connect(self._method_changed)
        self._method_changed()
        self.data_folder = QLineEdit(settings.data_folder, objectName="dataFolder")
        self.data_folder.setPlaceholderText(str(paths.data_dir()))
        browse = QToolButton(icon=icon("open"), toolTip="Choose a folder")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.data_folder, 1)
        folder_row.addWidget(browse)

        self.engine = EngineChoice(settings.engine, settings.server_url, settings.server_token)
        form = QFormLayout()
        form.addRow("Engine", self.engine)
        form.addRow("Device", self.device)
        form.addRow("Precision", self.dtype)
        form.addRow("Preview every", self.preview_every)
        form.addRow("Preview method", self.preview_method)
        form.addRow("Full VAE preview", self.preview_vae_every)
        form.addRow("Data folder", folder_row)
        self.watermark = QCheckBox("Invisible watermark on saved and exported images", objectName="watermarkExports")
        self.watermark.setChecked(settings.watermark_exports)
        self.watermark.setToolTip("dwtDct mark (images of 256x256 and up); C2PA Content Credentials are always added")
        form.addRow("Provenance", self.watermark)
        self.stage_results = QCheckBox("Stage results before they replace the canvas", objectName="stageResults")
        self.stage_results.setChecked(settings.stage_results)
        self.stage_results.setToolTip("New results wait over the canvas image: cycle them, compare, then Accept one "
                                      "or Discard (they are in the gallery either way). Off: each result replaces the canvas image.")
        form.addRow("Results", self.stage_results)
        note = QLabel("Device and precision (on this computer) reload the model. On a server, the server's own device is used. A new data folder (gallery, models) is used from the next launch.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _method_changed(self, *_args) -> None:
        self.preview_vae_every.setEnabled(self.preview_method.currentData() == "vae")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.data_folder.text() or str(paths.data_dir()))
        if folder:
            self.data_folder.setText(folder)

    def result_settings(self) -> Settings:
        """The settings as edited (a copy; the caller saves it)."""
        return replace(
            self._settings,
            device=self.device.currentText(),
            dtype=self.dtype.currentText(),
            preview_every=self.preview_every.value(),
            preview_method=self.preview_method.currentData(),
            preview_vae_every=self.preview_vae_every.value(),
            data_folder=self.data_folder.text().strip(),
            engine=self.engine.engine(),
            server_url=self.engine.url.text().strip(),
            server_token=self.engine.token.text().strip(),
            watermark_exports=self.watermark.isChecked(),
            stage_results=self.stage_results.isChecked(),
        ).validated()
