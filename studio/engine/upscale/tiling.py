"""Tiled upscaling: any input size in bounded memory, tiles blended across their overlap.

Each tile is run with ``overlap`` pixels of context on every side that has a
neighbour; the outputs are accumulated with a weight that ramps linearly
across the overlap, so neighbouring tiles fade into each other without a seam.
Memory is one output-sized float accumulator plus one tile at a time (a 4096 x
4096 output: 2 x 200 MB accumulators and a few MB per tile).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from studio.engine.errors import GenerationCancelled

OnTile = Callable[[int, int], None]  # (tiles done, tiles total)


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride)) + [length - tile]
    return sorted(set(starts))


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    w = np.ones(length, np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        if not at_start:
            w[:overlap] = np.minimum(w[:overlap], ramp)
        if not at_end:
            w[-overlap:] = np.minimum(w[-overlap:], ramp[::-1])
    return w


@torch.inference_mode()
def upscale_array(model, image: np.ndarray, scale: int, tile: int = 256, overlap: int = 16,
                  on_tile: OnTile | None = None, cancel=None) -> np.ndarray:
    """Upscale an HxWx3 uint8 image with ``model`` (N x 3 x h x w in [0,1] -> x ``scale``); returns uint8.

    ``tile`` is the input tile size (0: the whole image at once); ``cancel`` is
    anything with ``is_set()``, checked between tiles.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("expected an H x W x 3 image")
    h, w = image.shape[:2]
    tile = max(h, w) if tile <= 0 else tile
    overlap = min(overlap, tile // 4)
    ys, xs = _starts(h, tile, overlap), _starts(w, tile, overlap)
    out = np.zeros((h * scale, w * scale, 3), np.float32)
    weight = np.zeros((h * scale, w * scale, 1), np.float32)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    total, done = len(ys) * len(xs), 0
    for y in ys:
        for x in xs:
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled("Upscale cancelled.")
            th, tw = min(tile, h - y), min(tile, w - x)
            patch = torch.from_numpy(np.array(image[y:y + th, x:x + tw])).to(device)
            patch = patch.permute(2, 0, 1)[None].to(dtype).div_(255.0)
            result = model(patch)[0].float().clamp_(0, 1).permute(1, 2, 0).cpu().numpy()
            wy = _ramp(th * scale, overlap * scale, y == 0, y + th >= h)
            wx = _ramp(tw * scale, overlap * scale, x == 0, x + tw >= w)
            tw_ = (wy[:, None] * wx[None, :])[..., None]
            oy, ox = y * scale, x * scale
            out[oy:oy + th * scale, ox:ox + tw * scale] += result * tw_
            weight[oy:oy + th * scale, ox:ox + tw * scale] += tw_
            done += 1
            if on_tile is not None:
                on_tile(done, total)
    out /= np.maximum(weight, 1e-8)
    return (out * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
