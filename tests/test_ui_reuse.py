"""Issue 16: "reuse parameters" from a hostile file never raises and never selects a model that is not installed."""

from __future__ import annotations

import shutil

import pytest

from studio.engine.request import MAX_BATCH, MAX_CFG, MAX_SIZE, MAX_STEPS
from studio.ui.reuse import checked_params


@pytest.fixture
def params(qtbot):
    from studio.ui.params_panel import ParamsPanel

    panel = ParamsPanel()
    qtbot.addWidget(panel)
    return panel


HOSTILE = {
    "steps": 2**40, "batch_size": 2**31, "width": 2**31, "height": 2**70, "strength": 1e300,
    "cfg_scale": float("inf"), "mode": ["img2img"], "seed": 2**64, "scheduler": {"a": 1}, "model": "/etc/passwd",
}


def test_hostile_values_are_clamped_or_ignored(params):
    before = params.model_spec()
    notes = params.set_values(HOSTILE, from_file=True)
    assert params.steps.value() == MAX_STEPS and params.batch.value() == MAX_BATCH
    assert params.width_spin.value() <= MAX_SIZE and params.cfg.value() == MAX_CFG
    assert params.strength.value() == 100
    assert params.model_spec() == before
    text = "; ".join(notes)
    assert "'/etc/passwd' is not installed" in text and "seed" in text and "mode" in text and "scheduler" in text
    for bad in ({"strength": float("nan"), "steps": 2.5, "mode": {}}, {"width": -(2**80), "height": "64"}, []):
        params.set_values(bad, from_file=True)  # never raises


def test_a_hub_id_from_a_file_is_not_selected(params):
    before = params.model_spec()
    notes = params.set_values({"model": "someone/some-model", "steps": 12}, from_file=True)
    assert params.model_spec() == before and params.steps.value() == 12
    assert any("not installed" in n for n in notes)


def test_an_installed_model_named_by_a_file_is_selected(params, studio_home, tiny_sd_dir):
    shutil.copytree(tiny_sd_dir, studio_home / "models" / "tiny-one")
    assert params.set_values({"model": "tiny-one"}, from_file=True) == []
    assert params.model_spec() == str(studio_home / "models" / "tiny-one")


def test_checked_params_keeps_good_values():
    good = {"steps": 30, "cfg_scale": 6.5, "seed": 12, "width": 512, "height": 768, "scheduler": "Euler", "mode": "txt2img"}
    out, notes = checked_params(good)
    assert out == good and notes == []
