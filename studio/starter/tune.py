"""Choose the starter model's recommended CFG scale and store it with the model.

Measured on a tuning set: held-out-style prompts drawn with another seed than
the 200 evaluation prompts (and other sampling seeds), so the choice is not
made on the prompts the model card reports. The winner goes into the folder's
``studio_defaults.json``, which the app and the CLI start from, and the
evaluation then measures what a user gets by default.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from .captions import eval_set
from .evaluate import STEPS, judged, make_engine
from .recipe import TUNING_FILE

TUNE_SEED = 20261202  # prompts: not the evaluation seed
TUNE_SAMPLE_SEED = 5678  # sampling seeds: not the evaluation's 1234 + i
TUNE_COUNT = 100
CANDIDATES = (1.0, 1.5, 2.0, 3.0, 4.0, 5.5, 7.5)


def tuning_set(count: int = TUNE_COUNT):
    return eval_set(count, seed=TUNE_SEED)


def tune_guidance(folder: Path | str, count: int = TUNE_COUNT, candidates=CANDIDATES, write: bool = True,
                  threads: int | None = 2, log=print) -> dict:
    """Adherence on the tuning set at each CFG; writes the best as the folder's recommended CFG."""
    from studio.engine.model_defaults import ModelDefaults, write_defaults
    from studio.fsutil import atomic_write_text

    if threads:
        torch.set_num_threads(threads)
    folder = Path(folder)
    engine = make_engine()
    items = tuning_set(count)
    seeds = [TUNE_SAMPLE_SEED + i for i in range(len(items))]
    table = {}
    for g in candidates:
        figures, _ = judged(engine, folder, items, seeds, STEPS, g)
        table[str(g)] = {k: figures[k] for k in ("adherence", "adherence_one_object", "adherence_two_objects", "shape")}
        log(f"CFG {g}: adherence {figures['adherence']:.3f} (two objects {figures['adherence_two_objects']:.3f})")
    best = max(candidates, key=lambda g: table[str(g)]["adherence"])  # ties: the first (lowest) scale
    result = {"prompts": len(items), "prompt_seed": TUNE_SEED, "steps": STEPS, "scheduler": "Euler",
              "by_guidance": table, "chosen": best}
    if write:
        write_defaults(folder, ModelDefaults(cfg_scale=best, steps=STEPS, scheduler="Euler"))
        atomic_write_text(folder / TUNING_FILE, json.dumps(result, indent=2) + "\n")
    return result
