"""The mask panel (tool options, mask operations, inpaint and outpaint settings) and the
:class:`MaskController` that ties the mask layer, the painting tool and the panel to a canvas.

Main-window integration (all of it)::

    self.masking = MaskController(self.canvas)          # adds the layer + preview overlay
    dock_or_layout.addWidget(self.masking.panel)        # the options panel
    # when the user generates:
    request = self.masking.apply_to_request(request)    # INPAINT + image + mask when a mask is painted
    # on Progress events of that job (preview is HxWx3 uint8 or None):
    if request.mode is Mode.INPAINT: self.masking.show_preview(progress.preview, request)
    else: canvas.show_preview(...)
    # when the job ends (result, error or cancel):
    self.masking.clear_preview()
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
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

from studio.engine import masks as M
from studio.engine.request import GenerationRequest, InpaintArea, MaskedContent, Mode
from studio.ui.mask_layer import MaskLayerItem, PreviewOverlay
from studio.ui.mask_tools import MaskTool, MaskToolSettings, ToolMode
from studio.ui.mask_undo import ReplaceMaskCommand, apply_edit


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
    visibility_changed = Signal(bool)
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
        self.paint_button.setCheckable(True)
        self.paint_button.setToolTip("Paint the area to repaint. Left: paint, right: erase, [ ]: brush size")
        self.paint_button.toggled.connect(self.paint_toggled)
        grid.addWidget(self.paint_button)
        tools = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[ToolMode, QToolButton] = {}
        for mode, label, tip in [
            (ToolMode.BRUSH, "Brush", "Round brush (B)"),
            (ToolMode.ERASER, "Eraser", "Eraser (E); right-drag erases with any tool"),
            (ToolMode.RECT, "Rect", "Rectangle selection to mask"),
            (ToolMode.LASSO, "Lasso", "Lasso selection to mask"),
        ]:
            b = QToolButton()
            b.setText(label)
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setObjectName(f"maskTool_{mode.value}")
            self.tool_group.addButton(b)
            self.tool_buttons[mode] = b
            b.clicked.connect(lambda _=False, m=mode: setattr(self.settings, "mode", m))
            tools.addWidget(b)
        grid.addLayout(tools)

        form = QFormLayout()
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 1024)
        self.size_spin.setSuffix(" px")
        self.size_spin.valueChanged.connect(lambda v: setattr(self.settings, "size", v))
        form.addRow("Size", self.size_spin)
        self.hardness_slider = _slider(0, 100, 80)
        self.hardness_slider.valueChanged.connect(lambda v: setattr(self.settings, "hardness", v / 100))
        form.addRow("Hardness", self.hardness_slider)
        self.opacity_slider = _slider(5, 100, 50)
        self.opacity_slider.valueChanged.connect(lambda v: self.opacity_changed.emit(v / 100))
        form.addRow("Opacity", self.opacity_slider)
        self.show_check = QCheckBox("Show mask")
        self.show_check.setChecked(True)
        self.show_check.toggled.connect(self.visibility_changed)
        form.addRow("", self.show_check)
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


class MaskController(QObject):
    """Owns the mask layer, the painting tool and the panel for one canvas."""

    mask_changed = Signal()

    def __init__(self, canvas, parent=None, *, own_strength: bool = True):
        super().__init__(parent or canvas)
        self.canvas = canvas
        size = canvas.image_size()
        self.layer = MaskLayerItem(size.width(), size.height())
        self.preview = PreviewOverlay()
        self._preview_key = None
        self._preview_alpha: np.ndarray | None = None
        canvas.add_overlay(self.preview, z=5)
        canvas.add_overlay(self.layer, z=10)
        self.settings = MaskToolSettings()
        self.tool = MaskTool(self.layer, self.settings, canvas.undo_stack)
        self.panel = MaskPanel(self.settings, own_strength=own_strength)
        canvas.image_changed.connect(self._image_changed)
        p = self.panel
        p.paint_toggled.connect(self.set_painting)
        p.fill_requested.connect(lambda: self._edit("Fill mask", lambda d: np.full_like(d, 255)))
        p.clear_requested.connect(self.clear)
        p.invert_requested.connect(lambda: self._edit("Invert mask", lambda d: 255 - d))
        p.grow_requested.connect(self.grow)
        p.opacity_changed.connect(self.layer.setOpacity)
        p.visibility_changed.connect(self.layer.setVisible)
        p.outpaint_requested.connect(self.outpaint)

    # -- mask editing -----------------------------------------------------------------------

    @property
    def mask(self) -> M.Mask:
        return self.layer.mask

    def set_painting(self, on: bool) -> None:
        if on:
            self.layer.setVisible(True)
            self.panel.show_check.setChecked(True)
            self.canvas.set_tool(self.tool)
        elif self.canvas.tool() is self.tool:
            self.canvas.set_tool(None)
        if self.panel.paint_button.isChecked() != on:
            self.panel.paint_button.setChecked(on)

    def _edit(self, text: str, compute) -> bool:
        changed = apply_edit(self.layer, self.canvas.undo_stack, text, compute)
        if changed:
            self.mask_changed.emit()
        return changed

    def clear(self) -> bool:
        return self._edit("Clear mask", np.zeros_like)

    def grow(self, n: int) -> bool:
        return self._edit(f"{'Grow' if n > 0 else 'Shrink'} mask {abs(n)} px", lambda d: M.grow(d, n))

    def _image_changed(self, size) -> None:
        self.layer.resize(size.width(), size.height())

    # -- requests ---------------------------------------------------------------------------

    def has_mask(self) -> bool:
        return self.layer.mask.width > 0 and not self.layer.mask.is_empty()

    def request_overrides(self) -> dict:
        """Fields that turn a request into an inpaint of the canvas image (empty without a mask)."""
        image = self.canvas.current_image()
        if image is None or not self.has_mask():
            return {}
        from studio.ui.images import from_qimage

        arr = from_qimage(image)
        if arr.shape[:2] != self.layer.mask.data.shape:
            return {}
        return {"mode": Mode.INPAINT, "init_image": arr, "mask": self.layer.mask.data.copy(), **self.panel.inpaint_settings()}

    def load_mask(self, mask: np.ndarray, text: str = "Load mask") -> bool:
        """Put a saved mask (e.g. the one beside a gallery image, to repeat an inpaint) on the canvas."""
        arr = np.asarray(mask)
        if arr.ndim == 3:
            arr = arr[..., :3].max(axis=2)
        arr = np.ascontiguousarray(arr, dtype=np.uint8)
        size = self.canvas.image_size()
        if arr.shape != (size.height(), size.width()):
            raise ValueError(f"The mask is {arr.shape[1]}x{arr.shape[0]} but the image is {size.width()}x{size.height()}.")
        if arr.shape != self.layer.mask.data.shape:
            self.canvas.undo_stack.push(ReplaceMaskCommand(self.layer, M.Mask(arr.shape[1], arr.shape[0], arr.copy()), text))
            return True
        return self._edit(text, lambda _d: arr.copy())

    def mask_for_request(self) -> np.ndarray | None:
        """The painted mask (HxW uint8, 255 = repaint) or None: fits ``StudioWindow.mask_provider``."""
        return self.layer.mask.data.copy() if self.has_mask() else None

    def apply_to_request(self, request: GenerationRequest) -> GenerationRequest:
        fields = self.request_overrides()
        return request.replace(width=0, height=0, **fields) if fields else request

    # -- previews in place -------------------------------------------------------------------

    def show_preview(self, preview: np.ndarray | None, request: GenerationRequest, box=None) -> None:
        """Draw an inpaint step preview in place: over the region being generated (``box`` when
        known, else derived from the request and the preview's size), seen through the feathered
        mask, so the original stays visible around it exactly as it will be kept."""
        if preview is None:
            return
        from PIL import Image

        from studio.engine import masks as M
        from studio.engine.inpaint import preview_box
        from studio.ui.images import to_qimage

        if box is None:
            box = preview_box(request, (preview.shape[1], preview.shape[0]))
        x0, y0, x1, y1 = (int(v) for v in box)
        key = (id(request), (x0, y0, x1, y1))
        if self._preview_key != key:
            h, w = request.mask.shape
            alpha = M.feather(request.mask, request.mask_blur)
            crop = np.zeros((y1 - y0, x1 - x0), np.uint8)
            cy1, cx1 = min(y1, h), min(x1, w)
            crop[: cy1 - y0, : cx1 - x0] = alpha[y0:cy1, x0:cx1]
            self._preview_alpha, self._preview_key = crop, key
        frame = np.asarray(Image.fromarray(np.ascontiguousarray(preview)).resize((x1 - x0, y1 - y0), Image.BILINEAR))
        rgba = np.dstack([frame, self._preview_alpha])
        self.preview.show_frame(to_qimage(rgba), (x0, y0, x1, y1))

    def clear_preview(self) -> None:
        self.preview.hide_frame()
        self._preview_key, self._preview_alpha = None, None

    # -- outpainting --------------------------------------------------------------------------

    def outpaint(self, left: int, top: int, right: int, bottom: int) -> bool:
        """Extend the canvas image; the new area is masked, ready to be filled by the next generation."""
        image = self.canvas.current_image()
        if image is None or not (left or top or right or bottom):
            return False
        from studio.ui.images import from_qimage, to_qimage

        arr = from_qimage(image)
        new, mask = M.extend_canvas(arr, left, top, right, bottom, mask_blur=self.panel.blur_spin.value())
        stack = self.canvas.undo_stack
        old_mask = self.layer.mask  # before the size change replaces it
        stack.beginMacro("Extend canvas")
        self.canvas.set_image(to_qimage(new), None, "Extend canvas")
        stack.push(ReplaceMaskCommand(self.layer, M.Mask(new.shape[1], new.shape[0], mask), "Outpaint mask", old_mask))
        stack.endMacro()
        self.mask_changed.emit()
        return True


def mask_qimage(mask: M.Mask) -> QImage:
    """The mask as a greyscale QImage (white = repaint), e.g. to save or show it."""
    data = np.ascontiguousarray(mask.data)
    return QImage(data.data, mask.width, mask.height, data.strides[0], QImage.Format_Grayscale8).copy()


def attach_to_window(window) -> MaskController:
    """Add mask painting to a :class:`studio.ui.main_window.MainWindow` through its public hooks.

    Docks the panel, turns painting on when the parameters switch to Inpaint, and
    sets ``window.mask_provider``. The provider also makes the canvas image (the
    one the mask was painted on) the init image when they differ, so the mask and
    the image always match. The inpaint options (area, padding, blur, masked
    content) reach the request through ``window.masking.apply_to_request`` (see
    the module docstring for the main-window lines).
    """
    from PySide6.QtWidgets import QFrame, QScrollArea

    ctl = MaskController(window.canvas, own_strength=False)
    window.masking = ctl
    scroll = QScrollArea()
    scroll.setObjectName("maskScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setWidget(ctl.panel)
    dock = window.add_dock(scroll, "Mask", Qt.RightDockWidgetArea, "maskDock")
    window.mask_dock = dock
    gallery_dock = getattr(window, "gallery_dock", None)
    if gallery_dock is not None:
        window.tabifyDockWidget(gallery_dock, dock)  # full height, one click away from the gallery
        gallery_dock.raise_()

    synced: dict = {}

    def sync_init() -> None:
        # The window reads the init image before asking for the mask: keep the image the
        # mask is painted on (the canvas image) as the init image while inpainting.
        image = window.canvas.current_image()
        if image is None or not ctl.has_mask() or Mode(window.params.current_mode()) is not Mode.INPAINT:
            return
        if synced.get("image") is image and window.params.init_image() is synced.get("array"):
            return
        from studio.ui.images import from_qimage

        array = from_qimage(image)
        window.params.set_init_image(array, image, switch_mode=False)
        synced.update(image=image, array=window.params.init_image())

    def provider() -> np.ndarray | None:
        sync_init()
        return ctl.mask_for_request()

    def mode_changed(mode) -> None:
        inpaint = Mode(mode) is Mode.INPAINT
        ctl.set_painting(inpaint)
        if inpaint:
            dock.show()
            dock.raise_()
        sync_init()

    window.mask_provider = provider
    window.params.mode_changed.connect(mode_changed)
    window.canvas.undo_stack.indexChanged.connect(lambda _i: sync_init())
    return ctl
