"""The :class:`MaskController`: the mask layer, the painting tool and the mask panel on one canvas.

A mask belongs to the image it was painted on: each canvas image keeps its own
mask (an image of the same size does not inherit another's), and going back to
an image (undo, the staging strip) brings its mask back. The brush is sized
relative to the image (a fraction of its shorter side) and keeps that fraction
when the image size changes.

Main-window integration: see :func:`studio.ui.mask_window.attach_to_window`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio.engine import masks as M
from studio.engine.request import GenerationRequest, Mode
from studio.ui.mask_layer import MaskLayerItem, PreviewOverlay
from studio.ui.mask_panel import MaskPanel
from studio.ui.mask_tools import MaskTool, MaskToolSettings
from studio.ui.mask_undo import ReplaceMaskCommand, apply_edit

BRUSH_FRACTION = 0.06  # default brush diameter: 6% of the image's shorter side
MASKS_KEPT = 64  # masks of earlier images kept (bounded like the undo stack)


class MaskController(QObject):
    """Owns the mask layer, the painting tool and the panel for one canvas."""

    mask_changed = Signal()
    state_changed = Signal()  # the mask, its visibility or the image it belongs to changed

    def __init__(self, canvas, parent=None, *, own_strength: bool = True):
        super().__init__(parent or canvas)
        self.canvas = canvas
        size = canvas.image_size()
        self.layer = MaskLayerItem(size.width(), size.height())
        self._image = canvas.current_image()
        self._masks: dict[int, tuple[QImage, M.Mask]] = {}  # id(image) -> (image, its mask)
        self._brush_fraction = BRUSH_FRACTION
        self._sizing_brush = False
        self.preview = PreviewOverlay()
        self._preview_key = None
        self._preview_alpha: np.ndarray | None = None
        canvas.add_overlay(self.preview, z=5)
        canvas.add_overlay(self.layer, z=10)
        self.settings = MaskToolSettings()
        self._size_brush(size.width(), size.height())
        self.settings.changed.connect(self._brush_changed)
        self.tool = MaskTool(self.layer, self.settings, canvas.undo_stack)
        self.panel = MaskPanel(self.settings, own_strength=own_strength)
        canvas.image_changed.connect(self._image_changed)
        canvas.undo_stack.indexChanged.connect(lambda _i: self.state_changed.emit())
        p = self.panel
        p.paint_toggled.connect(self.set_painting)
        p.tool_chosen.connect(lambda _mode: self.set_painting(True))  # choosing a tool arms it
        p.fill_requested.connect(lambda: self._edit("Fill mask", lambda d: np.full_like(d, 255)))
        p.clear_requested.connect(self.clear)
        p.invert_requested.connect(lambda: self._edit("Invert mask", lambda d: 255 - d))
        p.grow_requested.connect(self.grow)
        p.opacity_changed.connect(self.layer.set_fill_opacity)
        p.colour_changed.connect(self.layer.set_tint)
        p.edge_toggled.connect(self.layer.set_show_edge)
        p.visibility_changed.connect(self._visibility_changed)
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

    def toggle_visible(self) -> None:
        self.panel.show_check.setChecked(not self.panel.show_check.isChecked())

    def _visibility_changed(self, visible: bool) -> None:
        self.layer.setVisible(visible)
        self.state_changed.emit()

    # -- one mask per image ------------------------------------------------------------------

    def _image_changed(self, size) -> None:
        image = self.canvas.current_image()
        if image is self._image:  # the same image shown again (after previews): same mask
            if (size.width(), size.height()) != (self.layer.mask.width, self.layer.mask.height):
                self.layer.resize(size.width(), size.height())
            return
        if self._image is not None:
            self._remember(self._image, self.layer.mask)
        self._image = image
        kept = self._masks.get(id(image)) if image is not None else None
        mask = kept[1] if kept is not None and kept[0] is image else None
        if mask is None or (mask.width, mask.height) != (size.width(), size.height()):
            mask = M.Mask(size.width(), size.height())
        if mask is not self.layer.mask:
            self.layer.set_mask(mask)
        self._size_brush(size.width(), size.height())
        self.state_changed.emit()

    def _remember(self, image: QImage, mask: M.Mask) -> None:
        self._masks.pop(id(image), None)
        self._masks[id(image)] = (image, mask)
        while len(self._masks) > MASKS_KEPT:
            del self._masks[next(iter(self._masks))]

    def give_mask(self, image: QImage, mask: np.ndarray) -> None:
        """Make ``mask`` the mask of ``image`` before it is shown (an inpaint result keeps its source's mask)."""
        arr = np.ascontiguousarray(mask, dtype=np.uint8)
        self._remember(image, M.Mask(arr.shape[1], arr.shape[0], arr.copy()))

    def mask_of(self, image: QImage) -> np.ndarray | None:
        """The mask painted on ``image`` (None when it has none)."""
        if image is self._image:
            mask = self.layer.mask
        else:
            kept = self._masks.get(id(image))
            mask = kept[1] if kept is not None and kept[0] is image else None
        return None if mask is None or mask.width == 0 or mask.is_empty() else mask.data.copy()

    # -- brush size relative to the image ----------------------------------------------------

    def _size_brush(self, w: int, h: int) -> None:
        side = min(w, h)
        if side <= 0:
            return
        self._sizing_brush = True
        self.settings.size = max(1, round(self._brush_fraction * side))
        self._sizing_brush = False

    def _brush_changed(self) -> None:
        size = self.canvas.image_size()
        side = min(size.width(), size.height())
        if not self._sizing_brush and side > 0:
            self._brush_fraction = self.settings.size / side

    # -- requests ---------------------------------------------------------------------------

    def has_mask(self) -> bool:
        return self.layer.mask.width > 0 and not self.layer.mask.is_empty()

    def mask_active(self) -> bool:
        """A painted, visible mask on the current image: the next generation inpaints it."""
        return self.has_mask() and self.panel.show_check.isChecked() and self.canvas.current_image() is not None

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


