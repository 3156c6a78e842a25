"""Colour preservation by luminance-only transfer (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer").

Both images go to YIQ; the style's luminance is matched to the content's mean and
spread; the transfer runs on luminance alone (as grey RGB), and the result's
luminance is joined with the content's I and Q (its chroma).
"""

from __future__ import annotations

import numpy as np

_RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]], dtype=np.float64
)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def rgb_to_yiq(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float RGB in [0, 1] -> HxWx3 YIQ."""
    return rgb @ _RGB_TO_YIQ.T


def yiq_to_rgb(yiq: np.ndarray) -> np.ndarray:
    return yiq @ _YIQ_TO_RGB.T


def as_float(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, dtype=np.float64) / 255.0


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def luminance(image: np.ndarray) -> np.ndarray:
    """HxW luminance (Y) in [0, 1] of a uint8 RGB image."""
    return rgb_to_yiq(as_float(image))[..., 0]


def grey_rgb(y: np.ndarray) -> np.ndarray:
    """Luminance as a grey uint8 RGB image (what the feature network sees)."""
    return to_uint8(np.repeat(y[..., None], 3, axis=2))


def matched_luminance(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The style's luminance shifted and scaled to the content's mean and standard deviation."""
    ys, yc = luminance(style), luminance(content)
    scale = yc.std() / max(ys.std(), 1e-6)
    return np.clip((ys - ys.mean()) * scale + yc.mean(), 0.0, 1.0)


def with_content_chroma(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    """``result``'s luminance with ``content``'s chroma (I, Q); both uint8 RGB of one size."""
    y = luminance(result)
    yiq = rgb_to_yiq(as_float(content))
    yiq[..., 0] = y
    return to_uint8(yiq_to_rgb(yiq))
