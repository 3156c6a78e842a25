"""The mask panel: tool options, overlay look, mask operations, inpaint and outpaint settings.

The :class:`~studio.ui.mask_controller.MaskController` ties it to the mask layer,
the painting tool and a canvas; :func:`studio.ui.mask_window.attach_to_window`
docks it in the studio window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.request import InpaintArea, MaskedContent
from studio.ui.mask_tools import MaskToolSettings, ToolMode


OVERLAY_COLOURS = [
    ("Red", (255, 40, 90)),
    ("Cyan", (0, 220, 255)),
    ("Green", (60, 230, 80)),
    ("Yellow", (255, 220, 0)),
    ("Magenta", (255, 0, 255)),
    ("White", (255, 255, 255)),
    ("Black", (0, 0, 0)),
]


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class MaskPanel(QWidget):
    """Options for painting the mask and for inpainting/outpainting with it."""

    paint_toggled = Signal(bool)
    fill_requested = Signal()
    clear_requested = Signal()
    invert_requested = Signal()
    grow_requested = Signal(int)  # negative: shrink
    opacity_changed = Signal(float)
    colour_changed = Signal(QColor)
    visibility_changed = Signal(bool)
    edge_toggled = Signal(bool)
    tool_chosen = Signal(object)  # ToolMode: the user picked a tool (it arms painting)
    outpaint_requested = Signal(int, int, int, int)  # left, top, right, bottom

    def __init__(self, settings: MaskToolSettings, parent=None, *, own_strength: bool = True):
        super().__init__(parent)
        self.setObjectName("maskPanel")
        self.settings = settings
        self.own_strength = own_strength  # False when another panel (the parameters) owns strength
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)

        # -- painting
        paint_box = QGroupBox("Mask")
        grid = QVBoxLayout(paint_box)
        self.paint_button = QPushButton("Paint mask")
        self.paint_button.setObjectName("paintMask")
        self.paint_button.setCheckable(True)
        self.paint_button.setToolTip(
            "Paint the area to repaint (a visible mask makes Generate inpaint). "
            "Left: paint, right: erase, [ ]: brush size, B E R L: tools, H: show/hide"
        )
        self.paint_button.toggled.connect(self.paint_toggled)
        grid.addWidget(self.paint_button)
        tools = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[ToolMode, QToolButton] = {}
        for mode, label, tip in [
            (ToolMode.BRUSH, "Brush", "Round brush (B): paints the area to repaint"),
            (ToolMode.ERASER, "Eraser", "Eraser (E); right-drag erases with any tool"),
            (ToolMode.RECT, "Rect", "Rectangle to mask (R)"),
            (ToolMode.LASSO, "Lasso", "Lasso to mask (L)"),
        ]:
            b = QToolButton()
            b.setText(label)
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setObjectName(f"maskTool_{mode.value}")
            self.tool_group.addButton(b)
            self.tool_buttons[mode] = b
            b.clicked.connect(lambda _=False, m=mode: self._tool_clicked(m))
            tools.addWidget(b)
        grid.addLayout(tools)

        form = QFormLayout()
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 1024)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush diameter in image pixels ([ and ] over the canvas)")
        self.size_spin.valueChanged.connect(lambda v: setattr(self.settings, "size", v))
        form.addRow("Size", self.size_spin)
        self.hardness_slider = _slider(0, 100, 80)
        self.hardness_slider.valueChanged.connect(lambda v: setattr(self.settings, "hardness", v / 100))
        form.addRow("Hardness", self.hardness_slider)
        self.colour_combo = QComboBox(objectName="maskColour")
        for name, rgb in OVERLAY_COLOURS:
            pix = QPixmap(14, 14)
            pix.fill(QColor(*rgb))
            self.colour_combo.addItem(QIcon(pix), name, rgb)
        self.colour_combo.setToolTip("Overlay colour: pick one that stands out on this picture")
        self.colour_combo.currentIndexChanged.connect(lambda _i: self.colour_changed.emit(QColor(*self.colour_combo.currentData())))
        form.addRow("Colour", self.colour_combo)
        self.opacity_slider = _slider(5, 100, 50)
        self.opacity_slider.setObjectName("maskOpacity")
        self.opacity_slider.setToolTip("Opacity of the overlay's fill (its edge stays solid)")
        self.opacity_slider.valueChanged.connect(lambda v: self.opacity_changed.emit(v / 100))
        form.addRow("Opacity", self.opacity_slider)
        show_row = QHBoxLayout()
        self.show_check = QCheckBox("Show mask (H)")
        self.show_check.setObjectName("showMask")
        self.show_check.setChecked(True)
        self.show_check.setToolTip("A hidden mask is kept but not used: Generate ignores it until it is shown again")
        self.show_check.toggled.connect(self.visibility_changed)
        self.edge_check = QCheckBox("Edge")
        self.edge_check.setObjectName("maskEdge")
        self.edge_check.setChecked(True)
        self.edge_check.setToolTip("Outline the mask (white inside, black outside)")
        self.edge_check.toggled.connect(self.edge_toggled)
        show_row.addWidget(self.show_check)
        show_row.addWidget(self.edge_check)
        form.addRow("", show_row)
        grid.addLayout(form)

        ops = QGridLayout()
        for col, (label, sig) in enumerate(
            [("Fill", self.fill_requested), ("Clear", self.clear_requested), ("Invert", self.invert_requested)]
        ):
            b = QPushButton(label)
            b.setObjectName(f"mask{label}")
            b.clicked.connect(sig)
            ops.addWidget(b, 0, col)
        self.grow_spin = QSpinBox()
        self.grow_spin.setRange(1, 256)
        self.grow_spin.setValue(8)
        self.grow_spin.setSuffix(" px")
        ops.addWidget(self.grow_spin, 1, 0)
        grow = QPushButton("Grow")
        grow.clicked.connect(lambda: self.grow_requested.emit(self.grow_spin.value()))
        shrink = QPushButton("Shrink")
        shrink.clicked.connect(lambda: self.grow_requested.emit(-self.grow_spin.value()))
        ops.addWidget(grow, 1, 1)
        ops.addWidget(shrink, 1, 2)
        grid.addLayout(ops)
        root.addWidget(paint_box)

        # -- inpainting
        inpaint_box = QGroupBox("Inpaint")
        f2 = QFormLayout(inpaint_box)
        self.area_combo = QComboBox()
        self.area_combo.addItem("Whole picture", InpaintArea.WHOLE.value)
        self.area_combo.addItem("Only masked", InpaintArea.ONLY_MASKED.value)
        self.area_combo.setToolTip("Only masked: crop around the mask, generate at the model's resolution, paste back")
        f2.addRow("Area", self.area_combo)
        self.padding_spin = QSpinBox()
        self.padding_spin.setRange(0, 1024)
        self.padding_spin.setValue(32)
        self.padding_spin.setSuffix(" px")
        f2.addRow("Padding", self.padding_spin)
        self.blur_spin = QSpinBox()
        self.blur_spin.setRange(0, 256)
        self.blur_spin.setValue(4)
        self.blur_spin.setSuffix(" px")
        f2.addRow("Mask blur", self.blur_spin)
        self.content_combo = QComboBox()
        self.content_combo.addItem("Original", MaskedContent.ORIGINAL.value)
        self.content_combo.addItem("Fresh noise", MaskedContent.NOISE.value)
        f2.addRow("Masked content", self.content_combo)
        self.strength_spin = QDoubleSpinBox()
        self.strength_spin.setRange(0.0, 1.0)
        self.strength_spin.setSingleStep(0.05)
        self.strength_spin.setValue(0.75)
        if own_strength:
            f2.addRow("Strength", self.strength_spin)
        else:
            self.strength_spin.hide()
        root.addWidget(inpaint_box)

        # -- outpainting
        out_box = QGroupBox("Outpaint")
        f3 = QGridLayout(out_box)
        self.outpaint_spin = QSpinBox()
        self.outpaint_spin.setRange(8, 2048)
        self.outpaint_spin.setSingleStep(8)
        self.outpaint_spin.setValue(64)
        self.outpaint_spin.setSuffix(" px")
        f3.addWidget(QLabel("Extend by"), 0, 0)
        f3.addWidget(self.outpaint_spin, 0, 1, 1, 2)
        for i, (label, sides) in enumerate(
            [("Left", (1, 0, 0, 0)), ("Top", (0, 1, 0, 0)), ("Right", (0, 0, 1, 0)), ("Bottom", (0, 0, 0, 1))]
        ):
            b = QPushButton(label)
            b.setObjectName(f"outpaint{label}")
            b.clicked.connect(lambda _=False, s=sides: self.outpaint_requested.emit(*(v * self.outpaint_spin.value() for v in s)))
            f3.addWidget(b, 1 + i // 2, i % 2)
        root.addWidget(out_box)
        root.addStretch(1)

        settings.changed.connect(self.sync_from_settings)
        self.sync_from_settings()

    def _tool_clicked(self, mode: ToolMode) -> None:
        self.settings.mode = mode
        self.tool_chosen.emit(mode)

    def set_colour(self, rgb) -> None:
        for i in range(self.colour_combo.count()):
            if tuple(self.colour_combo.itemData(i)) == tuple(rgb):
                self.colour_combo.setCurrentIndex(i)

    def look(self) -> dict:
        """The overlay's look and the tool settings (kept between sessions)."""
        return {
            "colour": list(self.colour_combo.currentData()),
            "opacity": self.opacity_slider.value(),
            "visible": self.show_check.isChecked(),
            "edge": self.edge_check.isChecked(),
            "tool": self.settings.mode.value,
            "hardness": self.hardness_slider.value(),
            **{k: (v.value if hasattr(v, "value") else v) for k, v in self.inpaint_settings().items() if k != "strength"},
        }

    def set_look(self, look: dict) -> None:
        if isinstance(look.get("colour"), list) and len(look["colour"]) == 3:
            self.set_colour(look["colour"])
        if isinstance(look.get("opacity"), int):
            self.opacity_slider.setValue(look["opacity"])
        if isinstance(look.get("visible"), bool):
            self.show_check.setChecked(look["visible"])
        if isinstance(look.get("edge"), bool):
            self.edge_check.setChecked(look["edge"])
        if look.get("tool") in {m.value for m in ToolMode}:
            self.settings.mode = ToolMode(look["tool"])
        if isinstance(look.get("hardness"), int):
            self.hardness_slider.setValue(look["hardness"])
        try:
            self.set_inpaint_settings({k: look[k] for k in ("inpaint_area", "inpaint_padding", "mask_blur", "masked_content") if k in look})
        except (ValueError, TypeError):
            pass

    def sync_from_settings(self) -> None:
        self.size_spin.blockSignals(True)
        self.size_spin.setValue(self.settings.size)
        self.size_spin.blockSignals(False)
        self.hardness_slider.blockSignals(True)
        self.hardness_slider.setValue(round(self.settings.hardness * 100))
        self.hardness_slider.blockSignals(False)
        self.tool_buttons[self.settings.mode].setChecked(True)

    def inpaint_settings(self) -> dict:
        """GenerationRequest keyword arguments for the inpaint options (strength when this panel owns it)."""
        out = {
            "inpaint_area": InpaintArea(self.area_combo.currentData()),
            "inpaint_padding": self.padding_spin.value(),
            "mask_blur": self.blur_spin.value(),
            "masked_content": MaskedContent(self.content_combo.currentData()),
        }
        if self.own_strength:
            out["strength"] = round(self.strength_spin.value(), 4)
        return out

    def set_inpaint_settings(self, params: dict) -> None:
        """Restore the inpaint settings of a gallery image (to repeat an inpaint)."""
        if "inpaint_area" in params:
            self.area_combo.setCurrentIndex(max(0, self.area_combo.findData(InpaintArea(params["inpaint_area"]).value)))
        if "inpaint_padding" in params:
            self.padding_spin.setValue(int(params["inpaint_padding"]))
        if "mask_blur" in params:
            self.blur_spin.setValue(int(params["mask_blur"]))
        if "masked_content" in params:
            self.content_combo.setCurrentIndex(max(0, self.content_combo.findData(MaskedContent(params["masked_content"]).value)))
        if "strength" in params:
            self.strength_spin.setValue(float(params["strength"]))
