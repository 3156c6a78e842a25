"""Does inpainting with the starter model visibly work?

For each case: render a scene with one object, mask the object's square, and ask
(through the engine's inpaint mode, as the app and CLI do) for an object of
another colour and shape at the same place. The judge then checks that the
requested colour is the dominant object colour in that region, and that the
old colour is gone from it. Pixels well outside the mask must be unchanged.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from .captions import caption
from .judge import foreground, judge_colour
from .palette import COLOUR_NAMES, GEOMETRIC_SHAPES, IMAGE_SIZE, POSITION_NAMES, POSITIONS, SIZES, Background, ObjectSpec, SceneSpec
from .render import render

CASES = 24
SEED = 4321
MASK_MARGIN = 0.06  # fraction of the image added around the object's box


@dataclass(frozen=True)
class InpaintCase:
    before: SceneSpec
    after: SceneSpec  # same background and place, another colour and shape
    prompt: str
    seed: int

    @property
    def old(self) -> ObjectSpec:
        return self.before.objects[0]

    @property
    def new(self) -> ObjectSpec:
        return self.after.objects[0]


def cases(count: int = CASES, seed: int = SEED) -> list[InpaintCase]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        bg = Background(rng.choice(COLOUR_NAMES))
        free = [c for c in COLOUR_NAMES if c != bg.colour]
        old_colour, new_colour = rng.sample(free, 2)
        position = rng.choice(POSITION_NAMES)
        size = rng.choice(("medium", "large"))
        old_shape, new_shape = rng.sample(GEOMETRIC_SHAPES, 2)
        before = SceneSpec((ObjectSpec(size, old_colour, old_shape, position),), bg)
        after = SceneSpec((ObjectSpec(size, new_colour, new_shape, position),), bg)
        out.append(InpaintCase(before, after, caption(after, rng, drop=False), seed + i))
    return out


def object_box_mask(obj: ObjectSpec, size: int = IMAGE_SIZE) -> np.ndarray:
    """255 inside a square around the object (its box plus a margin), 0 elsewhere."""
    fx, fy = POSITIONS[obj.position]
    half = (SIZES[obj.size] / 2 + MASK_MARGIN) * size
    mask = np.zeros((size, size), np.uint8)
    x0, x1 = max(0, round(fx * size - half)), min(size, round(fx * size + half))
    y0, y1 = max(0, round(fy * size - half)), min(size, round(fy * size + half))
    mask[y0:y1, x0:x1] = 255
    return mask


def run_case(engine, model: str, case: InpaintCase, steps: int = 20, guidance: float = 7.5) -> dict:
    from studio.engine.request import GenerationRequest, MaskedContent, Mode

    init = render(case.before)
    mask = object_box_mask(case.old)
    request = GenerationRequest(
        prompt=case.prompt, model=model, mode=Mode.INPAINT, init_image=init, mask=mask,
        masked_content=MaskedContent.NOISE, steps=steps, cfg_scale=guidance, seed=case.seed, scheduler="Euler",
    )
    image = engine.generate(request)[0].image
    bg = case.after.background
    fg = foreground(image, bg)
    new_there = judge_colour(image, case.new, fg, bg)
    old_gone = not judge_colour(image, case.old, fg, bg)
    far = _far_from(mask, 8)
    outside_kept = bool(np.array_equal(image[far], init[far]))
    return {"image": image, "init": init, "mask": mask, "new_colour": new_there, "old_colour_gone": old_gone,
            "outside_unchanged": outside_kept}


def _far_from(mask: np.ndarray, distance: int) -> np.ndarray:
    """Pixels more than ``distance`` px outside the mask's bounding box (the blur reaches no further)."""
    ys, xs = np.nonzero(mask)
    far = np.ones(mask.shape, bool)
    far[max(0, ys.min() - distance):ys.max() + 1 + distance, max(0, xs.min() - distance):xs.max() + 1 + distance] = False
    return far


def inpaint_figures(engine, model: str, count: int = CASES, guidance: float = 7.5) -> tuple[dict, list[dict]]:
    results = [run_case(engine, model, c, guidance=guidance) for c in cases(count)]
    rate = lambda key: round(sum(r[key] for r in results) / max(1, len(results)), 4)  # noqa: E731
    figures = {
        "cases": len(results),
        "new_colour_in_mask": rate("new_colour"),
        "old_colour_gone": rate("old_colour_gone"),
        "outside_unchanged": rate("outside_unchanged"),
    }
    return figures, results
