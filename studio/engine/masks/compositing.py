"""Outpainting's extended canvas and the final blend of generated pixels into the original."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


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


def composite(original: np.ndarray, generated: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``original`` where ``alpha`` is 0 (bit-identical), ``generated`` where 255, blended between."""
    a = alpha.astype(np.uint32)[:, :, None]
    out = (original.astype(np.uint32) * (255 - a) + generated.astype(np.uint32) * a + 127) // 255
    return out.astype(np.uint8)
