"""Exact style transfer (Gatys et al. 2015): optimise the image's pixels on content + style + TV loss.

The image starts as the content picture and is updated by L-BFGS (one loss
evaluation per iteration, strong-Wolfe line search) or Adam. ``on_iteration`` hears every evaluated
image: iteration 0 is the start, iteration ``steps`` the result, each with its
losses and a uint8 preview; ``cancel`` is checked before every iteration and inside
the loss evaluation, so a cancel stops within one iteration.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from studio.engine.errors import GenerationCancelled
from studio.engine.style import losses as L
from studio.engine.style.features import FeatureNet
from studio.engine.style.settings import StyleSettings

OnIteration = Callable[[int, L.LossValues, np.ndarray], None]


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """HxWx3 uint8 -> (1, 3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1)[None].contiguous().div_(255.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    arr = x.detach()[0].clamp(0, 1).mul(255.0).add_(0.5).to(torch.uint8)
    return arr.permute(1, 2, 0).contiguous().numpy()


class _Objective:
    """The total loss of an image against fixed content features and style Grams."""

    def __init__(self, net: FeatureNet, content: torch.Tensor, style: torch.Tensor, weights: L.Weights):
        self.net, self.weights = net, weights
        with torch.no_grad():
            found_c = net(content)
            found_s = net(style)
        self.content_layers = tuple(n for n in net.content_layers if n in found_c)
        self.content_targets = {n: found_c[n] for n in self.content_layers}
        # a small image may lack the random net's coarsest levels: use the layers both images have
        self.style_layers = tuple(n for n in net.style_layers if n in found_s and n in found_c)
        self.style_targets = {n: L.gram(found_s[n]) for n in self.style_layers}

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, L.LossValues]:
        feats = self.net(x)
        zero = x.new_zeros(())
        c = L.content_loss(feats, self.content_targets, self.content_layers) if self.weights.content and self.content_layers else zero
        s = L.style_loss(feats, self.style_targets, self.style_layers) if self.weights.style and self.style_layers else zero
        tv = L.tv_loss(x) if self.weights.tv else zero
        total = L.total_loss(c, s, tv, self.weights)
        return total, L.values(c, s, tv, total)


def optimise(
    content: np.ndarray,
    style: np.ndarray,
    settings: StyleSettings,
    net: FeatureNet,
    *,
    on_iteration: OnIteration | None = None,
    cancel=None,
) -> tuple[np.ndarray, list[L.LossValues]]:
    """Run ``settings.steps`` iterations; returns the uint8 result and the losses of iterations 0..steps."""
    weights = L.Weights(settings.content_weight, settings.style_weight, settings.tv_weight)
    objective = _Objective(net, to_tensor(content), to_tensor(style), weights)
    x = to_tensor(content).clone().requires_grad_(True)
    history: list[L.LossValues] = []
    steps = int(settings.steps)

    def check(i: int) -> None:
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("Style transfer cancelled.", step=i, total=steps)

    def evaluate() -> torch.Tensor:
        """One iteration: the loss and gradient at ``x``, reported with its preview."""
        i = len(history)
        if i >= steps:
            raise _Budget
        check(i)
        opt.zero_grad(set_to_none=True)
        total, vals = objective(x)
        total.backward()
        history.append(vals)
        if on_iteration is not None:
            on_iteration(i, vals, to_uint8(x))
        return total

    if settings.optimizer == "lbfgs":
        # one call, one loss evaluation per reported iteration; strong-Wolfe line search keeps it monotone
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [x], lr=1.0, max_iter=steps, max_eval=steps, history_size=50,
            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe",
        )
        try:
            opt.step(evaluate)
        except _Budget:  # the line search asked for more evaluations than the steps allow
            pass
    else:
        opt = torch.optim.Adam([x], lr=settings.learning_rate)
        for _ in range(steps):
            opt.step(evaluate)
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
    check(len(history))
    with torch.no_grad():
        x.clamp_(0.0, 1.0)
        _, final = objective(x)
    history.append(final)
    result = to_uint8(x)
    if on_iteration is not None:
        on_iteration(len(history) - 1, final, result)
    return result, history


class _Budget(Exception):
    """Raised inside L-BFGS when the iteration budget is spent."""


def measure(content: np.ndarray, style: np.ndarray, settings: StyleSettings, net: FeatureNet, images: list[np.ndarray]) -> list[L.LossValues]:
    """The losses of finished ``images`` (content-sized) under the same objective (fast mode's figures)."""
    weights = L.Weights(settings.content_weight, settings.style_weight, settings.tv_weight)
    objective = _Objective(net, to_tensor(content), to_tensor(style), weights)
    with torch.no_grad():
        return [objective(to_tensor(image))[1] for image in images]
