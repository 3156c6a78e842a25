"""Decode large images without running out of memory: VAE tiling and slicing, on when needed.

The VAE decoder's peak memory grows with the image area: at full resolution
it holds a few tensors of ``block_out_channels[0]`` channels (GroupNorm, conv
input and output, the skip), and its mid-block attention at latent
resolution holds an (h*w) x (h*w) score matrix. When that estimate for the
run exceeds the bound, tiling (overlapping tiles, blended) goes on; when a
batch would exceed it, slicing (one image at a time) goes on. Both are turned
off again for runs that fit, since tiling costs time and blends at the seams.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BOUND_MB = 3072  # CPU and any device whose free memory is unknown
FULL_RES_TENSORS = 6  # live full-resolution activations at the decoder's peak


@dataclass(frozen=True)
class DecodePlan:
    estimate_mb: float
    bound_mb: float
    tiling: bool
    slicing: bool
    tile: int = 0  # tile size in pixels when tiling: the largest that fits the bound (fewer tiles, closer to untiled)


def decode_estimate_mb(config, width: int, height: int, batch: int = 1, bytes_per_value: int = 4) -> float:
    """Rough peak memory of ``vae.decode`` for ``batch`` images of width x height."""
    channels = list(getattr(config, "block_out_channels", (128,)))
    down = 2 ** (len(channels) - 1)
    full = channels[0] * width * height * FULL_RES_TENSORS
    tokens = (width // down) * (height // down)
    attention = tokens * tokens if getattr(config, "mid_block_add_attention", True) else 0
    return batch * (full + attention) * bytes_per_value / 2**20


def bound_mb(device, setting_mb: int = 0) -> float:
    """The bound: the setting when given, else half the free memory on CUDA, else the default."""
    if setting_mb > 0:
        return float(setting_mb)
    if str(device).startswith("cuda"):
        try:
            import torch

            free, _total = torch.cuda.mem_get_info()
            return free / 2**20 / 2
        except Exception:
            pass
    return float(DEFAULT_BOUND_MB)


def plan(config, width: int, height: int, batch: int, bound: float, bytes_per_value: int = 4) -> DecodePlan:
    one = decode_estimate_mb(config, width, height, 1, bytes_per_value)
    many = decode_estimate_mb(config, width, height, batch, bytes_per_value)
    tile = 0
    if one > bound:
        tile = int(getattr(config, "sample_size", 512) or 512)
        while tile * 2 < max(width, height) and decode_estimate_mb(config, tile * 2, tile * 2, 1, bytes_per_value) <= bound:
            tile *= 2
    return DecodePlan(many, bound, tiling=one > bound, slicing=batch > 1 and many > bound, tile=tile)


def apply(vae, decode_plan: DecodePlan) -> None:
    """Switch tiling and slicing on or off on ``vae`` (an AutoencoderKL or AutoencoderTiny)."""
    for flag, on, off in (
        (decode_plan.tiling, "enable_tiling", "disable_tiling"),
        (decode_plan.slicing, "enable_slicing", "disable_slicing"),
    ):
        method = getattr(vae, on if flag else off, None)
        if method is not None:
            method()
    if decode_plan.tiling and decode_plan.tile and hasattr(vae, "tile_sample_min_size"):
        down = 2 ** (len(vae.config.block_out_channels) - 1)
        vae.tile_sample_min_size = decode_plan.tile
        vae.tile_latent_min_size = decode_plan.tile // down
