"""SRVGGNetCompact, the Real-ESRGAN "compact" generator, in its original state-dict layout.

``body`` is a flat list: conv, PReLU, then ``num_conv`` x (conv, PReLU), then a
last conv to ``3 * scale**2`` channels; a pixel shuffle makes the image and the
nearest-upsampled input is added back. The keys (``body.0.weight``,
``body.1.weight``...) are those of Real-ESRGAN's ``realesr-general-x4v3`` and
friends, so the standard loaders (spandrel, chaiNNer, ComfyUI) recognise a
file saved from this class, and this class loads theirs.
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F
from torch import nn


class SRVGGNetCompact(nn.Module):
    def __init__(self, num_in_ch: int = 3, num_out_ch: int = 3, num_feat: int = 64, num_conv: int = 16,
                 upscale: int = 4):
        super().__init__()
        self.num_in_ch, self.num_out_ch, self.num_feat, self.num_conv, self.upscale = (
            num_in_ch, num_out_ch, num_feat, num_conv, upscale)
        self.body = nn.ModuleList([nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)])
        for _ in range(num_conv):
            self.body.append(nn.Conv2d(num_feat, num_feat, 3, 1, 1))
            self.body.append(nn.PReLU(num_parameters=num_feat))
        self.body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: N x C x H x W in [0, 1] -> N x C x sH x sW."""
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        return out + F.interpolate(x, scale_factor=self.upscale, mode="nearest")

    def config(self) -> dict:
        return {"num_in_ch": self.num_in_ch, "num_out_ch": self.num_out_ch, "num_feat": self.num_feat,
                "num_conv": self.num_conv, "upscale": self.upscale}


def is_compact_state_dict(state: dict) -> bool:
    keys = set(state)
    return "body.0.weight" in keys and "body.1.weight" in keys and all(k.startswith("body.") for k in keys)


def from_state_dict(state: dict) -> SRVGGNetCompact:
    """Build the compact generator a state dict describes (channels, depth and scale read from its shapes)."""
    if not is_compact_state_dict(state):
        raise ValueError("not an SRVGGNetCompact state dict")
    indices = sorted({int(m[1]) for k in state if (m := re.match(r"body\.(\d+)\.weight$", k))})
    first, last = state["body.0.weight"], state[f"body.{indices[-1]}.weight"]
    num_feat, num_in = int(first.shape[0]), int(first.shape[1])
    num_conv = (len(indices) - 3) // 2  # first conv + PReLU, num_conv x (conv + PReLU), last conv
    out_channels = int(last.shape[0])
    num_out = num_in
    scale = math.isqrt(out_channels // num_out)
    if scale * scale * num_out != out_channels:
        raise ValueError(f"last conv has {out_channels} channels: not {num_out} x scale^2")
    model = SRVGGNetCompact(num_in, num_out, num_feat, num_conv, scale)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model
