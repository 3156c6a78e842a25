"""Live painting, the engine side (Qt-free): live settings per model, few-step recipes, dirty regions.

Live mode re-runs img2img of the canvas at a fixed seed and a few steps on every
change. What "a few steps" means depends on the model:

* a model folder may carry ``studio_live.json`` (the bundled starter's was tuned
  by measurement, see ``studio bench --only live``), e.g.
  ``{"steps": 3, "strength": 0.5, "cfg_scale": 1.5, "scheduler": "Euler"}``;
* few-step distillations are recognised from the model's name, the LoRAs in the
  prompt (``<lora:lcm-lora-sdv1-5>``, ``<lora:Hyper-SD15-8steps-lora>``...) or the
  scheduler class in the model's config, and get their authors' recommended
  settings (:data:`RECIPES`);
* anything else gets :data:`GENERIC`.

``steps`` here is the number of denoising steps one update *runs*; the request
asks for ``ceil(steps / strength)`` so that img2img at ``strength`` runs exactly
that many (:meth:`LiveSettings.request_steps`).

Region-only updates: :func:`dirty_rect` finds what changed between two
composites and :func:`region_box` says whether regenerating that rectangle (plus
padding, at the model's native size, through the only-masked inpaint path) is
worth it instead of the whole picture.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from studio.engine.masks import Rect
from studio.engine.request import MAX_CFG, MAX_STEPS
from studio.engine.schedulers import SCHEDULER_NAMES

LIVE_FILE = "studio_live.json"
LIVE_SEED = 1234  # the fixed seed: the same canvas gives the same picture
MAX_LIVE_STEPS = 16

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveSettings:
    """How one live update runs: ``steps`` denoising steps at ``strength``, CFG, sampler, seed."""

    steps: int = 4
    strength: float = 0.5
    cfg_scale: float = 5.0
    scheduler: str = "Euler a"
    seed: int = LIVE_SEED
    recipe: str = ""  # the few-step recipe these came from ("" = none)

    def request_steps(self) -> int:
        """The schedule length that makes img2img at ``strength`` run ``steps`` steps."""
        strength = max(self.strength, 0.01)
        n = math.ceil(self.steps / strength - 1e-9)
        while int(n * strength) < self.steps:  # the engine runs int(steps * strength)
            n += 1
        return max(1, min(MAX_STEPS, n))

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        base = f"{self.steps} steps, strength {self.strength:g}, CFG {self.cfg_scale:g}, {self.scheduler}"
        return f"{self.recipe}: {base}" if self.recipe else base


GENERIC = LiveSettings()


@dataclass(frozen=True)
class Recipe:
    """A few-step model family: how to spot it and what its authors recommend."""

    name: str
    pattern: re.Pattern
    settings: LiveSettings
    scheduler_class: str = ""  # a model whose scheduler config names this class is one too


RECIPES: tuple[Recipe, ...] = (
    # LCM / LCM-LoRA: LCMScheduler, guidance 1-2, 2-8 steps (latent-consistency-models docs)
    Recipe("LCM", re.compile(r"(^|[^a-z])lcm([^a-z]|$)|latent[-_ ]?consistency", re.IGNORECASE),
           LiveSettings(steps=4, strength=0.5, cfg_scale=1.0, scheduler="LCM"), "LCMScheduler"),
    # SD-Turbo / SDXL-Turbo: no CFG, 1-4 steps, img2img with steps * strength >= 1 (stabilityai model cards)
    Recipe("Turbo", re.compile(r"turbo", re.IGNORECASE), LiveSettings(steps=2, strength=0.5, cfg_scale=0.0, scheduler="Euler a")),
    # Hyper-SD: CFG-free LoRAs at 1/2/4/8 steps, trailing timesteps (ByteDance model card: TCD or DDIM trailing)
    Recipe("Hyper-SD", re.compile(r"hyper[-_ ]?s(d|dxl)", re.IGNORECASE),
           LiveSettings(steps=4, strength=0.5, cfg_scale=1.0, scheduler="Euler trailing")),
    # SDXL-Lightning: CFG off, 2/4/8 steps, Euler with trailing timesteps (ByteDance model card)
    Recipe("Lightning", re.compile(r"lightning", re.IGNORECASE),
           LiveSettings(steps=4, strength=0.5, cfg_scale=1.0, scheduler="Euler trailing")),
)

_STEPS_RE = re.compile(r"(\d+)[-_ ]?steps?", re.IGNORECASE)


def _steps_in(name: str) -> int | None:
    m = _STEPS_RE.search(name)
    if m and 1 <= int(m.group(1)) <= MAX_LIVE_STEPS:
        return int(m.group(1))
    return None


def recipe_for(names: list[str], scheduler_class: str = "") -> tuple[Recipe, str] | None:
    """The few-step recipe matching any of ``names`` (model name, LoRA names) or the scheduler class,
    with the name that matched."""
    for recipe in RECIPES:
        for name in names:
            if name and recipe.pattern.search(name):
                return recipe, name
        if recipe.scheduler_class and scheduler_class == recipe.scheduler_class:
            return recipe, scheduler_class
    return None


def _clean(raw: dict, where: str) -> dict:
    """The valid live values of ``raw`` (others are dropped with a log line)."""
    out: dict = {}
    checks = {
        "steps": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_LIVE_STEPS,
        "strength": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0.05 <= v <= 1.0,
        "cfg_scale": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= MAX_CFG,
        "scheduler": lambda v: v in SCHEDULER_NAMES,
        "seed": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**32,
    }
    for key, ok in checks.items():
        if key in raw:
            if ok(raw[key]):
                out[key] = float(raw[key]) if key in ("strength", "cfg_scale") else raw[key]
            else:
                log.warning("ignoring live %s=%r in %s", key, raw[key], where)
    return out


def read_live_file(folder: str | Path | None) -> dict:
    """The live values in ``folder``'s ``studio_live.json`` ({} when there is none or it is broken)."""
    if folder is None:
        return {}
    path = Path(folder) / LIVE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}
    return _clean(raw, str(path)) if isinstance(raw, dict) else {}


def _scheduler_class(folder: Path | None) -> str:
    if folder is None:
        return ""
    try:
        return json.loads((folder / "scheduler" / "scheduler_config.json").read_text(encoding="utf-8")).get("_class_name", "")
    except (OSError, ValueError, AttributeError):
        return ""


def live_defaults(model_name: str, folder: str | Path | None = None, lora_names: list[str] | None = None) -> LiveSettings:
    """The live settings a model starts from: a LoRA's recipe, else the folder's file, else the model
    name's recipe, else :data:`GENERIC`."""
    folder = Path(folder) if folder else None
    loras = [n for n in (lora_names or []) if n]
    found = recipe_for(loras)  # a few-step LoRA in the prompt decides first: it changes how the model samples
    if found is None:
        own = read_live_file(folder)
        if own:
            return replace(GENERIC, **own, recipe="")
        found = recipe_for([model_name], _scheduler_class(folder))
    if found is None:
        return GENERIC
    recipe, name = found
    settings = replace(recipe.settings, recipe=recipe.name)
    steps = _steps_in(name)
    return replace(settings, steps=steps) if steps else settings


def merge(base: LiveSettings, saved: dict | None) -> LiveSettings:
    """``base`` with the user's saved values for this model (invalid ones ignored)."""
    if not isinstance(saved, dict):
        return base
    values = _clean(saved, "the saved live settings")
    return replace(base, **values) if values else base


# -- what changed ---------------------------------------------------------------------------


def dirty_rect(a: np.ndarray | None, b: np.ndarray | None) -> Rect | None:
    """The bounding box (x0, y0, x1, y1) of the pixels that differ between two HxWxC images;
    the whole image when there is no earlier one or the sizes differ; None when they are equal."""
    if b is None:
        return None
    h, w = b.shape[:2]
    if a is None or a.shape != b.shape:
        return (0, 0, w, h)
    diff = a != b
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def region_box(dirty: Rect | None, image_size: tuple[int, int], native_size: tuple[int, int],
               padding: int = 32, max_fraction: float = 0.35) -> Rect | None:
    """The dirty rectangle grown by ``padding`` when a region-only update is worth it, else None.

    Worth it when the picture is bigger than the model's native size (at or below
    it a whole-picture update costs the same) and the padded rectangle covers at
    most ``max_fraction`` of the picture.
    """
    if dirty is None:
        return None
    w, h = image_size
    nw, nh = native_size
    if w * h <= 1.5 * nw * nh:
        return None
    x0, y0, x1, y1 = dirty
    box = (max(0, x0 - padding), max(0, y0 - padding), min(w, x1 + padding), min(h, y1 + padding))
    if (box[2] - box[0]) * (box[3] - box[1]) > max_fraction * w * h:
        return None
    return box


def region_inputs(composite: np.ndarray, last_result: np.ndarray, dirty: Rect, grow: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(init image, mask) of a region update: the last live result with the changed pixels (plus
    ``grow``) taken from the new composite, and a mask of those pixels (255 = regenerate)."""
    h, w = composite.shape[:2]
    x0, y0, x1, y1 = dirty
    x0, y0, x1, y1 = max(0, x0 - grow), max(0, y0 - grow), min(w, x1 + grow), min(h, y1 + grow)
    mask = np.zeros((h, w), np.uint8)
    mask[y0:y1, x0:x1] = 255
    init = last_result[..., :3].copy()
    init[y0:y1, x0:x1] = composite[y0:y1, x0:x1, :3]
    return init, mask


__all__ = [
    "GENERIC",
    "LIVE_FILE",
    "LIVE_SEED",
    "RECIPES",
    "LiveSettings",
    "Recipe",
    "dirty_rect",
    "live_defaults",
    "merge",
    "read_live_file",
    "recipe_for",
    "region_box",
    "region_inputs",
]
