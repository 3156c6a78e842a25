"""The invisible watermark: invisible-watermark's ``dwtDct`` (the method diffusers uses for SDXL).

Studio's mark is the 48-bit message ``STUDIO``. The method needs at least
256x256 pixels (width x height >= 65,536); smaller images are left unmarked
and the caller says so. Detection decodes 48 bits and counts how many match:
an unmarked image matches about half of them by chance, so 43 or more (about
90%) means the mark is there (the odds of that by chance are below 1 in 10^8).

The method hides the bits in the U (blue-difference) channel; where colours are
saturated or near white the change clips and the mark does not hold, so the
exporter reads it back after embedding and leaves such pictures unmarked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MESSAGE = b"STUDIO"
BITS = len(MESSAGE) * 8
MIN_PIXELS = 256 * 256
FOUND_AT = 43  # matching bits out of 48
METHOD = "dwtDct"


@dataclass(frozen=True)
class Detection:
    checked: bool  # False: too small, or the decoder is not installed
    found: bool
    matching_bits: int = 0
    note: str = ""


def available() -> bool:
    try:
        import imwatermark  # noqa: F401
    except ImportError:
        return False
    return True


def too_small(pixels: np.ndarray) -> bool:
    return int(pixels.shape[0]) * int(pixels.shape[1]) < MIN_PIXELS


def skip_note(pixels: np.ndarray) -> str | None:
    """Why ``pixels`` cannot carry the mark, or None when it can."""
    if too_small(pixels):
        h, w = pixels.shape[:2]
        return f"no invisible watermark: {w}x{h} is below the {MIN_PIXELS:,} pixels (256x256) the method needs"
    if not available():
        return "no invisible watermark: the invisible-watermark package is not installed"
    return None


def embed(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` (HxWx3 or HxWx4 uint8 RGB[A]) with Studio's mark; alpha is kept as is."""
    from imwatermark import WatermarkEncoder

    arr = np.asarray(pixels)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"expected HxWx3 uint8 pixels, got {arr.dtype} {arr.shape}")
    encoder = WatermarkEncoder()
    encoder.set_watermark("bytes", MESSAGE)
    bgr = np.ascontiguousarray(arr[:, :, 2::-1])
    marked = encoder.encode(bgr, METHOD)[:, :, ::-1]
    if arr.shape[2] == 4:
        return np.ascontiguousarray(np.dstack([marked, arr[:, :, 3]]))
    return np.ascontiguousarray(marked)


def detect(pixels: np.ndarray) -> Detection:
    """Look for Studio's mark in RGB(A) uint8 pixels."""
    arr = np.asarray(pixels)
    if arr.ndim == 2:
        arr = np.dstack([arr] * 3)
    note = skip_note(arr)
    if note is not None:
        return Detection(False, False, note=note.replace("no invisible watermark: ", "not checked: "))
    from imwatermark import WatermarkDecoder

    bgr = np.ascontiguousarray(arr[:, :, 2::-1])
    bits = np.asarray(WatermarkDecoder("bits", BITS).decode(bgr, METHOD), dtype=np.uint8)
    expected = np.unpackbits(np.frombuffer(MESSAGE, dtype=np.uint8))
    matching = int((bits == expected).sum())
    return Detection(True, matching >= FOUND_AT, matching)
