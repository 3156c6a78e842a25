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
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Rect = tuple[int, int, int, int]
Point = tuple[float, float]

__all__ = [
    "Mask",
    "MaskRecorder",
    "Rect",
    "bbox",
    "blur",
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
    "segment_rect",
    "shrink",
    "snap_to_grid",
    "stamp_segment",
]


# -- small helpers ------------------------------------------------------------------


def new_mask(width: int, height: int, value: int = 0) -> np.ndarray:
    return np.full((int(height), int(width)), value, dtype=np.uint8)


def rect_union(a: Rect | None, b: Rect | None) -> Rect | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _clamp_rect(rect: Rect, width: int, height: int) -> Rect | None:
    x0, y0, x1, y1 = rect
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, x1), min(height, y1)
    if x0 >= x1 or y0 >= y1:
        return None
    return (x0, y0, x1, y1)


def bbox(mask: np.ndarray, threshold: int = 0) -> Rect | None:
    """Bounding box of the pixels above ``threshold``, or None for an empty mask."""
    on = mask > threshold
    rows = np.flatnonzero(on.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(on.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


# -- brush --------------------------------------------------------------------------


def interpolate(p0: Point, p1: Point, spacing: float) -> list[Point]:
    """Points from ``p0`` (excluded) to ``p1`` (included) at most ``spacing`` apart."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    dist = math.hypot(dx, dy)
    n = max(1, int(math.ceil(dist / max(spacing, 1e-6))))
    return [(p0[0] + dx * i / n, p0[1] + dy * i / n) for i in range(1, n + 1)]


def brush_alpha(dist: np.ndarray, radius: float, hardness: float) -> np.ndarray:
    """Coverage 0..1 of a round brush at distance ``dist`` from its centre line.

    ``hardness`` 1 is a hard disc with a one-pixel anti-aliased rim; lower values
    ramp smoothly (smoothstep) from ``radius*hardness`` out to ``radius``.
    """
    radius = max(float(radius), 0.5)
    hardness = min(max(float(hardness), 0.0), 1.0)
    ramp = radius * (1.0 - hardness)
    if ramp < 1.0:
        return np.clip(radius - dist + 0.5, 0.0, 1.0)
    t = np.clip((radius - dist) / ramp, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def segment_rect(p0: Point, p1: Point | None, radius: float, size: tuple[int, int]) -> Rect | None:
    """The rect :func:`stamp_segment` touches for this sweep on a mask of ``size`` (w, h)."""
    if p1 is None:
        p1 = p0
    r = max(float(radius), 0.5)
    return _clamp_rect(
        (
            int(math.floor(min(p0[0], p1[0]) - r - 1)),
            int(math.floor(min(p0[1], p1[1]) - r - 1)),
            int(math.ceil(max(p0[0], p1[0]) + r + 1)),
            int(math.ceil(max(p0[1], p1[1]) + r + 1)),
        ),
        size[0],
        size[1],
    )


DAB_RADIUS = 24.0  # from this radius on, sweeps are stamped as cached dabs 0.1 radius apart


@functools.lru_cache(maxsize=8)
def _dab(radius_q: float, hardness_q: float) -> np.ndarray:
    """A round brush footprint (uint8 alpha), centred on the middle pixel's centre."""
    n = int(math.ceil(radius_q)) + 1
    yy, xx = np.mgrid[-n : n + 1, -n : n + 1].astype(np.float32)
    a = brush_alpha(np.sqrt(xx * xx + yy * yy), radius_q, hardness_q)
    out = (a * 255.0 + 0.5).astype(np.uint8)
    out.setflags(write=False)
    return out


def _sweep_dabs(mask, p0, p1, r, hardness, erase, opacity) -> None:
    """Large brushes: the exact sweep costs O(area) float maths per event; dabs spaced at a
    tenth of the radius give the same stroke (edge ripple below 0.02 px) for a few uint8 maxima."""
    dab = _dab(round(r * 4) / 4, round(float(hardness), 3))
    if opacity < 1.0:
        dab = (dab.astype(np.float32) * max(opacity, 0.0) + 0.5).astype(np.uint8)
    n = dab.shape[0] // 2
    h, w = mask.shape
    dist = math.hypot(p1[0] - p0[0], p1[1] - p0[1])
    steps = max(1, int(math.ceil(dist / (0.1 * r))))
    for i in range(steps + 1):
        t = i / steps
        cx = int(math.floor(p0[0] + t * (p1[0] - p0[0])))
        cy = int(math.floor(p0[1] + t * (p1[1] - p0[1])))
        x0, y0, x1, y1 = max(0, cx - n), max(0, cy - n), min(w, cx + n + 1), min(h, cy + n + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        src = dab[y0 - (cy - n) : y1 - (cy - n), x0 - (cx - n) : x1 - (cx - n)]
        region = mask[y0:y1, x0:x1]
        if erase:
            np.minimum(region, 255 - src, out=region)
        else:
            np.maximum(region, src, out=region)


def stamp_segment(
    mask: np.ndarray,
    p0: Point,
    p1: Point | None = None,
    *,
    radius: float,
    hardness: float = 1.0,
    erase: bool = False,
    opacity: float = 1.0,
) -> Rect | None:
    """Paint (or erase) a round brush swept from ``p0`` to ``p1`` and return the dirty rect.

    The sweep is exact (distance to the segment), so strokes stay smooth however
    far apart two mouse events are and at any zoom. Only the segment's bounding
    box is touched. Painting takes the maximum with the existing mask, erasing the
    minimum with its complement, so overlapping dabs never build up seams.
    """
    if p1 is None:
        p1 = p0
    h, w = mask.shape
    r = max(float(radius), 0.5)
    rect = segment_rect(p0, p1, r, (w, h))
    if rect is None:
        return None
    if r >= DAB_RADIUS:
        _sweep_dabs(mask, p0, p1, r, hardness, erase, opacity)
        return rect
    x0, y0, x1, y1 = rect
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - p0[0]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - p0[1]
    vx, vy = p1[0] - p0[0], p1[1] - p0[1]
    seg2 = vx * vx + vy * vy
    if seg2 < 1e-9:
        dist = np.sqrt(xs * xs + ys * ys)
    else:
        t = np.clip((xs * vx + ys * vy) / seg2, 0.0, 1.0)
        ex = xs - t * vx
        ey = ys - t * vy
        dist = np.sqrt(ex * ex + ey * ey)
    alpha = brush_alpha(dist, r, hardness)
    a8 = (alpha * (255.0 * min(max(opacity, 0.0), 1.0)) + 0.5).astype(np.uint8)
    region = mask[y0:y1, x0:x1]
    if erase:
        np.minimum(region, 255 - a8, out=region)
    else:
        np.maximum(region, a8, out=region)
    return rect


# -- shapes -------------------------------------------------------------------------


def fill_rect(mask: np.ndarray, rect: Rect, value: int = 255) -> Rect | None:
    """Set a rectangle (any corner order, clamped to the mask) to ``value``."""
    x0, y0, x1, y1 = rect
    r = _clamp_rect((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), mask.shape[1], mask.shape[0])
    if r is None:
        return None
    mask[r[1] : r[3], r[0] : r[2]] = value
    return r


def fill_polygon(mask: np.ndarray, points: Sequence[Point], value: int = 255) -> Rect | None:
    """Fill a closed polygon (a lasso) with ``value``; only its bounding box is touched."""
    if len(points) < 3:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    r = _clamp_rect(
        (int(math.floor(min(xs))), int(math.floor(min(ys))), int(math.ceil(max(xs))) + 1, int(math.ceil(max(ys))) + 1),
        mask.shape[1],
        mask.shape[0],
    )
    if r is None:
        return None
    x0, y0, x1, y1 = r
    layer = Image.new("L", (x1 - x0, y1 - y0), 0)
    # Pillow fills pixel (i, j) when its integer coordinate lies inside; shift by half a pixel
    # so a pixel is filled when its centre is inside the polygon.
    ImageDraw.Draw(layer).polygon([(x - x0 - 0.5, y - y0 - 0.5) for x, y in points], fill=255)
    inside = np.asarray(layer) > 0
    region = mask[y0:y1, x0:x1]
    region[inside] = value
    return r


# -- grow / shrink / blur -------------------------------------------------------------


def _shift_max(dst: np.ndarray, src: np.ndarray, dy: int, dx: int) -> None:
    """``dst = max(dst, src shifted by (dy, dx))`` where the shifted-in border is ignored."""
    h, w = src.shape
    if abs(dy) >= h or abs(dx) >= w:
        return
    ys_d = slice(max(dy, 0), h + min(dy, 0))
    ys_s = slice(max(-dy, 0), h + min(-dy, 0))
    xs_d = slice(max(dx, 0), w + min(dx, 0))
    xs_s = slice(max(-dx, 0), w + min(-dx, 0))
    np.maximum(dst[ys_d, xs_d], src[ys_s, xs_s], out=dst[ys_d, xs_d])


def _dilate_disk(arr: np.ndarray, n: int) -> np.ndarray:
    """Grey dilation of ``arr`` by a disc of radius ``n`` (pixels beyond the edge count as 0)."""
    out = arr.copy()
    horiz = arr.copy()  # running horizontal max over [-w, w]
    width = 0
    for dy in range(n, -1, -1):
        target = int(math.floor(math.sqrt(n * n - dy * dy) + 1e-9))
        while width < target:
            width += 1
            _shift_max(horiz, arr, 0, width)
            _shift_max(horiz, arr, 0, -width)
        _shift_max(out, horiz, dy, 0)
        if dy:
            _shift_max(out, horiz, -dy, 0)
    return out


def grow(mask: np.ndarray, n: int) -> np.ndarray:
    """Dilate the mask by ``n`` pixels (a round structuring element); ``n < 0`` shrinks."""
    n = int(n)
    if n < 0:
        return shrink(mask, -n)
    if n == 0:
        return mask.copy()
    box = bbox(mask)
    out = np.zeros_like(mask)
    if box is None:
        return out
    h, w = mask.shape
    x0, y0, x1, y1 = max(0, box[0] - n), max(0, box[1] - n), min(w, box[2] + n), min(h, box[3] + n)
    out[y0:y1, x0:x1] = _dilate_disk(mask[y0:y1, x0:x1], n)
    return out


def shrink(mask: np.ndarray, n: int) -> np.ndarray:
    """Erode the mask by ``n`` pixels. The image border does not erode a mask touching it."""
    n = int(n)
    if n < 0:
        return grow(mask, -n)
    if n == 0:
        return mask.copy()
    box = bbox(mask)
    out = np.zeros_like(mask)
    if box is None:
        return out
    h, w = mask.shape
    # Work on the bounding box plus a margin of n, padded with 255 where the margin leaves
    # the image (outside the image counts as masked) and 0 inside it.
    x0, y0, x1, y1 = box[0] - n, box[1] - n, box[2] + n, box[3] + n
    window = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    window[:] = 255
    iy0, ix0, iy1, ix1 = max(0, y0), max(0, x0), min(h, y1), min(w, x1)
    window[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = mask[iy0:iy1, ix0:ix1]
    eroded = 255 - _dilate_disk(255 - window, n)
    out[box[1] : box[3], box[0] : box[2]] = eroded[n : n + box[3] - box[1], n : n + box[2] - box[0]]
    return out


def blur(mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (standard deviation ``sigma`` pixels), computed around the mask only."""
    if sigma <= 0:
        return mask.copy()
    box = bbox(mask)
    out = np.zeros_like(mask)
    if box is None:
        return out
    h, w = mask.shape
    m = int(math.ceil(3.5 * sigma)) + 2
    x0, y0, x1, y1 = max(0, box[0] - m), max(0, box[1] - m), min(w, box[2] + m), min(h, box[3] + m)
    img = Image.fromarray(np.ascontiguousarray(mask[y0:y1, x0:x1]), "L")
    out[y0:y1, x0:x1] = np.asarray(img.filter(ImageFilter.GaussianBlur(sigma)))
    return out


def feather(mask: np.ndarray, mask_blur: int) -> np.ndarray:
    """The compositing alpha for ``mask`` with a soft edge ``mask_blur`` pixels wide.

    The edge ramps outward: the painted pixels stay (almost) fully repainted, and
    the alpha falls smoothly to exactly 0 within ``mask_blur`` pixels outside the
    painted area. Pixels where the result is 0 are kept bit-identical by the
    compositing step; the support (alpha > 0) is ``grow(mask > 0, mask_blur)``.
    """
    mask_blur = int(mask_blur)
    if mask_blur <= 0:
        return mask.copy()
    binary = np.where(mask > 0, 255, 0).astype(np.uint8)
    core = grow(mask, mask_blur // 2)
    alpha = blur(core, mask_blur / 5.0)
    np.maximum(alpha, mask, out=alpha)
    alpha[grow(binary, mask_blur) == 0] = 0
    return alpha


def snap_to_grid(mask: np.ndarray, cell: int = 8) -> np.ndarray:
    """255 on every ``cell`` x ``cell`` block (aligned to the origin) that holds any set pixel."""
    h, w = mask.shape
    hh, ww = -(-h // cell) * cell, -(-w // cell) * cell
    padded = np.zeros((hh, ww), dtype=bool)
    padded[:h, :w] = mask > 0
    blocks = padded.reshape(hh // cell, cell, ww // cell, cell).any(axis=(1, 3))
    full = np.repeat(np.repeat(blocks, cell, axis=0), cell, axis=1)
    return np.where(full[:h, :w], 255, 0).astype(np.uint8)


# -- crop geometry ------------------------------------------------------------------


def _fit_span(lo: int, hi: int, length: int, limit: int) -> tuple[int, int]:
    """Grow ``[lo, hi)`` symmetrically to ``length`` and slide it inside ``[0, limit)``."""
    length = min(length, limit)
    extra = length - (hi - lo)
    if extra > 0:
        lo -= extra // 2
        hi += extra - extra // 2
    if lo < 0:
        hi, lo = hi - lo, 0
    if hi > limit:
        lo, hi = lo - (hi - limit), limit
    return max(0, lo), min(limit, hi)


def crop_box(box: Rect, padding: int, image_size: tuple[int, int], aspect: float) -> Rect:
    """The region to repaint in "only masked" mode.

    ``box`` (the mask's bounding box) grown by ``padding`` on every side, then
    widened or heightened to ``aspect`` (width / height, the model's), then slid and
    clamped to ``image_size`` (width, height). When the image is too narrow or too
    short for the aspect ratio the box keeps the image's full extent on that axis.
    """
    w, h = image_size
    x0, y0, x1, y1 = box
    x0, y0 = max(0, x0 - padding), max(0, y0 - padding)
    x1, y1 = min(w, x1 + padding), min(h, y1 + padding)
    bw, bh = x1 - x0, y1 - y0
    if bw / bh < aspect:
        want_w = int(math.ceil(bh * aspect))
        x0, x1 = _fit_span(x0, x1, want_w, w)
        bw = x1 - x0
        if bw / bh < aspect - 1e-9:  # the image is too narrow: trade height for it
            want_h = max(1, int(math.floor(bw / aspect)))
            if want_h < bh:
                want_h = bh  # never cut the mask off
            y0, y1 = _fit_span(y0, y1, want_h, h)
    elif bw / bh > aspect:
        want_h = int(math.ceil(bw / aspect))
        y0, y1 = _fit_span(y0, y1, want_h, h)
    return (int(x0), int(y0), int(x1), int(y1))


def generation_size(box_size: tuple[int, int], native_size: tuple[int, int], multiple: int = 8) -> tuple[int, int]:
    """Width and height to generate a crop of ``box_size`` at: the model's pixel count,
    the crop's aspect ratio, multiples of ``multiple`` (``native_size`` exactly when the
    aspect ratios agree)."""
    bw, bh = box_size
    nw, nh = native_size
    if bw * nh == bh * nw:
        return (int(nw), int(nh))
    area = nw * nh
    ar = bw / bh
    gw = math.sqrt(area * ar)
    gh = gw / ar
    return (max(multiple, int(round(gw / multiple)) * multiple), max(multiple, int(round(gh / multiple)) * multiple))


# -- outpainting --------------------------------------------------------------------


def extend_canvas(
    image: np.ndarray,
    left: int = 0,
    top: int = 0,
    right: int = 0,
    bottom: int = 0,
    *,
    mask_blur: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Extend ``image`` by the given pixels on each side for outpainting.

    Returns ``(new_image, new_mask)``. The original pixels are copied unchanged to
    ``[top:top+H, left:left+W]``; the new area is filled with the stretched edge
    colours, smoothed and lightly noised (a neutral start for the model), and is
    255 in the mask. The mask stays ``mask_blur`` pixels away from the original so
    that, after :func:`feather`, the soft edge lies inside the new area and the
    original region is left intact.
    """
    left, top, right, bottom = (max(0, int(v)) for v in (left, top, right, bottom))
    h, w = image.shape[:2]
    nh, nw = h + top + bottom, w + left + right
    padded = np.pad(image, ((top, bottom), (left, right), (0, 0)), mode="edge")
    if left or top or right or bottom:
        soft = np.asarray(Image.fromarray(padded).filter(ImageFilter.GaussianBlur(max(4, min(nw, nh) // 16))))
        rng = np.random.default_rng(seed)
        # noise fades in with the distance from the original, so the seam zone is a clean
        # continuation of the edge colours
        dx = np.maximum(np.maximum(left - np.arange(nw), np.arange(nw) - (left + w - 1)), 0)
        dy = np.maximum(np.maximum(top - np.arange(nh), np.arange(nh) - (top + h - 1)), 0)
        ramp = np.clip(np.maximum(dx[None, :], dy[:, None]) / 16.0, 0.0, 1.0)[:, :, None]
        noise = rng.normal(0, 12, soft.shape) * ramp
        noisy = np.clip(soft.astype(np.float64) + noise, 0, 255).astype(np.uint8)
        new_area = np.ones((nh, nw), dtype=bool)
        new_area[top : top + h, left : left + w] = False
        padded[new_area] = noisy[new_area]
    padded[top : top + h, left : left + w] = image
    new = np.full((nh, nw), 255, dtype=np.uint8)
    mb = max(0, int(mask_blur))
    new[max(0, top - mb) : top + h + mb, max(0, left - mb) : left + w + mb] = 0
    return np.ascontiguousarray(padded), new


# -- compositing --------------------------------------------------------------------


def composite(original: np.ndarray, generated: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``original`` where ``alpha`` is 0 (bit-identical), ``generated`` where 255, blended between."""
    a = alpha.astype(np.uint32)[:, :, None]
    out = (original.astype(np.uint32) * (255 - a) + generated.astype(np.uint32) * a + 127) // 255
    return out.astype(np.uint8)


# -- the editable mask and its undo records -----------------------------------------


class Mask:
    """An editable mask (``data``: HxW uint8) whose operations return the dirty rect."""

    def __init__(self, width: int, height: int, data: np.ndarray | None = None):
        self.data = new_mask(width, height) if data is None else np.ascontiguousarray(data, dtype=np.uint8)
        if self.data.shape != (int(height), int(width)):
            raise ValueError(f"mask data is {self.data.shape[::-1]} but the mask is {width}x{height}")

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def full_rect(self) -> Rect:
        return (0, 0, self.width, self.height)

    def is_empty(self) -> bool:
        return not self.data.any()

    def stroke(self, p0: Point, p1: Point | None, radius: float, hardness: float = 1.0, erase: bool = False) -> Rect | None:
        return stamp_segment(self.data, p0, p1, radius=radius, hardness=hardness, erase=erase)

    def fill(self) -> Rect:
        self.data[:] = 255
        return self.full_rect

    def clear(self) -> Rect:
        self.data[:] = 0
        return self.full_rect

    def invert(self) -> Rect:
        np.subtract(255, self.data, out=self.data)
        return self.full_rect

    def set_data(self, data: np.ndarray) -> Rect | None:
        """Replace the content; returns the rect that changed (None when nothing did)."""
        changed = bbox((data != self.data).view(np.uint8))
        if changed is not None:
            x0, y0, x1, y1 = changed
            self.data[y0:y1, x0:x1] = data[y0:y1, x0:x1]
        return changed

    def grow(self, n: int) -> Rect | None:
        return self.set_data(grow(self.data, n))

    def shrink(self, n: int) -> Rect | None:
        return self.set_data(shrink(self.data, n))

    def rect(self, rect: Rect, erase: bool = False) -> Rect | None:
        return fill_rect(self.data, rect, 0 if erase else 255)

    def polygon(self, points: Sequence[Point], erase: bool = False) -> Rect | None:
        return fill_polygon(self.data, points, 0 if erase else 255)

    def bbox(self) -> Rect | None:
        return bbox(self.data)


class MaskRecorder:
    """Records what one edit (a stroke, a fill, ...) changes, tile by tile.

    Call :meth:`before` with each dirty rect *before* changing those pixels; the
    first time a tile is touched its old content is saved. :meth:`finish` keeps
    only the tiles that really changed and stores their new content, so an undo
    record holds the changed region only, never a copy of the whole mask.
    """

    def __init__(self, mask: np.ndarray, tile: int = 64):
        self.mask = mask
        self.tile = tile
        self._before: dict[tuple[int, int], np.ndarray] = {}
        # after finish(): tile -> (rect of the changed pixels, their content)
        self.after: dict[tuple[int, int], tuple[Rect, np.ndarray]] = {}
        self.before_tiles: dict[tuple[int, int], tuple[Rect, np.ndarray]] = {}

    def _tile_rect(self, ty: int, tx: int) -> Rect:
        t = self.tile
        h, w = self.mask.shape
        return (tx * t, ty * t, min(w, (tx + 1) * t), min(h, (ty + 1) * t))

    def before(self, rect: Rect | None) -> None:
        if rect is None:
            return
        t = self.tile
        x0, y0, x1, y1 = rect
        for ty in range(y0 // t, (y1 - 1) // t + 1):
            for tx in range(x0 // t, (x1 - 1) // t + 1):
                if (ty, tx) not in self._before:
                    rx0, ry0, rx1, ry1 = self._tile_rect(ty, tx)
                    self._before[(ty, tx)] = self.mask[ry0:ry1, rx0:rx1].copy()

    def finish(self) -> bool:
        """Keep only what changed (cropped to the changed pixels of each tile); True when anything did."""
        self.before_tiles, self.after = {}, {}
        for key, old in self._before.items():
            x0, y0, x1, y1 = self._tile_rect(*key)
            new = self.mask[y0:y1, x0:x1]
            changed = bbox((old != new).view(np.uint8))
            if changed is None:
                continue
            cx0, cy0, cx1, cy1 = changed
            rect = (x0 + cx0, y0 + cy0, x0 + cx1, y0 + cy1)
            self.before_tiles[key] = (rect, old[cy0:cy1, cx0:cx1].copy())
            self.after[key] = (rect, new[cy0:cy1, cx0:cx1].copy())
        self._before = {}
        return bool(self.after)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for _, a in self.after.values()) + sum(b.nbytes for _, b in self.before_tiles.values())

    def rect(self) -> Rect | None:
        out: Rect | None = None
        for rect, _ in self.after.values():
            out = rect_union(out, rect)
        return out

    def _apply(self, tiles) -> Rect | None:
        out: Rect | None = None
        for (x0, y0, x1, y1), data in tiles.values():
            self.mask[y0:y1, x0:x1] = data
            out = rect_union(out, (x0, y0, x1, y1))
        return out

    def undo(self) -> Rect | None:
        return self._apply(self.before_tiles)

    def redo(self) -> Rect | None:
        return self._apply(self.after)


def rects_to_tiles(rects: Iterable[Rect], tile: int) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for x0, y0, x1, y1 in rects:
        for ty in range(y0 // tile, (y1 - 1) // tile + 1):
            for tx in range(x0 // tile, (x1 - 1) // tile + 1):
                out.add((ty, tx))
    return out
