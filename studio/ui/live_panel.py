"""The Live panel: the live toggle and Apply, the live view, live settings and the paint tools."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import live as L
from studio.engine.schedulers import SCHEDULER_NAMES
from studio.ui.live_view import BESIDE, DEFAULT_OVERLAY_OPACITY, OVER, LiveView
from studio.ui.paint_tools import PaintMode, PaintSettings

TOOL_BUTTONS = (
    (PaintMode.BRUSH, "Brush", "Paint colour (P; B while painting). Ctrl+click picks a colour."),
    (PaintMode.ERASER, "Eraser", "Erase paint (E while painting; right button erases too)"),
    (PaintMode.PICKER, "Picker", "Pick a colour from the picture (I over the canvas)"),
    (PaintMode.FILL, "Fill", "Fill the area of similar colour (F)"),
)


def _swatch(colour: QColor) -> QIcon:
    pix = QPixmap(28, 18)
    pix.fill(colour)
    return QIcon(pix)


class LivePanel(QWidget):
    live_toggled = Signal(bool)
    apply_requested = Signal()
    settings_changed = Signal(object)  # LiveSettings
    reset_requested = Signal()
    placement_changed = Signal(str)
    tool_chosen = Signal(object)  # PaintMode
    clear_paint_requested = Signal()

    def __init__(self, canvas, paint: PaintSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("livePanel")
        self.paint = paint
        self._settings = L.GENERIC
        self._filling = False
        self.live_button = QPushButton("Live", checkable=True, objectName="liveToggle")
        self.live_button.setToolTip("Live painting: the model follows every change of the canvas (Ctrl+L)")
        self.apply_button = QPushButton("Apply", objectName="liveApply", enabled=False)
        self.apply_button.setToolTip("Put the live result on the canvas and save it to the gallery (Ctrl+Shift+L)")
        self.live_button.toggled.connect(self.live_toggled)
        self.apply_button.clicked.connect(self.apply_requested)
        self.view = LiveView(canvas, self)

        self.steps = QSpinBox(objectName="liveSteps", minimum=1, maximum=L.MAX_LIVE_STEPS)
        self.strength = QDoubleSpinBox(objectName="liveStrength", minimum=0.05, maximum=1.0, singleStep=0.05, decimals=2)
        self.cfg = QDoubleSpinBox(objectName="liveCfg", minimum=0.0, maximum=20.0, singleStep=0.5, decimals=1)
        self.sampler = QComboBox(objectName="liveSampler")
        self.sampler.addItems(SCHEDULER_NAMES)
        self.placement = QComboBox(objectName="livePlacement")
        self.placement.addItem("Beside the canvas", BESIDE)
        self.placement.addItem("Over the canvas", OVER)
        reset = QToolButton(text="Model's", toolTip="Back to this model's live settings")
        reset.clicked.connect(self.reset_requested)
        for w in (self.steps, self.strength, self.cfg):
            w.valueChanged.connect(self._edited)
        self.sampler.currentTextChanged.connect(self._edited)
        self.placement.currentIndexChanged.connect(lambda _i: self.placement_changed.emit(self.placement.currentData()))
        # over the canvas, the live frame is see-through so the strokes under it stay visible
        self.overlay_opacity = QSlider(Qt.Horizontal, objectName="liveOverlayOpacity", minimum=10, maximum=100,
                                       toolTip="How much of the live result covers the canvas (over the canvas)")
        self.overlay_opacity.setValue(round(DEFAULT_OVERLAY_OPACITY * 100))
        self.overlay_opacity.setEnabled(False)
        self.overlay_opacity.valueChanged.connect(lambda v: self.view.set_overlay_opacity(v / 100))
        self.placement_changed.connect(lambda where: self.overlay_opacity.setEnabled(where == OVER))

        settings_box = QGroupBox("Live settings")
        form = QFormLayout(settings_box)
        steps_row = QHBoxLayout()
        steps_row.addWidget(self.steps, 1)
        steps_row.addWidget(reset)
        form.addRow("Steps per update", steps_row)
        form.addRow("Strength", self.strength)
        form.addRow("CFG", self.cfg)
        form.addRow("Sampler", self.sampler)
        form.addRow("Live view", self.placement)
        form.addRow("Overlay opacity", self.overlay_opacity)

        paint_box = QGroupBox("Paint")
        tools = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[PaintMode, QToolButton] = {}
        for mode, text, tip in TOOL_BUTTONS:
            b = QToolButton(text=text, toolTip=tip, checkable=True, objectName=f"paint{text}")
            b.clicked.connect(lambda _c=False, m=mode: self.tool_chosen.emit(m))
            self.tool_group.addButton(b)
            self.tool_buttons[mode] = b
            tools.addWidget(b)
        self.colour_button = QToolButton(objectName="paintColour", toolTip="The brush colour (click to choose)")
        self.colour_button.clicked.connect(self._choose_colour)
        tools.addWidget(self.colour_button)
        self.size = QSpinBox(objectName="paintSize", minimum=1, maximum=1024, suffix=" px")
        self.hardness = QDoubleSpinBox(objectName="paintHardness", minimum=0.0, maximum=1.0, singleStep=0.1, decimals=2)
        self.opacity = QDoubleSpinBox(objectName="paintOpacity", minimum=0.01, maximum=1.0, singleStep=0.1, decimals=2)
        self.size.valueChanged.connect(lambda v: self._filling or paint.set(size=v))
        self.hardness.valueChanged.connect(lambda v: self._filling or paint.set(hardness=v))
        self.opacity.valueChanged.connect(lambda v: self._filling or paint.set(opacity=v))
        clear = QPushButton("Clear paint", objectName="paintClear")
        clear.clicked.connect(self.clear_paint_requested)
        pform = QFormLayout(paint_box)
        pform.addRow(tools)
        pform.addRow("Size", self.size)
        pform.addRow("Hardness", self.hardness)
        pform.addRow("Opacity", self.opacity)
        pform.addRow(clear)

        top = QHBoxLayout()
        top.addWidget(self.live_button, 1)
        top.addWidget(self.apply_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(paint_box)
        layout.addWidget(settings_box)
        paint.changed.connect(self._paint_changed)
        self._paint_changed()
        self.show_settings(L.GENERIC)

    # -- live settings -------------------------------------------------------------------------

    def show_settings(self, settings: L.LiveSettings) -> None:
        """Fill the controls from ``settings`` (without echoing a change)."""
        self._settings = settings
        self._filling = True
        try:
            self.steps.setValue(settings.steps)
            self.strength.setValue(settings.strength)
            self.cfg.setValue(settings.cfg_scale)
            self.sampler.setCurrentText(settings.scheduler)
        finally:
            self._filling = False

    def live_settings(self) -> L.LiveSettings:
        return self._settings

    def _edited(self, *_args) -> None:
        if self._filling:
            return
        self._settings = replace(
            self._settings, steps=self.steps.value(), strength=round(self.strength.value(), 2),
            cfg_scale=round(self.cfg.value(), 2), scheduler=self.sampler.currentText(),
        )
        self.settings_changed.emit(self._settings)

    # -- paint -----------------------------------------------------------------------------------

    def _paint_changed(self) -> None:
        s = self.paint
        self._filling = True
        try:
            self.size.setValue(s.size)
            self.hardness.setValue(s.hardness)
            self.opacity.setValue(s.opacity)
        finally:
            self._filling = False
        self.colour_button.setIcon(_swatch(s.colour))
        self.colour_button.setToolTip(f"The brush colour: {s.colour.name()} (click to choose)")
        button = self.tool_buttons.get(s.mode)
        if button is not None and not button.isChecked():
            button.setChecked(True)

    def show_painting(self, on: bool) -> None:
        """The tool buttons show whether a paint tool is armed on the canvas."""
        self.tool_group.setExclusive(on)
        for mode, b in self.tool_buttons.items():
            b.setChecked(on and mode is self.paint.mode)

    def _choose_colour(self) -> None:
        colour = QColorDialog.getColor(self.paint.colour, self, "Brush colour")
        if colour.isValid():
            self.paint.set(colour=colour)
            self.tool_chosen.emit(PaintMode.BRUSH)


__all__ = ["LivePanel"]
