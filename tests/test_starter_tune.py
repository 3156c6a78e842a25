"""tune-cfg: the recommended CFG is chosen on the tuning prompts and stored with the model."""

from __future__ import annotations

import json
import shutil

from studio.engine.model_defaults import read_defaults
from studio.starter.captions import eval_set
from studio.starter.tune import TUNING_FILE, tune_guidance, tuning_set


def test_the_tuning_prompts_are_not_the_evaluation_prompts():
    assert not {p for p, _ in tuning_set(100)} & {p for p, _ in eval_set()}


def test_tune_writes_the_best_scale_as_the_models_default(tiny_sd_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_sd_dir, folder)
    result = tune_guidance(folder, count=2, candidates=(1.0, 4.0), threads=None, log=lambda _: None)
    table = result["by_guidance"]
    assert set(table) == {"1.0", "4.0"} and result["prompts"] == 2
    best = max(table.values(), key=lambda r: r["adherence"])["adherence"]
    assert table[str(result["chosen"])]["adherence"] == best
    assert read_defaults(folder).cfg_scale == result["chosen"]
    assert read_defaults(folder).scheduler == "Euler" and read_defaults(folder).steps == 20
    assert json.loads((folder / TUNING_FILE).read_text())["chosen"] == result["chosen"]

    from studio.starter.model_card import write_model_card

    write_model_card(folder)
    card = (folder / "README.md").read_text()
    assert "Recommended settings (`studio_defaults.json`" in card and f"CFG {result['chosen']}" in card
    assert "| CFG | adherence | two-object prompts | shape |" in card
