"""The parameter panel: model, scheduler, steps, CFG, seed, size, batch, mode and strength."""

from __future__ import annotations

from studio.ui.params_values import ADD_FILE, ADD_FOLDER, STARTER, ParamsValues

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.request import MAX_BATCH, MAX_CFG, MAX_SEED, MAX_SIZE, MAX_STEPS, Mode
from studio.engine.schedulers import DEFAULT_SCHEDULER, SCHEDULER_NAMES
from studio.ui import aio
from studio.ui.hires_options import HiresGroup
from studio.ui.size_logic import RangeHints
from studio.ui.theme import icon
from studio.ui.vae_picker import VaePicker

SIZE_PRESETS = [
    ("Model's native size", 0, 0),
    ("128 x 128", 128, 128),
    ("256 x 256", 256, 256),
    ("512 x 512", 512, 512),
    ("768 x 512 (3:2)", 768, 512),
    ("512 x 768 (2:3)", 512, 768),
    ("912 x 512 (16:9)", 912, 512),
    ("1024 x 1024", 1024, 1024),
    ("1216 x 832", 1216, 832),
    ("832 x 1216", 832, 1216),
]


class ParamsPanel(ParamsValues, QWidget):
    changed = Signal()
    model_chosen = Signal(object)  # spec (None = starter model)
    mode_changed = Signal(object)  # Mode: the hook the inpainting panel listens to
    init_changed = Signal()  # an init image was set or forgotten

    def __init__(self, parent=None):
        super().__init__(parent)
        self._last_seed: int | None = None
        self._init_image: np.ndarray | None = None
        self._ratio: float | None = None
        self._updating = False
        self._native: tuple[int, int] | None = None  # the loaded model's size, for the hires fix's label

        # model
        self.model = QComboBox(objectName="modelPicker")
        self.model.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(14)
        self._fill_models([], None, scanned=False)
        self.model.activated.connect(self._model_activated)
        self.model.currentIndexChanged.connect(lambda i: self.model.setToolTip(self.model.itemData(i, Qt.ToolTipRole) or ""))

        self.scheduler = QComboBox(objectName="scheduler")
        self.scheduler.addItems(SCHEDULER_NAMES)
        self.scheduler.setCurrentText(DEFAULT_SCHEDULER)
        self.steps = QSpinBox(objectName="steps", minimum=1, maximum=MAX_STEPS, value=20)
        self.cfg = QDoubleSpinBox(objectName="cfg", minimum=0.0, maximum=MAX_CFG, singleStep=0.5, value=7.0, decimals=1)

        # seed: a number, or random; "reuse last" takes the last image's seed
        self.seed = QLineEdit("-1", objectName="seed")
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"-1|\d{0,10}"), self))
        self.random_seed = QToolButton(icon=icon("dice"), checkable=True, checked=True, toolTip="Random seed each time")
        self.random_seed.setObjectName("randomSeed")
        self.reuse_seed = QToolButton(icon=icon("recycle"), toolTip="Reuse the last image's seed (and lock it)")
        self.reuse_seed.setObjectName("reuseSeed")
        self.reuse_seed.setEnabled(False)
        self.random_seed.toggled.connect(self._random_toggled)
        self.reuse_seed.clicked.connect(self.reuse_last_seed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.random_seed)
        seed_row.addWidget(self.reuse_seed)
        self._random_toggled(True)

        # size
        self.preset = QComboBox(objectName="sizePreset")
        for label, w, h in SIZE_PRESETS:
            self.preset.addItem(label, (w, h))
        self.preset.addItem("Custom size", None)  # shown while the fields match no preset
        self.preset.activated.connect(self._preset_chosen)
        self.width_spin = QSpinBox(objectName="width", minimum=0, maximum=MAX_SIZE, singleStep=8, value=0)
        self.height_spin = QSpinBox(objectName="height", minimum=0, maximum=MAX_SIZE, singleStep=8, value=0)
        for spin in (self.width_spin, self.height_spin):
            spin.setSpecialValueText("native")
        self.lock_ratio = QToolButton(icon=icon("link"), checkable=True, toolTip="Lock the aspect ratio")
        self.lock_ratio.setObjectName("lockRatio")
        self.lock_ratio.toggled.connect(self._lock_toggled)
        self.width_spin.valueChanged.connect(lambda v: self._size_edited(self.width_spin, v))
        self.height_spin.valueChanged.connect(lambda v: self._size_edited(self.height_spin, v))
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_spin, 1)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin, 1)
        size_row.addWidget(self.lock_ratio)
        self.size_note = QLabel("", objectName="sizeNote", wordWrap=True)  # what will run
        self.range_hints = RangeHints(QLabel("", objectName="rangeNote", wordWrap=True), self)
        self.range_note = self.range_hints.label
        self.batch = QSpinBox(objectName="batch", minimum=1, maximum=MAX_BATCH, value=1)

        # mode, init image, strength
        self.mode = QComboBox(objectName="mode")
        self.mode.addItem("Text to image", Mode.TXT2IMG.value)
        self.mode.addItem("Image to image", Mode.IMG2IMG.value)
        self.mode.addItem("Inpaint", Mode.INPAINT.value)
        self.mode.currentIndexChanged.connect(self._mode_index_changed)
        self.init_thumb = QLabel("Drop an image on the canvas", objectName="initThumb")
        self.init_thumb.setAlignment(Qt.AlignCenter)
        self.init_thumb.setMinimumHeight(48)
        self.init_thumb.setWordWrap(True)
        self.clear_init = QToolButton(icon=icon("remove"), toolTip="Forget the init image")
        self.clear_init.clicked.connect(self.clear_init_image)
        init_row = QHBoxLayout()
        init_row.addWidget(self.init_thumb, 1)
        init_row.addWidget(self.clear_init)
        self.strength = QSlider(Qt.Horizontal, objectName="strength", minimum=0, maximum=100, value=75)
        self.strength_label = QLabel("0.75")
        self.strength.valueChanged.connect(lambda v: self.strength_label.setText(f"{v / 100:.2f}"))
        strength_row = QHBoxLayout()
        strength_row.addWidget(self.strength, 1)
        strength_row.addWidget(self.strength_label)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Model", self.model)
        form.addRow("Sampler", self.scheduler)
        self.vae = VaePicker()
        form.addRow("VAE", self.vae)
        form.addRow("Steps", self.steps)
        form.addRow("CFG scale", self.cfg)
        form.addRow("Seed", seed_row)
        form.addRow("Size", self.preset)
        form.addRow("", size_row)
        form.addRow("", self.size_note)
        form.addRow("Batch", self.batch)
        form.addRow("Mode", self.mode)
        form.addRow("Init image", init_row)
        form.addRow("Strength", strength_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        self.hires = HiresGroup(self._first_pass_size)
        layout.addWidget(self.hires)
        layout.addWidget(self.range_note)
        layout.addStretch(1)
        self._update_init_widgets()
        for spin in (self.steps, self.cfg, self.width_spin, self.height_spin, self.batch):
            self.range_hints.watch(spin, spin.objectName().capitalize().replace("Cfg", "CFG scale"))

        for w in (self.steps, self.cfg, self.batch, self.width_spin, self.height_spin):
            w.valueChanged.connect(self.changed)
        self.scheduler.currentIndexChanged.connect(self.changed)
        self.vae.changed.connect(self.changed)
        self.seed.textChanged.connect(self.changed)
        self.strength.valueChanged.connect(self.changed)
        self.hires.changed.connect(self.changed)
        for spin in (self.width_spin, self.height_spin):
            spin.valueChanged.connect(self.hires.update_size)

    # -- models ------------------------------------------------------------------------------

    def refresh_models(self, extra_spec: str | None = None) -> None:
        """Rescan the models folder off the GUI thread, then refill the picker."""
        aio.spawn(self._refresh(extra_spec))

    async def _refresh(self, extra_spec: str | None) -> None:
        from studio.engine.models import list_models

        choices = await aio.off_thread(list_models)
        # the choice as it is now: the user may have picked another model while the folder was scanned
        self._fill_models(choices, self.model_spec() if extra_spec is None else extra_spec)

    def _fill_models(self, choices, selected: str | None, scanned: bool = True) -> None:
        self._updating = True
        self.model.clear()
        specs = set()
        if not any(c.spec is None for c in choices):
            self.model.addItem("starter (not installed)" if scanned else "starter", STARTER)
        for c in choices:
            self.model.addItem(c.name if c.spec else "starter", c.spec if c.spec is not None else STARTER)
            self.model.setItemData(self.model.count() - 1, _card_tip(c.spec), Qt.ToolTipRole)  # training data, limits
            specs.add(c.spec)
        if selected and selected not in specs:
            self.model.addItem(Path(selected).name or selected, selected)
        self.model.insertSeparator(self.model.count())
        self.model.addItem("Add a model folder…", ADD_FOLDER)
        self.model.addItem("Add a model file (.safetensors)…", ADD_FILE)
        self._select_model(selected)
        self._updating = False

    def _select_model(self, spec: str | None) -> None:
        index = self.model.findData(spec if spec else STARTER)
        self.model.setCurrentIndex(max(0, index))
        self._current_model_index = self.model.currentIndex()
        self.model.setToolTip(self.model.itemData(self.model.currentIndex(), Qt.ToolTipRole) or "")

    def model_spec(self) -> str | None:
        data = self.model.currentData()
        return None if data in (STARTER, ADD_FOLDER, ADD_FILE, None) else data

    def set_model_spec(self, spec: str | None) -> None:
        """Select ``spec`` in the picker (adding it when it is a path the scan did not list)."""
        if spec and self.model.findData(spec) < 0:
            self.model.insertItem(self.model.count() - 3, Path(spec).name or spec, spec)
        self._select_model(spec)

    def _model_activated(self, index: int) -> None:
        if self._updating:
            return
        data = self.model.itemData(index)
        if data in (ADD_FOLDER, ADD_FILE):
            self._select_model(self._previous_spec())
            if data == ADD_FOLDER:
                path = QFileDialog.getExistingDirectory(self, "Choose a diffusers model folder")
            else:
                path, _ = QFileDialog.getOpenFileName(
                    self, "Choose a model file", "", "Model files (*.safetensors *.ckpt);;All files (*)"
                )
            if not path:
                return
            self.set_model_spec(path)
        self._current_model_index = self.model.currentIndex()
        self.model_chosen.emit(self.model_spec())
        self.changed.emit()

    def _previous_spec(self) -> str | None:
        data = self.model.itemData(getattr(self, "_current_model_index", 0))
        return None if data in (STARTER, ADD_FOLDER, ADD_FILE, None) else data

    # -- seed ----------------------------------------------------------------------------------

    def _random_toggled(self, random: bool) -> None:
        self.seed.setEnabled(not random)
        if random:
            self.seed.setText("-1")
        elif self.seed.text().strip() in ("", "-1"):
            self.seed.setText(str(self._last_seed if self._last_seed is not None else 0))

    def seed_value(self) -> int:
        if self.random_seed.isChecked():
            return -1
        try:
            value = int(self.seed.text().strip())
        except ValueError:
            return -1
        return value if -1 <= value <= MAX_SEED else -1

    def set_last_seed(self, seed: int) -> None:
        self._last_seed = int(seed)
        self.reuse_seed.setEnabled(True)
        self.reuse_seed.setToolTip(f"Reuse the last image's seed ({seed}) and lock it")

    def reuse_last_seed(self) -> None:
        if self._last_seed is None:
            return
        self.random_seed.setChecked(False)
        self.seed.setText(str(self._last_seed))

    # -- size -------------------------------------------------------------------------------------

    def _preset_chosen(self, index: int) -> None:
        if self.preset.itemData(index) is None:
            return
        w, h = self.preset.itemData(index)
        self._set_size(w, h)
        if self.lock_ratio.isChecked():
            self._ratio = w / h if w and h else None

    def _set_size(self, w: int, h: int) -> None:
        self._updating = True
        self.width_spin.setValue(w)
        self.height_spin.setValue(h)
        self._updating = False

    def _lock_toggled(self, locked: bool) -> None:
        w, h = self.width_spin.value(), self.height_spin.value()
        self._ratio = (w / h) if locked and w and h else None

    def _size_edited(self, spin: QSpinBox, value: int) -> None:
        if self._updating:
            return
        if self._ratio and value:
            self._updating = True
            if spin is self.width_spin:
                self.height_spin.setValue(_snap8(value / self._ratio))
            else:
                self.width_spin.setValue(_snap8(value * self._ratio))
            self._updating = False
        w, h = self.width_spin.value(), self.height_spin.value()
        index = next((i for i, (_, pw, ph) in enumerate(SIZE_PRESETS) if (pw, ph) == (w, h)), len(SIZE_PRESETS))
        self.preset.setCurrentIndex(index)  # "Custom size" when no preset matches

    # -- mode and init image ----------------------------------------------------------------------

    def current_mode(self) -> Mode:
        return Mode(self.mode.currentData())  # Qt hands the str-enum back as a plain str

    def set_mode(self, mode: Mode) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(Mode(mode).value)))

    def _mode_index_changed(self, _index: int) -> None:
        self._update_init_widgets()
        self.mode_changed.emit(self.current_mode())
        self.changed.emit()

    def set_init_image(self, array: np.ndarray, image: QImage, switch_mode: bool = True) -> None:
        """Use ``array`` as the init image (img2img/inpaint); ``image`` is its QImage for the thumbnail."""
        self._init_image = array
        pix = QPixmap.fromImage(image).scaled(96, 64, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        self.init_thumb.setPixmap(pix)
        self.init_thumb.setToolTip(f"{array.shape[1]}x{array.shape[0]}")
        if switch_mode and self.current_mode() is Mode.TXT2IMG:
            self.set_mode(Mode.IMG2IMG)
        self._update_init_widgets()
        self.init_changed.emit()

    def init_image(self) -> np.ndarray | None:
        return self._init_image

    def clear_init_image(self) -> None:
        self._init_image = None
        self.init_thumb.clear()
        self.init_thumb.setText("Drop an image on the canvas")
        if self.current_mode() is not Mode.TXT2IMG:
            self.set_mode(Mode.TXT2IMG)
        self._update_init_widgets()
        self.init_changed.emit()

    def _update_init_widgets(self) -> None:
        uses_init = self.current_mode() is not Mode.TXT2IMG
        self.strength.setEnabled(uses_init)
        if hasattr(self, "hires"):
            self.hires.set_available(not uses_init)
        self.clear_init.setEnabled(self._init_image is not None)

    # -- hires fix -----------------------------------------------------------------------------------

    def set_native_size(self, width: int, height: int) -> None:
        """The loaded model's native size: what a "native" first pass of the hires fix is."""
        self._native = (int(width), int(height))
        self.hires.update_size()

    def _first_pass_size(self) -> tuple[int, int] | None:
        w, h = self.width_spin.value(), self.height_spin.value()
        return (_snap8(w), _snap8(h)) if w and h else self._native


def _snap8(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


def _card_tip(spec: str | None) -> str:
    """The model picker's tooltip: what the model card says about training data and limits."""
    from studio.engine.model_card import training_statement

    return "Training data and limits (model card): " + training_statement(spec)
