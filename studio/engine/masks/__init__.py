"""Mask maths on numpy arrays: brush stamping, fill/invert, grow/shrink, feathering,
bounding and crop boxes, rectangle/lasso fill, outpaint canvas extension and a
change recorder for undo.

A mask is an ``HxW`` ``uint8`` array, 255 = repaint, 0 = keep. Rectangles are
``(x0, y0, x1, y1)`` tuples in pixels with exclusive ends (``x1``/``y1`` one past
the last column/row). Image coordinates are continuous: pixel ``(col, row)``
covers ``[col, col+1) x [row, row+1)`` and its centre is ``(col+0.5, row+0.5)``.

Everything here is plain numpy and Pillow, so the UI (``studio.ui.mask_*``) and
the inpainting procedure (``studio.engine.inpaint``) share one tested
implementation. No Qt, no scipy.

The package: :mod:`.geometry` (rects, bounding and crop boxes), :mod:`.drawing`
(brush, rectangle, lasso), :mod:`.morphology` (grow/shrink/blur/feather/snap),
:mod:`.compositing` (outpaint canvas, blend) and :mod:`.editing` (:class:`Mask`,
:class:`MaskRecorder`). Every name is re-exported here: use ``masks.<name>``.
"""

from studio.engine.masks.compositing import composite, extend_canvas
from studio.engine.masks.drawing import DAB_RADIUS, brush_alpha, fill_polygon, fill_rect, interpolate, segment_rect, stamp_segment
from studio.engine.masks.editing import Mask, MaskRecorder, rects_to_tiles
from studio.engine.masks.geometry import Point, Rect, bbox, crop_box, generation_size, new_mask, rect_union
from studio.engine.masks.geometry import _clamp_rect  # noqa: F401 - the mask tools (studio.ui) clamp their undo rects with it
from studio.engine.masks.morphology import blur, feather, grow, shrink, snap_to_grid

__all__ = [
    "DAB_RADIUS",
    "Mask",
    "MaskRecorder",
    "Point",
    "Rect",
    "bbox",
    "blur",
    "brush_alpha",
    "composite",
    "crop_box",
    "extend_canvas",
    "feather",
    "fill_polygon",
    "fill_rect",
    "generation_size",
    "grow",
    "interpolate",
    "new_mask",
    "rect_union",
    "rects_to_tiles",
    "segment_rect",
    "shrink",
    "snap_to_grid",
    "stamp_segment",
]
