"""Small synthetic pictures for the style benchmark and tests (no files, no downloads)."""

from __future__ import annotations

import numpy as np


def content_picture(width: int = 64, height: int = 64) -> np.ndarray:
    """A soft-coloured scene: a sky-to-ground gradient, a red disc and a green bar (mid-range colours)."""
    yy, xx = np.mgrid[0:height, 0:width] / max(width, height)
    img = np.zeros((height, width, 3))
    img[...] = np.stack([0.35 + 0.2 * yy, 0.45 + 0.15 * yy, 0.7 - 0.3 * yy], -1)
    disc = (xx - 0.35 * width / max(width, height)) ** 2 + (yy - 0.4 * height / max(width, height)) ** 2 < 0.04
    img[disc] = (0.75, 0.3, 0.3)
    bar = (yy > 0.65 * height / max(width, height)) & (yy < 0.8 * height / max(width, height)) & (xx > 0.5 * width / max(width, height))
    img[bar] = (0.3, 0.65, 0.35)
    return (img * 255 + 0.5).astype(np.uint8)


def style_picture(width: int = 64, height: int = 64) -> np.ndarray:
    """Bold diagonal colour stripes with dark edges: a texture unlike the content."""
    yy, xx = np.mgrid[0:height, 0:width] / 16.0
    t = np.sin(2.0 * (xx + yy)) + 0.5 * np.sin(3.1 * xx - 1.7 * yy)
    img = np.stack([0.5 + 0.5 * np.sin(2 * t), 0.5 + 0.5 * np.sin(2 * t + 2.1), 0.5 + 0.5 * np.sin(2 * t + 4.2)], -1)
    img *= (np.abs(np.sin(4 * t)) > 0.15)[..., None] * 0.8 + 0.2
    return (img * 255 + 0.5).astype(np.uint8)
