"""Preview benchmark: how close each preview is to the final image, and what previews cost.

Fidelity: the same seeded run (engine path, Euler) once with the linear map and
once with the tiny decoder; each preview, upscaled to the final size, against
the final image, as PSNR at 25/50/75/100% of the steps. Cost: one UNet step,
one preview and one VAE decode timed interleaved (robust on a loaded machine),
the overhead ratio they imply, and generation end to end with a preview every
step vs. previews off.

``python -m studio.bench.preview --strip out.png`` writes preview
strips (rows: linear map, tiny decoder, final image; columns: steps).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numpy as np

Report = Callable[[str, float | None, str], None]

PROMPTS = [
    "a large red star on the left and a small blue circle at the bottom right, yellow to green gradient background",
    "a large white heart in the center on a deep blue background",
    "a medium orange ring at the top left, purple to cyan gradient background",
    "a large green letter K on the right on a pink background",
    "a small yellow triangle at the top and a large black square at the bottom, gray background",
    "a large cyan diamond in the center, brown to white vertical gradient background",
]
FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2) / 255.0**2
    return 10 * math.log10(1.0 / max(mse, 1e-12))


def upscaled(preview: np.ndarray, shape) -> np.ndarray:
    from PIL import Image

    if preview.shape[:2] == tuple(shape[:2]):
        return preview
    return np.asarray(Image.fromarray(preview).resize((shape[1], shape[0]), Image.BILINEAR))


def _request(prompt: str, model, steps: int, seed: int):
    from studio.engine.models import defaults_for
    from studio.engine.request import GenerationRequest

    cfg = defaults_for(model).as_params().get("cfg_scale", 7.0)
    return GenerationRequest(prompt=prompt, model=model, steps=steps, seed=seed, scheduler="Euler", cfg_scale=cfg)


def run_with(engine, method: str, request) -> tuple[list[np.ndarray], np.ndarray]:
    """(preview of every step, final image) with preview ``method``."""
    from studio.engine.events import Progress

    engine.settings.preview_method, engine.settings.preview_every = method, 1
    frames: list[np.ndarray] = []
    image = engine.generate(request, on_event=lambda e: frames.append(e.preview) if isinstance(e, Progress) else None)
    return frames, image[0].image


def fidelity(engine, model, prompts, steps: int = 20) -> dict:
    """Mean PSNR (dB) against the final image, per method and fraction of the steps."""
    table = {m: {f: [] for f in FRACTIONS} for m in ("linear", "tiny")}
    for seed, prompt in enumerate(prompts):
        request = _request(prompt, model, steps, seed)
        for method in table:
            frames, final = run_with(engine, method, request)
            for f in FRACTIONS:
                frame = frames[max(1, math.ceil(f * steps)) - 1]
                table[method][f].append(psnr(upscaled(frame, final.shape), final))
    return {m: {f: statistics.mean(v) for f, v in rows.items()} for m, rows in table.items()}


def overhead(engine, model, *, steps: int = 20, repeats: int = 5) -> dict:
    """Seconds per image with a preview every step (tiny decoder, linear map) vs. previews off."""
    request = _request(PROMPTS[0], model, steps, 1)
    modes = {"none": ("linear", 0), "tiny": ("tiny", 1), "linear": ("linear", 1)}

    def once(mode: str) -> float:
        engine.settings.preview_method, engine.settings.preview_every = modes[mode]
        t = time.perf_counter()
        engine.generate(request)
        return time.perf_counter() - t

    for mode in modes:  # warm-up
        once(mode)
    times = {mode: [] for mode in modes}
    for _ in range(repeats):  # interleaved, so drift in machine load hits all alike
        for mode in modes:
            times[mode].append(once(mode))
    med = {mode: statistics.median(v) for mode, v in times.items()}
    return {"s_per_image": med, "tiny_ratio": med["tiny"] / med["none"], "linear_ratio": med["linear"] / med["none"]}


def component_ms(engine, model, calls: int = 30) -> dict:
    """Median ms of one UNet step (CFG batch), one preview per method and one VAE decode, measured
    interleaved on the same latents, so load on the machine hits all of them alike."""
    import torch

    loaded = engine._loaded(model, None)
    pipe, info = loaded.base, loaded.info
    down = 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    dev, dtype = engine.placement.device, pipe.unet.dtype
    latents = torch.randn(1, pipe.vae.config.latent_channels, info.native_height // down, info.native_width // down,
                          dtype=dtype, device=dev)
    text = torch.zeros(2, pipe.tokenizer.model_max_length, pipe.text_encoder.config.hidden_size, dtype=dtype, device=dev)
    previewers = {}
    for method in ("tiny", "linear"):
        engine.settings.preview_method = method
        previewers[method] = engine.preview_for(loaded)
    scale = float(pipe.vae.config.scaling_factor or 1.0)
    jobs = {
        "unet": lambda: pipe.unet(torch.cat([latents] * 2), 500, encoder_hidden_states=text),
        "vae": lambda: pipe.vae.decode(latents / scale).sample.cpu(),
        **{m: (lambda p=p: p(latents, 1, 1)) for m, p in previewers.items()},
    }
    times = {name: [] for name in jobs}
    with torch.inference_mode():
        for name, job in jobs.items():
            job()  # warm-up
        for _ in range(calls):
            for name, job in jobs.items():
                t = time.perf_counter()
                job()
                if str(dev).startswith("cuda"):
                    torch.cuda.synchronize()
                times[name].append(time.perf_counter() - t)
    out = {name: statistics.median(v) * 1000 for name, v in times.items()}
    out["tiny_origin"] = f"{getattr(previewers['tiny'], 'kind', '?')} ({getattr(previewers['tiny'], 'origin', '?')})"
    return out


def run(report: Report, model: str | None = None, *, quick: bool = False) -> None:
    from studio.engine.generator import Engine

    engine = Engine()
    info = engine.load(model)
    steps = 10 if quick else 20
    report(f"preview model: {info.name} {info.native_width}x{info.native_height} on {engine.placement.device}, "
           f"{steps} steps Euler", None, "")
    c = component_ms(engine, model, calls=10 if quick else 40)
    origin = c["tiny_origin"]
    report(f"tiny decoder used: {origin}" if origin.startswith("tiny")
           else "tiny decoder: none found, the linear map stands in", None, "")
    table = fidelity(engine, model, PROMPTS[:2] if quick else PROMPTS, steps)
    report(f"PSNR vs final image, mean of {2 if quick else len(PROMPTS)} prompts:   linear map | tiny decoder", None, "")
    for f in FRACTIONS:
        report(f"  at {int(f * 100):3d}% of the steps: {table['linear'][f]:6.2f} dB | {table['tiny'][f]:6.2f} dB", None, "")
    report("last-step preview PSNR, tiny decoder (target >= 30)", table["tiny"][1.0], "dB")
    report("last-step preview PSNR, linear map", table["linear"][1.0], "dB")
    report("one UNet step (CFG batch of 2)", c["unet"], "ms")
    report("one preview, tiny decoder", c["tiny"], "ms")
    report("one preview, linear map", c["linear"], "ms")
    report("one full VAE decode", c["vae"], "ms")
    image = steps * c["unet"] + c["vae"]
    report("tiny preview every step vs none, from the parts (target <= 1.05)", (image + steps * c["tiny"]) / image, "x")
    o = overhead(engine, model, steps=steps, repeats=2 if quick else 5)
    report("seconds per image, previews off", o["s_per_image"]["none"], "s")
    report("preview every step, tiny decoder vs none, end to end (target <= 1.05)", o["tiny_ratio"], "x")
    report("preview every step, linear map vs none, end to end", o["linear_ratio"], "x")


def strip(path, model: str | None = None, prompts=None, steps: int = 20, columns=(1, 2, 3, 5, 8, 10, 15, 20)) -> None:
    """A PNG per prompt block: linear-map row, tiny-decoder row, final image, at the given steps."""
    from PIL import Image

    from studio.engine.generator import Engine

    engine = Engine()
    blocks = []
    for seed, prompt in enumerate(prompts or PROMPTS[:3]):
        request = _request(prompt, model, steps, seed)
        linear, final = run_with(engine, "linear", request)
        tiny, _ = run_with(engine, "tiny", request)
        size = final.shape
        rows = [[upscaled(linear[c - 1], size) for c in columns], [upscaled(tiny[c - 1], size) for c in columns],
                [final] * len(columns)]
        blocks.append(np.concatenate([np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in r], 1)
                                      for r in rows], 0))
        blocks.append(np.full((8, blocks[-1].shape[1], 3), 255, np.uint8))
    Image.fromarray(np.concatenate(blocks, 0)).save(path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="write preview strips: linear map / tiny decoder / final image")
    ap.add_argument("--strip", required=True)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    strip(args.strip, args.model)
