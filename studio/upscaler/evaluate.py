"""Held-out figures of the upscaler: PSNR, SSIM and edge sharpness against bicubic, Lanczos and the L1-only generator.

The 100 images are sharp starter-domain renders from a seed the training never
draws from, downscaled x``scale`` with bicubic; every method upscales them back
and is compared with the original. Edge sharpness is the mean gradient
magnitude of the result over that of the original (1.0 = as sharp; blur < 1).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .degrade import bicubic_down, held_out_set


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def _gray(a: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(a.astype(np.float32) / 255.0)
    return (0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2])[None, None]


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM on luma with an 11x11 Gaussian window (sigma 1.5), as in Wang et al. 2004."""
    x, y = _gray(a), _gray(b)
    g = torch.exp(-((torch.arange(11) - 5.0) ** 2) / (2 * 1.5 ** 2))
    g = (g / g.sum())
    w = (g[:, None] * g[None, :])[None, None]
    mu_x, mu_y = F.conv2d(x, w), F.conv2d(y, w)
    sxx = F.conv2d(x * x, w) - mu_x ** 2
    syy = F.conv2d(y * y, w) - mu_y ** 2
    sxy = F.conv2d(x * y, w) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return float(s.mean())


def gradient_magnitude(a: np.ndarray) -> float:
    g = _gray(a)[0, 0].numpy()
    return float(np.mean(np.hypot(np.diff(g, axis=0)[:, :-1], np.diff(g, axis=1)[:-1, :])))


def _resize(lr: np.ndarray, scale: int, method) -> np.ndarray:
    h, w = lr.shape[:2]
    return np.asarray(Image.fromarray(lr).resize((w * scale, h * scale), method))


def _net(model, scale: int):
    from studio.engine.upscale.tiling import upscale_array

    return lambda lr: upscale_array(model, lr, scale, tile=0)


def methods(scale: int, gan_path: Path | None = None, l1_path: Path | None = None) -> dict:
    from studio.engine.upscale import models
    from studio.engine.upscale.compact import from_state_dict
    from studio.engine.upscale.models import read_state_dict

    out = {"bicubic": lambda lr: _resize(lr, scale, Image.BICUBIC),
           "lanczos": lambda lr: _resize(lr, scale, Image.LANCZOS)}
    bundled = None if gan_path else models.load(None, scale)
    if l1_path is None and (bundled is None or bundled.scale == scale):  # the L1 snapshot of the generator shown
        from .train import state_dir

        candidate = state_dir() / f"l1_only_x{scale}.safetensors"
        l1_path = candidate if candidate.exists() else None
    if l1_path is not None:
        out["L1 only (same generator)"] = _net(from_state_dict(read_state_dict(l1_path)).eval(), scale)
    if gan_path:
        out["GAN"] = _net(from_state_dict(read_state_dict(gan_path)).eval(), scale)
    else:  # what the app runs: the bundled model of this scale, or another scale's resized (x4 then Lanczos down)
        from studio.engine.upscale.run import upscale

        name = "GAN (bundled)" if bundled.scale == scale else f"GAN (bundled x{bundled.scale}, Lanczos to x{scale})"
        out[name] = lambda lr: upscale(bundled, lr, scale, tile=0)
    return out


def evaluate(count: int = 100, scale: int = 4, gan_path: Path | None = None, l1_path: Path | None = None) -> dict:
    """{method: {psnr, ssim, sharpness, seconds_per_mp}} over ``count`` held-out images."""
    images = held_out_set(count)
    lows = [bicubic_down(hr, scale) for hr in images]
    table = {}
    for name, fn in methods(scale, gan_path, l1_path).items():
        p, s, sharp, seconds, pixels = [], [], [], 0.0, 0
        for hr, lr in zip(images, lows):
            start = time.perf_counter()
            sr = fn(lr)
            seconds += time.perf_counter() - start
            pixels += sr.shape[0] * sr.shape[1]
            p.append(psnr(sr, hr))
            s.append(ssim(sr, hr))
            sharp.append(gradient_magnitude(sr) / max(gradient_magnitude(hr), 1e-8))
        table[name] = {"psnr": float(np.mean(p)), "ssim": float(np.mean(s)), "sharpness": float(np.mean(sharp)),
                       "seconds_per_mp": seconds / (pixels / 1e6)}
    return table


def print_table(table: dict, report=None) -> None:
    for name, row in table.items():
        line = (f"{name:28} PSNR {row['psnr']:6.2f} dB  SSIM {row['ssim']:.4f}  "
                f"edge sharpness {row['sharpness']:.3f}  {row['seconds_per_mp']:.3f} s/MP")
        print(line) if report is None else report(line, None)


def strip(count: int = 4, scale: int = 4, path: Path | None = None) -> Image.Image:
    """A picture to look at: rows of (bicubic, L1 only, GAN, original), each upscaled from the same x4-down image."""
    images = held_out_set(count)
    fns = methods(scale)
    gan = next(fn for name, fn in fns.items() if name.startswith("GAN"))
    cols = [fn for fn in (fns["bicubic"], fns.get("L1 only (same generator)"), gan) if fn]
    tiles = []
    for hr in images:
        lr = bicubic_down(hr, scale)
        tiles.append([fn(lr) for fn in cols] + [hr])
    cols.append(None)  # the original
    h, w = images[0].shape[:2]
    sheet = Image.new("RGB", (w * len(cols) + 2 * (len(cols) - 1), h * count + 2 * (count - 1)), "white")
    for r, row in enumerate(tiles):
        for c, tile in enumerate(row):
            if tile is not None:
                sheet.paste(Image.fromarray(tile), (c * (w + 2), r * (h + 2)))
    if path:
        sheet.save(path)
    return sheet
