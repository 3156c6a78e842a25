"""Engine benchmark: cost of live previews and the latency of cancel.

Figures are ratios measured in one run on the same model, so they mean the
same on a slow laptop and a fast GPU box.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

Report = Callable[[str, float, str], None]


def preview_overhead(engine, model: str | None, *, steps: int = 20, repeats: int = 5, prompt: str = "") -> dict:
    """Seconds per step: Engine.generate with a preview every step vs. the bare pipeline call."""
    import torch

    from studio.engine.events import Progress
    from studio.engine.request import GenerationRequest

    prompt = prompt or "a large red star on the left and a small blue circle at the bottom right"
    loaded = engine._loaded(model, None)
    pipe = loaded.base
    info = loaded.info
    request = GenerationRequest(prompt=prompt, model=model, steps=steps, seed=1, scheduler="Euler")
    from studio.engine.schedulers import make_scheduler

    def bare() -> float:
        pipe.scheduler = make_scheduler("Euler", loaded.scheduler_config)
        t = time.perf_counter()
        pipe(
            prompt=prompt,
            num_inference_steps=steps,
            guidance_scale=request.cfg_scale,
            width=info.native_width,
            height=info.native_height,
            generator=torch.Generator("cpu").manual_seed(1),
            output_type="np",
        )
        return time.perf_counter() - t

    previews = []

    def with_engine() -> float:
        previews.clear()
        t = time.perf_counter()
        engine.generate(request, on_event=lambda e: previews.append(e) if isinstance(e, Progress) else None)
        return time.perf_counter() - t

    bare()  # warm-up both paths
    with_engine()
    bare_times, engine_times = [], []
    for _ in range(repeats):  # interleave so drift in machine load hits both equally
        bare_times.append(bare())
        engine_times.append(with_engine())
    b = statistics.median(bare_times) / steps
    e = statistics.median(engine_times) / steps
    return {
        "bare_s_per_step": b,
        "engine_s_per_step": e,
        "ratio": e / b,
        "previews": sum(1 for p in previews if p.preview is not None),
        "steps": steps,
    }


def cancel_latency(engine, model: str | None, *, steps: int = 30, cancel_at_step: int = 5, trials: int = 3) -> dict:
    """Steps between cancel.set() (from another thread, mid-step) and generate() returning; decodes after cancel."""
    from studio.engine.errors import GenerationCancelled
    from studio.engine.events import CancelFlag, Progress
    from studio.engine.request import GenerationRequest

    loaded = engine._loaded(model, None)
    decodes = []
    hook = loaded.base.vae.decoder.register_forward_hook(lambda *a: decodes.append(1))
    latencies = []
    try:
        for trial in range(trials):
            cancel = CancelFlag()
            step_times: list[float] = []
            reached = threading.Event()
            set_at = {}

            def on_event(event):
                if isinstance(event, Progress):
                    step_times.append(time.perf_counter())
                    if event.step == cancel_at_step:
                        reached.set()

            def canceller():
                reached.wait()
                # land somewhere inside the next step, not on its boundary
                gap = step_times[-1] - step_times[-2] if len(step_times) > 1 else 0.01
                time.sleep(gap * (0.3 + 0.2 * trial))
                set_at["t"] = time.perf_counter()
                cancel.set()

            thread = threading.Thread(target=canceller)
            thread.start()
            request = GenerationRequest(prompt="a red circle", model=model, steps=steps, seed=trial)
            try:
                engine.generate(request, on_event=on_event, cancel=cancel)
            except GenerationCancelled:
                pass
            done = time.perf_counter()
            thread.join()
            per_step = statistics.median(b - a for a, b in zip(step_times, step_times[1:]))
            latencies.append((done - set_at["t"]) / per_step)
    finally:
        hook.remove()
    return {"latency_steps": max(latencies), "median_latency_steps": statistics.median(latencies), "decodes_after_cancel": len(decodes)}


def run(report: Report, model: str | None = None, *, quick: bool = False) -> None:
    from studio.engine.generator import Engine

    engine = Engine()
    info = engine.load(model)
    report(f"engine model: {info.name} {info.native_width}x{info.native_height} on {engine.placement.device}", None, "")
    o = preview_overhead(engine, model, steps=10 if quick else 20, repeats=2 if quick else 5)
    report("bare pipeline, s/step", o["bare_s_per_step"], "s")
    report("engine with preview every step, s/step", o["engine_s_per_step"], "s")
    report("preview overhead ratio (target <= 1.03)", o["ratio"], "x")
    c = cancel_latency(engine, model, steps=15 if quick else 30, trials=2 if quick else 3)
    report("cancel latency, worst (target < 1 step)", c["latency_steps"], "steps")
    report("VAE decodes after cancel (target 0)", c["decodes_after_cancel"], "decodes")
