"""What each model says about its training data and limits: studio models, the model picker."""

from __future__ import annotations

import json
import shutil

from studio.cli.main import main as cli
from studio.engine.model_card import NO_CARD, statement_from_card, training_statement

HF_CARD = """---
license: openrail
---
# Some model
A latent diffusion model.

## Training Data
Trained on **LAION-5B** subsets filtered for aesthetics; see [the paper](https://example.org).

## Limitations and Bias
- It cannot render legible text.
- It reflects the social biases of its web-scraped training data.

## Uses
Research.
"""


def test_card_sections_on_training_data_and_limits_are_the_statement():
    text = statement_from_card(HF_CARD)
    assert text.startswith("Trained on LAION-5B subsets filtered for aesthetics; see the paper.")
    assert "cannot render legible text" in text and "Research" not in text and "**" not in text


def test_the_starter_says_it_knows_only_synthetic_flat_colour_scenes():
    text = training_statement(None)
    assert "synthetic flat-colour scenes" in text and "No photographs, people" in text


def test_models_without_a_card_say_so(tiny_sd_dir, tmp_path):
    folder = tmp_path / "nocard"
    shutil.copytree(tiny_sd_dir, folder)
    (folder / "README.md").unlink(missing_ok=True)
    assert training_statement(str(folder)) == NO_CARD
    (folder / "README.md").write_text(HF_CARD)
    assert training_statement(str(folder)).startswith("Trained on LAION-5B")


def test_studio_models_shows_the_statement(studio_home, tiny_sd_dir, capsys):
    models = studio_home / "models"
    models.mkdir()
    shutil.copytree(tiny_sd_dir, models / "carded")
    (models / "carded" / "README.md").write_text(HF_CARD)
    assert cli(["models", "--json"]) == 0
    rows = {r["name"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert "synthetic flat-colour scenes" in rows["starter"]["training_data"]
    assert rows["carded"]["training_data"].startswith("Trained on LAION-5B")
    assert cli(["models"]) == 0
    assert "training data: Trained only on synthetic flat-colour scenes" in capsys.readouterr().out


def test_the_model_picker_tooltip_carries_it(qtbot):
    from studio.engine.models import list_models
    from studio.ui.params_panel import ParamsPanel

    panel = ParamsPanel()
    qtbot.addWidget(panel)
    panel._fill_models(list_models(), None)
    assert "synthetic flat-colour scenes" in panel.model.toolTip()
