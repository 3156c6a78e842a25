"""The losses of neural style transfer (Gatys et al. 2015), each scale-free.

* content: feature distance at the content layer(s), relative to the target's energy;
* style: Gram-matrix distance at several layers, each relative to the target Gram's energy;
* total variation: mean absolute difference of neighbouring pixels (smoothness);
* total: ``content_weight * content + style_weight * style + tv_weight * tv``.

Relative terms make the weights mean the same for any feature network and size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

_EPS = 1e-12


def gram(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, C): channel correlations averaged over positions."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def content_loss(features: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor], layers: Sequence[str]) -> torch.Tensor:
    """Mean over ``layers`` of ||F - F_target||^2 / ||F_target||^2."""
    terms = [
        (features[name] - targets[name]).pow(2).sum() / (targets[name].pow(2).sum() + _EPS)
        for name in layers
    ]
    return torch.stack(terms).mean()


def style_loss(features: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor], layers: Sequence[str]) -> torch.Tensor:
    """Mean over ``layers`` of ||G - G_target||^2 / ||G_target||^2 (Gram matrices)."""
    terms = [
        (gram(features[name]) - target_grams[name]).pow(2).sum() / (target_grams[name].pow(2).sum() + _EPS)
        for name in layers
    ]
    return torch.stack(terms).mean()


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation of a (B, 3, H, W) image in [0, 1]: mean |dx| + mean |dy|."""
    dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
    dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean()
    return dx + dy


@dataclass(frozen=True)
class Weights:
    content: float = 1.0
    style: float = 1.0
    tv: float = 0.0


@dataclass(frozen=True)
class LossValues:
    """One iteration's losses as plain floats (``total`` is the weighted sum)."""

    content: float
    style: float
    tv: float
    total: float

    def as_dict(self) -> dict[str, float]:
        return {"content_loss": self.content, "style_loss": self.style, "tv_loss": self.tv, "total_loss": self.total}


def total_loss(content: torch.Tensor, style: torch.Tensor, tv: torch.Tensor, weights: Weights) -> torch.Tensor:
    return weights.content * content + weights.style * style + weights.tv * tv


def values(content: torch.Tensor, style: torch.Tensor, tv: torch.Tensor, total: torch.Tensor) -> LossValues:
    return LossValues(float(content.detach()), float(style.detach()), float(tv.detach()), float(total.detach()))
