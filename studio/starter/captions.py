"""Scene sampling, varied captions and the held-out combination split.

A scene is sampled completely first (every attribute has a value); the
caption then describes it in one of many phrasings and, for training, may
leave parts out. Whatever a caption leaves out was still sampled, so the model
learns that unspecified attributes vary.

Held-out split: a fixed ~10% of (colour, shape, position) triples never occur
in any training scene. The evaluation captions all contain at least one of
them, so evaluation measures composition, not memorisation.
"""
from __future__ import annotations

import hashlib
import math
import random

from .palette import (
    COLOUR_NAMES, DIRECTIONS, GEOMETRIC_SHAPES, LETTERS, POSITION_NAMES, POSITIONS, SHAPES,
    SIZE_NAMES, SIZES, Background, ObjectSpec, SceneSpec, is_glyph,
)

HELD_OUT_PERCENT = 10
EVAL_SEED = 20260325
EVAL_COUNT = 200


def is_held_out(combo: tuple[str, str, str]) -> bool:
    """Stable (process-independent) membership test for the held-out triples."""
    digest = hashlib.sha256("|".join(combo).encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


HELD_OUT_COMBOS: frozenset = frozenset(
    (c, s, p) for c in COLOUR_NAMES for s in SHAPES for p in POSITION_NAMES if is_held_out((c, s, p))
)


# ---------------------------------------------------------------- sampling
def _sample_shape(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return rng.choice(GEOMETRIC_SHAPES)
    return rng.choice(SHAPES[len(GEOMETRIC_SHAPES):])


def _sample_background(rng: random.Random) -> Background:
    if rng.random() < 0.55:
        return Background(rng.choice(COLOUR_NAMES))
    c1, c2 = rng.sample(COLOUR_NAMES, 2)
    return Background(c1, c2, rng.choice(DIRECTIONS))


def _far_enough(a: ObjectSpec, b: ObjectSpec) -> bool:
    (ax, ay), (bx, by) = POSITIONS[a.position], POSITIONS[b.position]
    dist = math.hypot(ax - bx, ay - by)
    return dist >= 0.5 * (SIZES[a.size] + SIZES[b.size]) * 0.95


def sample_object(rng: random.Random, bg: Background, position: str | None = None) -> ObjectSpec:
    colour = rng.choice([c for c in COLOUR_NAMES if c not in bg.colours()])
    return ObjectSpec(rng.choice(SIZE_NAMES), colour, _sample_shape(rng), position or rng.choice(POSITION_NAMES))


def sample_scene(rng: random.Random, split: str = "train", n_objects: int | None = None) -> SceneSpec:
    """Sample a full scene. split='train' never uses a held-out triple."""
    n = n_objects or (1 if rng.random() < 0.55 else 2)
    while True:
        bg = _sample_background(rng)
        objs = [sample_object(rng, bg)]
        while len(objs) < n:
            o = sample_object(rng, bg)
            if o.position != objs[0].position and _far_enough(o, objs[0]):
                objs.append(o)
        if split == "train" and any(o.combo() in HELD_OUT_COMBOS for o in objs):
            continue
        return SceneSpec(tuple(objs), bg)


def sample_eval_scene(rng: random.Random, n_objects: int) -> SceneSpec:
    """A scene whose first object is a held-out (colour, shape, position) triple."""
    combos = sorted(HELD_OUT_COMBOS)
    while True:
        colour, shape, position = rng.choice(combos)
        bg = _sample_background(rng)
        if colour in bg.colours():
            continue
        first = ObjectSpec(rng.choice(SIZE_NAMES), colour, shape, position)
        objs = [first]
        while len(objs) < n_objects:
            o = sample_object(rng, bg)
            if o.position != first.position and _far_enough(o, first):
                objs.append(o)
        return SceneSpec(tuple(objs), bg)


# ---------------------------------------------------------------- phrasing
_POS_PHRASES = {
    "center": ["in the center", "in the middle", "at the center", "in the centre", "centered"],
    "left": ["on the left", "at the left side", "on the left side", "to the left", "at the left"],
    "right": ["on the right", "at the right side", "on the right side", "to the right", "at the right"],
    "top": ["at the top", "at the top side", "on top", "at the top center", "near the top"],
    "bottom": ["at the bottom", "at the bottom side", "on the bottom", "at the bottom center", "near the bottom"],
    "top left": ["at the top left", "in the top left", "in the top left corner", "in the upper left", "top left"],
    "top right": ["at the top right", "in the top right", "in the top right corner", "in the upper right", "top right"],
    "bottom left": ["at the bottom left", "in the bottom left", "in the bottom left corner", "in the lower left", "bottom left"],
    "bottom right": ["at the bottom right", "in the bottom right", "in the bottom right corner", "in the lower right", "bottom right"],
}


def _shape_word(shape: str, rng: random.Random) -> str:
    if not is_glyph(shape):
        return shape
    if shape in LETTERS:
        return rng.choice(["letter", "letter", "capital letter"]) + " " + shape
    return rng.choice(["digit", "number"]) + " " + shape


def _article(next_word: str, rng: random.Random, definite_ok: bool = True) -> str:
    r = rng.random()
    if r < 0.12 and definite_ok:
        return "the "
    if r < 0.2:
        return ""
    return "an " if next_word[0] in "aeiou" else "a "


def object_phrase(o: ObjectSpec, rng: random.Random, keep: dict) -> str:
    shape = _shape_word(o.shape, rng) if keep["shape"] else rng.choice(["shape", "object", "thing"])
    size = o.size if keep["size"] else None
    colour = o.colour if keep["colour"] else None
    style = rng.random()
    if colour and style < 0.15:
        words = " ".join(w for w in (size, shape) if w) + rng.choice([" colored ", " in ", " that is "]) + colour
    elif size and colour and style < 0.25:
        words = f"{colour} {size} {shape}"
    else:
        words = " ".join(w for w in (size, colour, shape) if w)
    return _article(words, rng) + words


def position_phrase(position: str, rng: random.Random) -> str:
    return rng.choice(_POS_PHRASES[position])


def background_phrase(bg: Background, rng: random.Random, keep_direction: bool) -> str:
    if not bg.is_gradient:
        c = bg.colour
        return rng.choice([
            f"on a {c} background", f"{c} background", f"background: {c}", f"with a {c} background",
            f"on {c}", f"the background is {c}", f"against a plain {c} background",
        ])
    c1, c2 = bg.colour, bg.colour2
    d = (bg.direction + " ") if keep_direction else ""
    return rng.choice([
        f"{c1} to {c2} {d}gradient background", f"on a {d}gradient from {c1} to {c2}",
        f"background: {d}gradient {c1} to {c2}", f"with a {c1} to {c2} {d}gradient background",
        f"{d}gradient background from {c1} to {c2}",
    ])


def caption(scene: SceneSpec, rng: random.Random, drop: bool = True) -> str:
    """Describe a scene. With drop=True some attributes may be left out."""
    parts = []
    for o in scene.objects:
        keep = {
            "size": not (drop and rng.random() < 0.3),
            "colour": not (drop and rng.random() < 0.1),
            "shape": not (drop and rng.random() < 0.05),
        }
        obj = object_phrase(o, rng, keep)
        if drop and rng.random() < 0.15:
            parts.append(obj)
        elif rng.random() < 0.25:
            pos = position_phrase(o.position, rng)
            parts.append(f"{pos}, {obj}" if rng.random() < 0.5 else f"{pos} {obj}")
        else:
            parts.append(f"{obj} {position_phrase(o.position, rng)}")
    joiner = rng.choice([" and ", ", ", " and ", " with ", "; "])
    text = joiner.join(parts)
    if not (drop and rng.random() < 0.2):
        keep_dir = (not drop) or rng.random() < 0.4
        bgp = background_phrase(scene.background, rng, keep_dir)
        r = rng.random()
        if r < 0.15:
            text = f"{bgp}, {text}"
        elif r < 0.3:
            text = f"{text}. {bgp}"
        else:
            text = f"{text}, {bgp}"
    if rng.random() < 0.1:
        text = rng.choice(["a picture of ", "an image of ", "flat illustration: ", "draw "]) + text
    return text


def eval_set(count: int = EVAL_COUNT, seed: int = EVAL_SEED) -> list[tuple[str, SceneSpec]]:
    """The fixed held-out evaluation prompts: 60% one object, 40% two objects."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        n = 2 if i % 5 >= 3 else 1
        scene = sample_eval_scene(rng, n)
        out.append((caption(scene, rng, drop=False), scene))
    return out


def vocabulary_words() -> list[str]:
    """Every word the caption generator can produce (for the tokenizer)."""
    rng = random.Random(0)
    words: set[str] = set()
    for _ in range(20000):
        sc = sample_scene(rng)
        for w in _split_words(caption(sc, rng, drop=rng.random() < 0.5)):
            words.add(w)
    for phrases in _POS_PHRASES.values():
        for p in phrases:
            words.update(_split_words(p))
    words.update(COLOUR_NAMES)
    words.update(s.lower() for s in SHAPES)
    words.update(SIZE_NAMES)
    words.update(DIRECTIONS)
    return sorted(words)


def _split_words(text: str) -> list[str]:
    import re
    return re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]", text.lower())
