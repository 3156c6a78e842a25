"""The starter model's adherence judge on exact renders (right and deliberately wrong)."""
import dataclasses

import numpy as np

from studio.starter.captions import eval_set
from studio.starter.judge import judge, summarise
from studio.starter.palette import COLOUR_NAMES, POSITION_NAMES, Background, ObjectSpec, SceneSpec
from studio.starter.render import render

ITEMS = eval_set()[:60]


def test_correct_renders_are_judged_correct():
    scenes = [s for _, s in ITEMS]
    result = summarise([judge(render(s), s) for s in scenes], scenes)
    assert result["adherence"] >= 0.98
    assert result["background"] == 1.0
    assert result["shape"] >= 0.95
    assert result["adherence_two_objects"] >= 0.95


def _other_colour(obj: ObjectSpec, bg: Background) -> str:
    return next(c for c in COLOUR_NAMES if c != obj.colour and c not in bg.colours())


def test_wrong_colour_is_judged_wrong():
    wrong = 0
    for _, s in ITEMS:
        o = s.objects[0]
        bad = SceneSpec((dataclasses.replace(o, colour=_other_colour(o, s.background)),) + s.objects[1:], s.background)
        v = judge(render(bad), s)
        wrong += not v.adherent
        assert v.background
    assert wrong == len(ITEMS)


def test_wrong_position_and_background_are_judged_wrong():
    n_pos = 0
    for _, s in ITEMS:
        o = s.objects[0]
        others = {x.position for x in s.objects}
        far = next(p for p in POSITION_NAMES[::-1] if p not in others and p != o.position)
        moved = SceneSpec((dataclasses.replace(o, position=far, size="small"),) + s.objects[1:], s.background)
        n_pos += not judge(render(moved), s).colours[0]
        bg = s.background
        new_bg = Background(next(c for c in COLOUR_NAMES if c not in bg.colours() and c not in {x.colour for x in s.objects}))
        assert not judge(render(SceneSpec(s.objects, new_bg)), s).background
    assert n_pos >= 0.9 * len(ITEMS)


def test_blank_image_fails():
    _, s = ITEMS[0]
    blank = np.full((128, 128, 3), 128, np.uint8)
    v = judge(blank, s)
    assert not v.adherent
