"""Evaluate a starter-model folder: adherence on the 200 held-out prompts, inpainting, speed.

Images are made through the studio engine (the path the app and the CLI use).

Writes ``studio_eval.json`` into the folder and refreshes the model card.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from .captions import eval_set
from .judge import judge, summarise

GUIDANCE = 7.5
STEPS = 20
SEED = 1234


def make_engine():
    """The same engine the app and the CLI use; the model is loaded through the normal loader."""
    from studio.engine.generator import Engine

    return Engine()


def generate(engine, folder: Path | str, prompts: list[str], seeds: list[int], steps: int = STEPS,
             guidance: float = GUIDANCE) -> list[np.ndarray]:
    from studio.engine.request import GenerationRequest

    images = []
    for prompt, seed in zip(prompts, seeds):
        request = GenerationRequest(prompt=prompt, model=str(folder), steps=steps, cfg_scale=guidance, seed=seed,
                                    scheduler="Euler")
        images.append(engine.generate(request)[0].image)
    return images


def judged(engine, folder: Path | str, items, seeds: list[int], steps: int = STEPS,
           guidance: float = GUIDANCE) -> tuple[dict, list[np.ndarray]]:
    """Generate every (prompt, scene) item and judge it: (summarised figures, images)."""
    images = generate(engine, folder, [c for c, _ in items], seeds, steps, guidance)
    scenes = [s for _, s in items]
    return summarise([judge(im, s) for im, s in zip(images, scenes)], scenes), images


def time_one_image(engine, folder: Path | str, runs: int = 5, steps: int = STEPS, guidance: float = GUIDANCE) -> float:
    prompt = "a large red star on the left and a small blue circle at the bottom right, yellow to green gradient background"
    generate(engine, folder, [prompt], [0], steps, guidance)  # warm-up
    ts = []
    for i in range(runs):
        t = time.perf_counter()
        generate(engine, folder, [prompt], [i], steps, guidance)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


@torch.no_grad()
def judge_vae_reconstructions(vae, items) -> dict:
    """The same judge on VAE round trips of the exact renders: the ceiling the VAE puts on adherence."""
    from .data import to_tensor, to_uint8
    from .render import render

    scenes = [s for _, s in items]
    images = []
    for i in range(0, len(scenes), 25):
        x = to_tensor([render(s) for s in scenes[i:i + 25]]).to(vae.dtype)
        images += list(to_uint8(vae.decode(vae.encode(x).latent_dist.mode()).sample))
    return summarise([judge(im, s) for im, s in zip(images, scenes)], scenes)


def recommended_guidance(folder: Path | str) -> float:
    """The folder's recommended CFG (studio_defaults.json, what the app and CLI start from), else GUIDANCE."""
    from studio.engine.model_defaults import read_defaults

    cfg = read_defaults(folder).cfg_scale
    return GUIDANCE if cfg is None else cfg


def evaluate(folder: Path, count: int = 200, guidance: float | None = None, steps: int = STEPS,
             grid_path: Path | None = None, write: bool = True, inpaint_cases: int = 24, timing_runs: int = 5,
             threads: int | None = 2) -> dict:
    """Every figure of the model card; ``threads=None`` keeps the caller's torch thread count.

    ``guidance=None``: the folder's recommended CFG, so the figures are what a user gets by default.
    """
    from .inpaint_check import inpaint_figures

    if threads:
        torch.set_num_threads(threads)
    folder = Path(folder)
    if guidance is None:
        guidance = recommended_guidance(folder)
    engine = make_engine()
    items = eval_set()[:count]
    t0 = time.time()
    result, images = judged(engine, folder, items, [SEED + i for i in range(len(items))], steps, guidance)
    gen_s = time.time() - t0
    result.update({
        "guidance_scale": guidance, "steps": steps, "scheduler": "Euler",
        # timed at GUIDANCE: any CFG > 1 costs the same (two UNet passes per step)
        "seconds_per_image_20_steps_cfg": round(time_one_image(engine, folder, runs=timing_runs), 3),
        "batch_generation_seconds": round(gen_s, 1), "torch_threads": torch.get_num_threads(),
        "folder_mb": round(folder_bytes(folder) / 2**20, 2),
    })
    vae = engine._loaded(str(folder), None).base.vae
    ceiling = judge_vae_reconstructions(vae, items)
    result["vae_reconstruction_ceiling"] = {k: ceiling[k] for k in ("adherence", "background", "object_colour_at_position", "shape")}
    if inpaint_cases:
        result["inpaint"], _ = inpaint_figures(engine, str(folder), inpaint_cases, guidance=guidance)
    info_path = folder / "studio_train_info.json"
    if info_path.exists():
        result["unet_step"] = json.loads(info_path.read_text()).get("unet_step")
    if grid_path is not None:
        from .render import grid, render
        pairs = []
        for (c, s), im in list(zip(items, images))[:16]:
            pairs += [render(s), im]
        grid(pairs, 8).save(grid_path)
    if write:
        from .state import atomic_write_text

        atomic_write_text(folder / "studio_eval.json", json.dumps(result, indent=2) + "\n")
        from .model_card import write_model_card
        write_model_card(folder)
    return result
