"""``studio bench --only starter``: the starter model's figures, measured now.

Adherence on the 200 held-out prompts (``--quick``: 16), the VAE's ceiling on
the same judge, inpainting (new object in the masked square, outside unchanged),
seconds per 20-step image with CFG, and the folder size. Every image is made
through the engine, as in the app and the CLI.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Report = Callable[[str, float, str], None]


def run(report: Report, model: str | None = None, *, quick: bool = False) -> dict:
    from studio.engine.errors import ModelNotFound
    from studio.paths import starter_model_dir

    from studio.starter.evaluate import evaluate

    folder = Path(model) if model else starter_model_dir()
    if not (folder / "model_index.json").exists():
        raise ModelNotFound(f"No starter model at {folder}: export one with `python -m studio.starter export`.")
    figures = evaluate(folder, count=16 if quick else 200, write=False, inpaint_cases=4 if quick else 24,
                       timing_runs=2 if quick else 5, threads=None)
    n = figures["prompts"]
    report(f"prompt adherence, {n} held-out prompts (target >= 90%)", 100 * figures["adherence"], "%")
    report("  one-object prompts", 100 * figures["adherence_one_object"], "%")
    report("  two-object prompts", 100 * figures["adherence_two_objects"], "%")
    report("background colour right", 100 * figures["background"], "%")
    report("object colour at its position", 100 * figures["object_colour_at_position"], "%")
    report("shape (nearest-template classifier)", 100 * figures["shape"], "%")
    ceiling = figures["vae_reconstruction_ceiling"]
    report("VAE ceiling: adherence on round trips of the exact targets", 100 * ceiling["adherence"], "%")
    inpaint = figures["inpaint"]
    report(f"inpaint: asked-for colour in the masked square ({inpaint['cases']} cases)", 100 * inpaint["new_colour_in_mask"], "%")
    report("inpaint: old colour gone from the masked square", 100 * inpaint["old_colour_gone"], "%")
    report("inpaint: pixels outside the mask unchanged", 100 * inpaint["outside_unchanged"], "%")
    report("seconds per 128x128 image, 20 steps, CFG (target <= 1 s)", figures["seconds_per_image_20_steps_cfg"], "s")
    report("model folder size (target <= 30 MB)", figures["folder_mb"], "MiB")
    return figures
