"""Evaluate a starter-model folder: adherence on the 200 held-out prompts and speed.

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


def load_pipeline(folder: Path):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(folder), local_files_only=True, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def generate(pipe, prompts: list[str], seeds: list[int], steps: int = STEPS, guidance: float = GUIDANCE) -> list[np.ndarray]:
    gens = [torch.Generator("cpu").manual_seed(s) for s in seeds]
    out = pipe(prompts, num_inference_steps=steps, guidance_scale=guidance, generator=gens,
               height=128, width=128, output_type="np")
    return [np.round(im * 255).astype(np.uint8) for im in out.images]


def time_one_image(pipe, runs: int = 5, steps: int = STEPS, guidance: float = GUIDANCE) -> float:
    prompt = "a large red star on the left and a small blue circle at the bottom right, yellow to green gradient background"
    generate(pipe, [prompt], [0], steps, guidance)  # warm-up
    ts = []
    for i in range(runs):
        t = time.perf_counter()
        generate(pipe, [prompt], [i], steps, guidance)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


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


def evaluate(folder: Path, count: int = 200, batch: int = 8, guidance: float = GUIDANCE,
             steps: int = STEPS, grid_path: Path | None = None, write: bool = True) -> dict:
    torch.set_num_threads(2)
    folder = Path(folder)
    pipe = load_pipeline(folder)
    items = eval_set()[:count]
    images, t0 = [], time.time()
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        images += generate(pipe, [c for c, _ in chunk], [SEED + i + j for j in range(len(chunk))], steps, guidance)
    gen_s = time.time() - t0
    scenes = [s for _, s in items]
    verdicts = [judge(im, s) for im, s in zip(images, scenes)]
    result = summarise(verdicts, scenes)
    result.update({
        "guidance_scale": guidance, "steps": steps, "scheduler": type(pipe.scheduler).__name__,
        "seconds_per_image_20_steps_cfg": round(time_one_image(pipe), 3),
        "batch_generation_seconds": round(gen_s, 1), "torch_threads": torch.get_num_threads(),
    })
    ceiling = judge_vae_reconstructions(pipe.vae, items)
    result["vae_reconstruction_ceiling"] = {k: ceiling[k] for k in ("adherence", "background", "object_colour_at_position", "shape")}
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
        (folder / "studio_eval.json").write_text(json.dumps(result, indent=2) + "\n")
        from .model_card import write_model_card
        write_model_card(folder)
    return result
