"""Renderer, palette and caption/split tests for the starter model (fast, no torch)."""
import random

import numpy as np

from studio.starter.captions import (
    HELD_OUT_COMBOS, caption, eval_set, is_held_out, sample_scene, vocabulary_words,
)
from studio.starter.palette import (
    COLOURS, IMAGE_SIZE, POSITION_NAMES, SHAPES, SIZE_NAMES, Background, ObjectSpec, SceneSpec,
)
from studio.starter.render import object_mask, render

SPEC_COLOURS = {
    "red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (245, 220, 30), "green": (40, 170, 60),
    "cyan": (30, 200, 220), "blue": (40, 70, 220), "purple": (140, 50, 180), "pink": (245, 130, 190),
    "white": (245, 245, 245), "black": (20, 20, 20), "brown": (130, 80, 40), "gray": (128, 128, 128),
}


def test_palette_matches_issue_spec():
    assert COLOURS == SPEC_COLOURS
    assert len(SHAPES) == 8 + 26 + 10
    assert set(POSITION_NAMES) == {"left", "right", "top", "bottom", "center", "top left", "top right",
                                   "bottom left", "bottom right"}
    assert SIZE_NAMES == ("small", "medium", "large")


def test_render_is_deterministic_and_128():
    rng = random.Random(3)
    for _ in range(20):
        s = sample_scene(rng)
        a, b = render(s), render(SceneSpec.from_dict(s.to_dict()))
        assert a.shape == (IMAGE_SIZE, IMAGE_SIZE, 3) and a.dtype == np.uint8
        assert np.array_equal(a, b)


def test_render_uses_exact_palette_colours():
    bg = Background("blue")
    for shape in SHAPES:
        obj = ObjectSpec("medium", "red", shape, "center")
        img = render(SceneSpec((obj,), bg))
        colours = {tuple(c) for c in img.reshape(-1, 3)}
        assert colours == {COLOURS["red"], COLOURS["blue"]}, shape
        assert object_mask(obj).sum() > 40, shape


def test_gradient_background_ends():
    img = render(SceneSpec((), Background("yellow", "green", "horizontal")))
    assert tuple(img[5, 0]) == COLOURS["yellow"] and tuple(img[5, -1]) == COLOURS["green"]
    img = render(SceneSpec((), Background("black", "white", "vertical")))
    assert tuple(img[0, 7]) == COLOURS["black"] and tuple(img[-1, 7]) == COLOURS["white"]


def test_object_positions():
    for pos, (fx, fy) in {"top left": (0.22, 0.22), "bottom right": (0.78, 0.78), "center": (0.5, 0.5)}.items():
        m = object_mask(ObjectSpec("small", "red", "square", pos))
        ys, xs = np.nonzero(m)
        assert abs(xs.mean() / IMAGE_SIZE - fx) < 0.02 and abs(ys.mean() / IMAGE_SIZE - fy) < 0.02


def test_caption_variety():
    rng = random.Random(0)
    scene = SceneSpec((ObjectSpec("large", "red", "star", "left"),), Background("blue"))
    texts = {caption(scene, rng, drop=False) for _ in range(200)}
    assert len(texts) > 40
    assert all("red" in t and "star" in t and "blue" in t for t in texts)
    dropped = [caption(scene, rng, drop=True) for _ in range(300)]
    assert any("large" not in t for t in dropped) and any("blue" not in t for t in dropped)
    assert any("on the left" in t for t in texts) and any("at the left side" in t for t in texts)


def test_letter_and_digit_phrases():
    rng = random.Random(1)
    t = caption(SceneSpec((ObjectSpec("small", "green", "Q", "top"),), Background("white")), rng, drop=False)
    assert "letter Q" in t
    t = caption(SceneSpec((ObjectSpec("small", "green", "7", "top"),), Background("white")), rng, drop=False)
    assert "digit 7" in t or "number 7" in t


def test_held_out_split_is_disjoint():
    assert 0.05 < len(HELD_OUT_COMBOS) / (12 * len(SHAPES) * 9) < 0.15
    rng = random.Random(5)
    for _ in range(2000):
        s = sample_scene(rng, "train")
        assert not any(is_held_out(o.combo()) for o in s.objects)
        assert all(o.colour not in s.background.colours() for o in s.objects)
    ev = eval_set()
    assert len(ev) == 200
    assert all(is_held_out(s.objects[0].combo()) for _, s in ev)
    assert sum(len(s.objects) == 2 for _, s in ev) == 80
    assert eval_set() == ev  # fixed


def test_vocabulary_covers_palette():
    words = set(vocabulary_words())
    assert set(COLOURS) <= words and {"circle", "heart", "gradient", "left", "letter", "digit"} <= words
