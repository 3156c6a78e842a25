"""The parameter panel's VAE picker: the model's own, one from models/VAE, or a file chosen by hand."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QToolButton, QWidget

from studio.engine.vae_swap import list_vaes, vae_dir
from studio.ui.theme import icon

AUTOMATIC = "Automatic (the model's own)"


class VaePicker(QWidget):
    """``spec()`` is what GenerationRequest.vae takes: "" for the model's own VAE, else a path."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.combo = QComboBox(objectName="vaePicker")
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip(
            "The autoencoder that turns latents into the picture. Put .safetensors VAEs or diffusers VAE folders in "
            f"{vae_dir()}; they must fit the model (same latent channels)."
        )
        browse = QToolButton(icon=icon("open"), toolTip="Choose a VAE file or folder", objectName="vaeBrowse")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(browse)
        self.refresh()
        self.combo.currentIndexChanged.connect(self.changed)

    def refresh(self, keep: str | None = None) -> None:
        keep = self.spec() if keep is None else keep
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(AUTOMATIC, "")
        for choice in list_vaes():
            self.combo.addItem(choice.name, choice.path)
        self.combo.blockSignals(False)
        self.set_spec(keep)

    def spec(self) -> str:
        return self.combo.currentData() or "" if self.combo.count() else ""

    def set_spec(self, spec: str | None) -> None:
        """Select ``spec``: a path, or a name (as A1111 metadata records it) found in models/VAE."""
        spec = (spec or "").strip()
        if not spec:
            self.combo.setCurrentIndex(0)
            return
        for i in range(self.combo.count()):
            data = self.combo.itemData(i) or ""
            if data == spec or (data and Path(data).name == Path(spec).name):
                self.combo.setCurrentIndex(i)
                return
        # not in models/VAE: keep it as given, so a missing file is reported when generating
        self.combo.addItem(Path(spec).name, spec)
        self.combo.setCurrentIndex(self.combo.count() - 1)

    def _browse(self) -> None:
        start = str(vae_dir()) if vae_dir().is_dir() else ""
        path, _ = QFileDialog.getOpenFileName(self, "VAE file", start, "VAE weights (*.safetensors);;All files (*)")
        if path:
            self.set_spec(path)
