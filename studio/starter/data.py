"""Training batches of rendered scenes (images in [-1,1], NCHW float32)."""
from __future__ import annotations

import random

import numpy as np
import torch

from .captions import sample_scene
from .palette import SceneSpec
from .render import object_mask, render


def to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    arr = np.stack(images).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """NCHW in [-1,1] -> NHWC uint8."""
    x = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def scene_batch(rng: random.Random, n: int, split: str = "train") -> tuple[list[SceneSpec], torch.Tensor]:
    scenes = [sample_scene(rng, split) for _ in range(n)]
    return scenes, to_tensor([render(s) for s in scenes])


def random_crops(x: torch.Tensor, size: int, rng: random.Random) -> torch.Tensor:
    """One random size x size crop per image (multiple of 8 offsets keep the latent grid)."""
    n, _, h, w = x.shape
    out = []
    for i in range(n):
        top = rng.randrange(0, (h - size) // 8 + 1) * 8
        left = rng.randrange(0, (w - size) // 8 + 1) * 8
        out.append(x[i, :, top:top + size, left:left + size])
    return torch.stack(out)


def object_weights(scenes: list[SceneSpec], weight: float) -> torch.Tensor:
    """N x 1 x H x W loss weights: 1 on the background, 1 + weight on object pixels (grown by 1 px, for edges)."""
    masks = []
    for scene in scenes:
        m = np.zeros_like(object_mask(scene.objects[0]))
        for obj in scene.objects:
            m |= object_mask(obj)
        masks.append(m)
    t = torch.from_numpy(np.stack(masks)).float()[:, None]
    grown = torch.nn.functional.max_pool2d(t, 3, stride=1, padding=1)
    return 1.0 + weight * grown
