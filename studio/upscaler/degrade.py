"""Real-ESRGAN-style degradations that turn a sharp render into the low-resolution image to upscale.

Second order, as in Real-ESRGAN: (blur -> resize -> noise -> JPEG) twice, the
total scale split between the two rounds, the last resize landing exactly on
the target size. Everything works on HxWx3 uint8 numpy arrays with PIL.
"""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageFilter

from studio.starter.captions import sample_scene
from studio.starter.render import render

FILTERS = (Image.BICUBIC, Image.BILINEAR, Image.BOX, Image.LANCZOS)
TRAIN_SEED = 1
HELD_OUT_SEED = 20261203  # evaluation scenes: a stream the training never draws from


def _round(img: Image.Image, size: tuple[int, int], rng: random.Random, strength: float) -> Image.Image:
    if rng.random() < 0.8:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.6 * strength)))
    img = img.resize(size, rng.choice(FILTERS))
    arr = np.asarray(img).astype(np.float32)
    if rng.random() < 0.7:
        sigma = rng.uniform(0.5, 6.0 * strength)
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, arr.shape)
        if rng.random() < 0.4:  # grey noise: the same on all channels
            noise = np.repeat(noise[..., :1], 3, axis=2)
        arr = arr + noise
    img = Image.fromarray(np.clip(arr, 0, 255).round().astype(np.uint8))
    if rng.random() < 0.8:
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", quality=rng.randint(int(95 - 45 * strength), 95))
        img = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return img


CLEAN_FRAC = 0.4  # share of plain downscales: sharp, clean inputs (renders, the starter's own outputs) are common


def degrade(hr: np.ndarray, scale: int, rng: random.Random, clean_frac: float = CLEAN_FRAC) -> np.ndarray:
    """A low-resolution version of ``hr`` (H/scale x W/scale): a plain downscale, or two rounds of degradation."""
    h, w = hr.shape[:2]
    target = (w // scale, h // scale)
    img = Image.fromarray(hr)
    if rng.random() < clean_frac:
        return np.asarray(img.resize(target, rng.choice((Image.BICUBIC, Image.BOX, Image.LANCZOS))))
    if rng.random() < 0.5:  # first order only, now and then
        return np.asarray(_round(img, target, rng, 1.0))
    mid = rng.uniform(1.0, scale ** 0.5 * 1.3)
    first = (max(target[0], round(w / mid)), max(target[1], round(h / mid)))
    img = _round(img, first, rng, 1.0)
    return np.asarray(_round(img, target, rng, 0.6))


def bicubic_down(hr: np.ndarray, scale: int) -> np.ndarray:
    """The plain x``scale`` bicubic downscale the evaluation uses."""
    h, w = hr.shape[:2]
    return np.asarray(Image.fromarray(hr).resize((w // scale, h // scale), Image.BICUBIC))


def render_scene(rng: random.Random, size: int) -> np.ndarray:
    """A random starter scene rendered sharp at ``size`` x ``size``."""
    return render(sample_scene(rng, "train"), size=size)


def training_pair(rng: random.Random, scale: int, hr_crop: int, render_size: int = 256,
                  clean_frac: float = CLEAN_FRAC) -> tuple[np.ndarray, np.ndarray]:
    """(low-res, high-res crop) for one training example."""
    hr = render_scene(rng, render_size)
    x = rng.randrange(0, render_size - hr_crop + 1, scale)
    y = rng.randrange(0, render_size - hr_crop + 1, scale)
    hr = hr[y:y + hr_crop, x:x + hr_crop]
    if rng.random() < 0.5:
        hr = hr[:, ::-1]
    hr = np.ascontiguousarray(hr)
    return degrade(hr, scale, rng, clean_frac), hr


def held_out_set(count: int, size: int = 256, seed: int = HELD_OUT_SEED) -> list[np.ndarray]:
    """Sharp renders from the evaluation's own seed (never drawn in training)."""
    rng = random.Random(seed)
    return [render_scene(rng, size) for _ in range(count)]
