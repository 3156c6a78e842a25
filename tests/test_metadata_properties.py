"""Property tests (hypothesis): any JSON or text in any key gives typed, range-checked, strict-JSON metadata."""

from __future__ import annotations

import json
import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from studio.engine import metadata as md  # noqa: E402
from studio.engine.metadata.registry import INTERNAL_NOTE, read_sources  # noqa: E402
from studio.engine.metadata.sources import Sources  # noqa: E402
from studio.engine.metadata.values import MAX_SEED  # noqa: E402

KEYS = ["parameters", "studio", "prompt", "invokeai_metadata", "sd-metadata", "Dream", "Comment", "negative_prompt", "Software"]
FIELDS = ["prompt", "positive_prompt", "negative_prompt", "seed", "steps", "cfg_scale", "scale", "width", "height", "model", "sampler", "scheduler", "params", "format", "sui_image_params", "class_type", "inputs", "uc", "c", "image", "loras", "3", "fooocus_scheme", "metadata_scheme"]
leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.just("fooocus"), st.just("studio"), st.just("KSampler"), st.just(["3", 0]))
values = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=6)), max_leaves=25)


def _check(got: md.ImageMetadata) -> None:
    assert not [n for n in got.notes if n.startswith(INTERNAL_NOTE)], got.notes
    assert isinstance(got.prompt, str) and isinstance(got.negative_prompt, str)
    assert got.seed is None or (type(got.seed) is int and 0 <= got.seed <= MAX_SEED)
    assert got.steps is None or (type(got.steps) is int and 1 <= got.steps <= 10_000)
    assert got.cfg_scale is None or (isinstance(got.cfg_scale, float) and math.isfinite(got.cfg_scale))
    for name in ("model", "sampler", "scheduler", "model_hash"):
        assert getattr(got, name) is None or isinstance(getattr(got, name), str)
    json.dumps(got.to_json(), allow_nan=False).encode("utf-8")
    md.format_readable(got).encode("utf-8")
    got.a1111_text().encode("utf-8")
    got.to_params()


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(KEYS), value=values)
def test_any_json_in_any_key(key, value):
    raw = {key: json.dumps(value)}
    if isinstance(value, dict) and key == "studio":
        value.setdefault("format", "studio")
        raw[key] = json.dumps(value)
    _check(read_sources(Sources(raw=raw), md.ImageMetadata(width=8, height=8)))


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(KEYS), text=st.text(max_size=300))
def test_any_text_in_any_key(key, text):
    _check(read_sources(Sources(raw={key: text}), md.ImageMetadata()))
