"""The :class:`PaintController`: the paint layer and its tool on one canvas.

The layer follows the image's size (cleared when it changes) and sits above the
image, below the mask. Arming painting installs the :class:`PaintTool` on the
canvas (the mask tool steps aside, and the other way round).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from studio.ui.paint_layer import PAINT_Z, PaintLayerItem, composite, edit_layer
from studio.ui.paint_tools import PaintMode, PaintSettings, PaintTool


class PaintController(QObject):
    painting_changed = Signal(bool)

    def __init__(self, canvas, parent=None):
        super().__init__(parent or canvas)
        self.canvas = canvas
        size = canvas.image_size()
        self.layer = PaintLayerItem(size.width(), size.height())
        canvas.add_overlay(self.layer, z=PAINT_Z)
        self.settings = PaintSettings(self)
        self.tool = PaintTool(self.layer, self.settings, canvas.undo_stack)
        self._image_cache: tuple[object, np.ndarray] | None = None  # (QImage, its pixels)
        self._comp: np.ndarray | None = None  # the composite, kept up to date rectangle by rectangle
        self.seq = 0  # counts changes of the picture (image or paint)
        self._changes: list[tuple[int, tuple | None]] = []  # (seq, changed rect; None = everything)
        canvas.image_changed.connect(self._image_changed)
        self.layer.changed.connect(self._layer_changed)

    def _image_changed(self, size) -> None:
        self._comp = None
        self._note(None)
        self.layer.resize(size.width(), size.height())

    def _layer_changed(self, rect) -> None:
        if self._comp is not None:
            rgb = self.image_pixels()
            if rgb is not None and rgb.shape[:2] == self._comp.shape[:2] == self.layer.pixels.shape:
                x0, y0, x1, y1 = rect
                self._comp[y0:y1, x0:x1] = composite(rgb, self.layer, rect)
            else:
                self._comp = None
        self._note(rect)

    def _note(self, rect) -> None:
        self.seq += 1
        if len(self._changes) >= 4096:  # nobody asked for a while (live off): "everything" stands for them all
            self._changes = [(self.seq, None)]
        else:
            self._changes.append((self.seq, rect))

    def changed_since(self, seq: int):
        """The rectangle (x0, y0, x1, y1) holding every change after change number ``seq``: the whole
        picture when the image itself changed, None when nothing did. Forgets older changes."""
        from studio.engine.masks import rect_union

        self._changes = [c for c in self._changes if c[0] > seq]
        size = self.canvas.image_size()
        out = None
        for _s, rect in self._changes:
            if rect is None:
                return (0, 0, size.width(), size.height())
            out = rect_union(out, rect)
        return out

    def painting(self) -> bool:
        return self.canvas.tool() is self.tool

    def set_painting(self, on: bool) -> None:
        if on and not self.painting():
            self.canvas.set_tool(self.tool)
        elif not on and self.painting():
            self.canvas.set_tool(None)
        self.painting_changed.emit(self.painting())

    def choose(self, mode: PaintMode) -> None:
        """Pick a paint tool (brush, eraser, picker, fill) and arm painting."""
        self.settings.set(mode=mode)
        self.set_painting(True)

    def clear(self) -> bool:
        return edit_layer(self.layer, self.canvas.undo_stack, "Clear paint", np.zeros_like)

    def bake(self, masking=None, label: str = "Paint into the picture") -> np.ndarray | None:
        """Put the paint into the canvas image (one undo step: the composite becomes the image, the
        layer is cleared; the mask stays with it). Generate calls this before an img2img or inpaint
        of the canvas, so the job sees what the canvas shows. Returns the new image's pixels, or
        None when there was no paint."""
        if self.layer.is_empty():
            return None
        pixels = self.composite()
        if pixels is None:
            return None
        from studio.ui.images import to_qimage

        image = to_qimage(pixels)
        if masking is not None and masking.has_mask():
            masking.give_mask(image, masking.mask.data.copy())
        stack = self.canvas.undo_stack
        stack.beginMacro(label)
        try:
            self.canvas.set_image(image, None, label)
            self.clear()
        finally:
            stack.endMacro()
        return pixels

    def pick_under_pointer(self) -> bool:
        """The I key: take the colour under the mouse pointer (over the canvas)."""
        from PySide6.QtGui import QCursor

        vp = self.canvas.viewport()
        pos = self.canvas.mapToScene(vp.mapFromGlobal(QCursor.pos()))
        was = self.tool.canvas
        self.tool.canvas = self.canvas  # picking works while another tool is armed, too
        try:
            return self.tool.pick(pos)
        finally:
            self.tool.canvas = was

    def image_pixels(self) -> np.ndarray | None:
        """The canvas image as HxWx3 uint8 (converted once per image)."""
        image = self.canvas.current_image()
        if image is None:
            return None
        if self._image_cache is None or self._image_cache[0] is not image:
            from studio.ui.images import from_qimage

            self._image_cache = (image, from_qimage(image))
        return self._image_cache[1]

    def composite(self) -> np.ndarray | None:
        """What the picture looks like now: the image with the paint over it (a copy; None without an image).
        Kept up to date per stroke rectangle, so a big picture costs a copy per snapshot, not a blend."""
        rgb = self.image_pixels()
        if rgb is None:
            return None
        if self._comp is None or self._comp.shape != rgb.shape:
            self._comp = composite(rgb, self.layer)
        return self._comp.copy()
