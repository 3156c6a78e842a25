"""The parameters panel's collapsible "Hires fix" group (text to image only).

As AUTOMATIC1111's hires fix: the first pass runs at the panel's size (the
model's native size by default), an upscaler makes it ``scale`` times bigger,
and a second, partial denoise adds the detail (:mod:`studio.engine.hires`). The
group shows the size that comes out ("64x64 -> 128x128"); its upscaler list is
what ``studio models`` lists (the bundled GAN, the user's files in
``models/ESRGAN`` and ``models/upscale_models``) plus the plain resizes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.hires import MAX_SCALE, RESIZE_UPSCALERS, HiresOptions
from studio.engine.request import MAX_STEPS, round_to_8
from studio.ui import aio

BUNDLED = "__bundled__"  # combo data: the bundled GAN upscaler for the scale (HiresOptions.upscaler None)
DEFAULTS = {"enabled": False, "scale": 2.0, "denoise": 0.45, "steps": 0, "upscaler": None}


class HiresGroup(QWidget):
    """``options()`` is what a Generate press runs (None: no hires fix); ``settings()`` what is kept."""

    changed = Signal()

    def __init__(self, base_size: Callable[[], tuple[int, int] | None], parent=None):
        super().__init__(parent)
        self._base_size = base_size
        self._available = True
        self.toggle = QToolButton(text="Hires fix", checkable=True, objectName="hiresToggle")
        self.toggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolTip("Generate at the model's size, upscale, then refine the detail at the bigger size")
        self.toggle.toggled.connect(self.set_expanded)
        self.summary = QLabel("", objectName="hiresSummary")

        self.body = QWidget(objectName="hiresBody")
        self.enable_check = QCheckBox("Upscale and refine each image", objectName="hiresEnabled")
        self.scale = QDoubleSpinBox(objectName="hiresScale", minimum=1.05, maximum=MAX_SCALE, singleStep=0.25,
                                    value=2.0, decimals=2, suffix=" x")
        self.upscaler = QComboBox(objectName="hiresUpscaler")
        self.upscaler.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.upscaler.setMinimumContentsLength(12)
        self._fill_upscalers([])
        self.steps = QSpinBox(objectName="hiresSteps", minimum=0, maximum=MAX_STEPS, value=0)
        self.steps.setSpecialValueText("as the first pass")
        self.denoise = QDoubleSpinBox(objectName="hiresDenoise", minimum=0.01, maximum=1.0, singleStep=0.05,
                                      value=0.45, decimals=2)
        self.denoise.setToolTip("How much the second pass may change: low keeps the picture, high repaints it")
        self.size_label = QLabel("", objectName="hiresSize")
        self.note = QLabel("", objectName="hiresNote", wordWrap=True)
        self.note.hide()
        form = QFormLayout(self.body)
        form.setContentsMargins(12, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow(self.enable_check)
        form.addRow("Upscale by", self.scale)
        form.addRow("Upscaler", self.upscaler)
        form.addRow("Hires steps", self.steps)
        form.addRow("Denoising", self.denoise)
        form.addRow("Size", self.size_label)
        form.addRow(self.note)
        self.body.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        header = QWidget()
        row = QFormLayout(header)
        row.setContentsMargins(0, 0, 0, 0)
        row.addRow(self.toggle, self.summary)
        layout.addWidget(header)
        layout.addWidget(self.body)

        for signal in (self.enable_check.toggled, self.scale.valueChanged, self.upscaler.currentIndexChanged,
                       self.steps.valueChanged, self.denoise.valueChanged):
            signal.connect(self._edited)
        self.update_size()

    # -- the upscaler list ---------------------------------------------------------------------

    def refresh_upscalers(self) -> None:
        """List the upscaler files off the GUI thread (a user folder may be slow), then refill the combo."""
        from studio.engine.upscale.models import list_upscalers

        async def run():
            found = await aio.off_thread(list_upscalers)
            self._fill_upscalers([u.name for u in found if not u.bundled])

        aio.spawn(run())

    def _fill_upscalers(self, names: list[str]) -> None:
        current = self.upscaler_name()
        self.upscaler.blockSignals(True)
        self.upscaler.clear()
        self.upscaler.addItem("Studio GAN (bundled)", BUNDLED)
        for name in names:
            self.upscaler.addItem(name, name)
        for name in RESIZE_UPSCALERS:
            self.upscaler.addItem(name, name)
        self._select_upscaler(current)
        self.upscaler.blockSignals(False)

    def upscaler_name(self) -> str | None:
        data = self.upscaler.currentData() if self.upscaler.count() else BUNDLED
        return None if data in (BUNDLED, None) else data

    def _select_upscaler(self, name: str | None) -> bool:
        index = self.upscaler.findData(name if name else BUNDLED)
        if index < 0 and name and name.startswith("studio-compact-x"):
            index = 0  # a bundled model, named by the metadata: the bundled choice
        self.upscaler.setCurrentIndex(max(0, index))
        return index >= 0

    # -- values ----------------------------------------------------------------------------------

    def options(self) -> HiresOptions | None:
        if not (self.enable_check.isChecked() and self._available):
            return None
        return HiresOptions(round(self.scale.value(), 2), round(self.denoise.value(), 2), self.steps.value(),
                            self.upscaler_name())

    def settings(self) -> dict[str, Any]:
        return {"enabled": self.enable_check.isChecked(), "scale": round(self.scale.value(), 2),
                "denoise": round(self.denoise.value(), 2), "steps": self.steps.value(),
                "upscaler": self.upscaler_name(), "expanded": self.toggle.isChecked()}

    def set_settings(self, values: dict[str, Any] | None) -> list[str]:
        """Fill from checked values (:func:`studio.ui.reuse.checked_hires`); None turns the hires fix off.
        Returns notes on what could not be taken (an upscaler that is not installed)."""
        if values is None:
            self.enable_check.setChecked(False)
            return []
        notes = []
        if "scale" in values:
            self.scale.setValue(values["scale"])
        if "denoise" in values:
            self.denoise.setValue(values["denoise"])
        if "steps" in values:
            self.steps.setValue(values["steps"])
        if "upscaler" in values and not self._select_upscaler(values["upscaler"]):
            notes.append(f"hires upscaler {values['upscaler'][:60]!r} is not installed; the bundled one is used")
        enabled = values.get("enabled", True)
        self.enable_check.setChecked(enabled)
        self.toggle.setChecked(bool(values.get("expanded", enabled)))
        return notes

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(expanded)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(Qt.DownArrow if expanded else Qt.RightArrow)
        self.body.setVisible(expanded)

    def set_available(self, available: bool) -> None:
        """Hires fix is for text to image: greyed out (and not run) in the other modes."""
        self._available = available
        for w in (self.enable_check, self.scale, self.upscaler, self.steps, self.denoise):
            w.setEnabled(available)
        self.note.setText("" if available else "Hires fix applies to text to image; to enlarge an edit, "
                                               "use Image > Upscale on the result.")
        self.note.setVisible(not available)
        self.update_size()

    def _edited(self, *_args) -> None:
        self.update_size()
        self.changed.emit()

    def update_size(self) -> None:
        base = self._base_size()
        scale = self.scale.value()
        if base:
            w, h = base
            out = f"{w}x{h} → {round_to_8(int(w * scale))}x{round_to_8(int(h * scale))}"
        else:
            out = f"native size → x{scale:g}"
        self.size_label.setText(out)
        on = self.enable_check.isChecked() and self._available
        self.summary.setText(f"on · {out}" if on else ("off" if self._available else "text to image only"))
