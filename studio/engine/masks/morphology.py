"""Reshaping a mask: grow, shrink, blur, feather (the compositing alpha) and snap to a grid."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

from studio.engine.masks.geometry import bbox


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
