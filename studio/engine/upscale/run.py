"""Upscale one image file: pixels through the upscaler, metadata carried over with the A1111 postprocess keys."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from studio.engine.errors import InvalidRequest
from studio.engine.upscale.models import LoadedUpscaler
from studio.engine.upscale.tiling import OnTile, upscale_array

MAX_OUTPUT_PIXELS = 8192 * 8192


@dataclass
class UpscaleResult:
    pixels: np.ndarray
    text: str  # AUTOMATIC1111 text: the source's parameters + Postprocess upscale by/upscaler
    studio: dict  # the studio chunk: the source's, with "postprocess" added
    seconds: float
    source: bytes = b""  # the source file's bytes (a provenance record names them)


def upscale(upscaler: LoadedUpscaler, image: np.ndarray, scale: int, *, tile: int = 192,
            on_tile: OnTile | None = None, cancel=None) -> np.ndarray:
    """``image`` x ``scale``; a model of another native scale is followed by a Lanczos resize to the target."""
    if scale not in (2, 3, 4, 8):
        raise InvalidRequest(f"Scale {scale} is not supported: use 2 or 4.")
    h, w = image.shape[:2]
    if h * w * scale * scale > MAX_OUTPUT_PIXELS:
        raise InvalidRequest(f"{w}x{h} x{scale} would be {w * scale}x{h * scale}, over the "
                             f"{MAX_OUTPUT_PIXELS // 1_000_000} MP output limit.")
    out = upscale_array(upscaler.model, image, upscaler.scale, tile=tile, on_tile=on_tile, cancel=cancel)
    if upscaler.scale != scale:
        out = np.asarray(Image.fromarray(out).resize((w * scale, h * scale), Image.LANCZOS))
    return out


def postprocess_metadata(source, upscaler_name: str, scale: int, source_bytes: bytes, source_name: str):
    """(A1111 text, studio dict) for the upscaled copy of an image whose metadata is ``source``."""
    keys = f"Postprocess upscale by: {scale}, Postprocess upscaler: {upscaler_name}"
    text = source.a1111_text() if (source.prompt or source.parameters) else ""
    text = f"{text.rstrip()}, {keys}" if text.strip() else keys
    studio = dict(source.studio or {})
    studio["postprocess"] = {
        "upscale_by": scale,
        "upscaler": upscaler_name,
        "source": {"file": source_name, "sha256": hashlib.sha256(source_bytes).hexdigest()},
    }
    return text, studio


def upscale_file(upscaler: LoadedUpscaler, path: Path, scale: int, *, tile: int = 192, on_tile=None,
                 cancel=None) -> UpscaleResult:
    from studio.engine.imageio import load_rgb
    from studio.engine.metadata import read_metadata

    data = Path(path).read_bytes()
    image = load_rgb(path)
    source = read_metadata(path)
    start = time.perf_counter()
    pixels = upscale(upscaler, image, scale, tile=tile, on_tile=on_tile, cancel=cancel)
    seconds = time.perf_counter() - start
    text, studio = postprocess_metadata(source, upscaler.name, scale, data, Path(path).name)
    return UpscaleResult(pixels, text, studio, seconds, data)
