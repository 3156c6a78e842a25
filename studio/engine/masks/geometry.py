"""Rectangles and boxes: the mask/rect types, bounding boxes and the crop box for "only masked" inpainting."""

from __future__ import annotations

import math

import numpy as np

Rect = tuple[int, int, int, int]
Point = tuple[float, float]


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
