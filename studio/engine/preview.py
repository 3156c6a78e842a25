"""Cheap live previews: predicted clean latents (x0) mapped linearly to RGB.

The map is a 4x3 matrix plus bias applied to the scheduler's x0 estimate on
the model's device; only the small (H/8 x W/8 x 3, uint8) result moves to the
CPU. SD 1.x/2.x and SDXL use published factors; any other VAE gets a map fitted
by least squares on a few encoded colour images, cached beside the model data.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PREVIEW_FILE = "studio_preview.json"

SD_FACTORS = [
    [0.3512, 0.2297, 0.3227],
    [0.3250, 0.4974, 0.2350],
    [-0.2829, 0.1762, 0.2721],
    [-0.2120, -0.2616, -0.7177],
]
SDXL_FACTORS = [
    [0.3651, 0.4232, 0.4341],
    [-0.2533, -0.0042, 0.1068],
    [0.1076, 0.1111, -0.0362],
    [-0.3165, -0.2492, -0.2188],
]
SDXL_BIAS = [0.1084, -0.0175, -0.0011]


@dataclass(frozen=True)
class PreviewMap:
    """RGB in [-1, 1] = latents (C channels) @ factors (C x 3) + bias."""

    factors: tuple[tuple[float, float, float], ...]
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    origin: str = "fitted"  # "sd", "sdxl", "model", "fitted"

    def to_json(self) -> str:
        return json.dumps(
            {"factors": [list(r) for r in self.factors], "bias": list(self.bias), "scale": "minus1_1", "origin": self.origin}
        )

    @classmethod
    def from_file(cls, path: Path) -> PreviewMap:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        factors = tuple(tuple(float(v) for v in row) for row in data["factors"])
        if any(len(row) != 3 for row in factors):
            raise ValueError(f"{path}: every preview factor row needs 3 values (R, G, B)")
        bias = tuple(float(v) for v in data.get("bias", (0.0, 0.0, 0.0)))
        return cls(factors, bias, data.get("origin", "model"))


def family_map(family: str) -> PreviewMap | None:
    if family in ("sd1", "sd2"):
        return PreviewMap(tuple(map(tuple, SD_FACTORS)), (0.0, 0.0, 0.0), "sd")
    if family == "sdxl":
        return PreviewMap(tuple(map(tuple, SDXL_FACTORS)), tuple(SDXL_BIAS), "sdxl")
    return None


class LatentPreviewer:
    """Turns a batch of x0 latents into a uint8 preview of the first image."""

    def __init__(self, preview_map: PreviewMap, device, dtype):
        import torch

        self.map = preview_map
        self._factors = torch.tensor(preview_map.factors, device=device, dtype=dtype)
        self._bias = torch.tensor(preview_map.bias, device=device, dtype=dtype)

    def __call__(self, latents) -> np.ndarray:
        import torch

        with torch.no_grad():
            x = latents[0].to(self._factors.dtype)
            if x.shape[0] != self._factors.shape[0]:
                raise ValueError(f"preview map expects {self._factors.shape[0]} latent channels, got {x.shape[0]}")
            rgb = torch.einsum("chw,cr->hwr", x, self._factors) + self._bias
            rgb = ((rgb.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
            return rgb.cpu().numpy()


class X0Tap:
    """Wraps ``scheduler.step`` to keep the scheduler's latest clean-image estimate.

    Euler/DDIM/LMS return ``pred_original_sample``; LCM returns ``denoised``;
    DPM-Solver++ and UniPC keep the converted x0 in ``model_outputs``. When a
    scheduler offers none, the noisy latents are the fallback.
    """

    def __init__(self, scheduler):
        self.latest = None
        self._scheduler = scheduler
        self._step = scheduler.step
        # Keep step()'s signature visible: pipelines pass ``generator`` only to
        # schedulers whose step() declares it, and ancestral samplers need it.
        def step(*args, **kwargs):
            return self._wrapped(*args, **kwargs)

        scheduler.step = functools.wraps(self._step)(step)

    def _wrapped(self, *args, return_dict: bool = True, **kwargs):
        out = self._step(*args, return_dict=True, **kwargs)
        x0 = getattr(out, "pred_original_sample", None)
        if x0 is None:
            x0 = getattr(out, "denoised", None)
        if x0 is None:
            outputs = getattr(self._scheduler, "model_outputs", None)
            if outputs and outputs[-1] is not None and getattr(self._scheduler.config, "algorithm_type", "dpmsolver++").endswith("++"):
                x0 = outputs[-1]
            elif outputs and outputs[-1] is not None and getattr(self._scheduler.config, "predict_x0", False):
                x0 = outputs[-1]
        self.latest = x0
        return out if return_dict else out.to_tuple()


def fit_preview_map(vae, device, dtype, *, size: int = 64, samples: int = 12, seed: int = 0) -> PreviewMap:
    """Least-squares latent->RGB map for an unknown VAE: latents of a few colour images
    against what the VAE decodes from them (at latent resolution)."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    images = []
    for _ in range(samples):
        img = np.empty((size, size, 3), np.float32)
        img[:] = rng.uniform(-1, 1, 3)
        for _ in range(3):  # a few flat rectangles and a gradient keep the fit honest
            y0, x0 = rng.integers(0, size - 8, 2)
            h, w = rng.integers(8, size // 2, 2)
            img[y0 : y0 + h, x0 : x0 + w] = rng.uniform(-1, 1, 3)
        img += np.linspace(-0.3, 0.3, size, dtype=np.float32)[None, :, None] * rng.uniform(-1, 1, 3)
        images.append(np.clip(img, -1, 1))
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).to(device=device, dtype=dtype)
    scale = float(getattr(vae.config, "scaling_factor", 1.0) or 1.0)
    shift = float(getattr(vae.config, "shift_factor", 0.0) or 0.0)
    with torch.no_grad():
        latents = (vae.encode(batch).latent_dist.mean - shift) * scale
        decoded = vae.decode(latents / scale + shift).sample.clamp(-1, 1)
        target = F.adaptive_avg_pool2d(decoded, latents.shape[-2:])
    lat = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1]).float().cpu().numpy()
    rgb = target.permute(0, 2, 3, 1).reshape(-1, 3).float().cpu().numpy()
    design = np.concatenate([lat, np.ones((lat.shape[0], 1), np.float32)], axis=1)
    solution, *_ = np.linalg.lstsq(design, rgb, rcond=None)
    factors = tuple(tuple(float(v) for v in row) for row in solution[:-1])
    bias = tuple(float(v) for v in solution[-1])
    return PreviewMap(factors, bias, "fitted")
