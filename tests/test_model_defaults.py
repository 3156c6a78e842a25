"""A model's recommended settings (studio_defaults.json): read, validated, and used by the CLI."""

from __future__ import annotations

import json
import shutil

import pytest

from studio.cli.main import main
from studio.engine.model_defaults import DEFAULTS_FILE, ModelDefaults, read_defaults, write_defaults
from studio.engine.models import defaults_for


@pytest.fixture
def recommending_model(tiny_sd_dir, tmp_path):
    folder = tmp_path / "tiny-recommends"
    shutil.copytree(tiny_sd_dir, folder)
    write_defaults(folder, ModelDefaults(cfg_scale=2.5, steps=3, scheduler="Euler"))
    return folder


def test_defaults_round_trip_and_describe(tmp_path):
    write_defaults(tmp_path, ModelDefaults(cfg_scale=2.0, steps=20, scheduler="Euler"))
    got = read_defaults(tmp_path)
    assert got == ModelDefaults(2.0, 20, "Euler")
    assert got.as_params() == {"cfg_scale": 2.0, "steps": 20, "scheduler": "Euler"}
    assert got.describe() == "CFG 2.0, 20 steps, Euler"
    assert read_defaults(tmp_path / "elsewhere") == ModelDefaults()
    assert read_defaults(None).as_params() == {}


@pytest.mark.parametrize("content", ["{broken", "[1, 2]", '"text"', ""])
def test_a_broken_file_is_ignored(tmp_path, content):
    (tmp_path / DEFAULTS_FILE).write_text(content)
    assert read_defaults(tmp_path) == ModelDefaults()


def test_out_of_range_or_unknown_values_are_dropped_one_by_one(tmp_path):
    import logging

    from studio.engine import model_defaults

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    # not caplog: earlier suites' libraries reconfigure logging (a disabled logger, a global level)
    was_disabled, global_level = model_defaults.log.disabled, logging.root.manager.disable
    model_defaults.log.disabled = False
    logging.disable(logging.NOTSET)
    model_defaults.log.addHandler(handler)
    try:
        (tmp_path / DEFAULTS_FILE).write_text(json.dumps({"cfg_scale": 99, "steps": 12, "scheduler": "Magic", "x": 1}))
        assert read_defaults(tmp_path) == ModelDefaults(steps=12)
    finally:
        model_defaults.log.removeHandler(handler)
        model_defaults.log.disabled = was_disabled
        logging.disable(global_level)
    text = " ".join(r.getMessage() for r in records)
    assert "cfg_scale" in text and "Magic" in text
    (tmp_path / DEFAULTS_FILE).write_text(json.dumps({"cfg_scale": True, "steps": 2.5}))
    assert read_defaults(tmp_path) == ModelDefaults()


def test_single_files_and_folders_without_a_file_have_none(tiny_sd_dir):
    assert defaults_for(str(tiny_sd_dir)) == ModelDefaults()


def test_cli_starts_from_the_models_recommendation(recommending_model, tmp_path, capsys):
    assert main(["generate", "a red star", "--model", str(recommending_model), "--seed", "1",
                 "--out", str(tmp_path / "a"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["cfg_scale"], row["steps"], row["scheduler"]) == (2.5, 3, "Euler")
    # what the user types wins
    assert main(["generate", "a red star", "--model", str(recommending_model), "--seed", "1", "--cfg", "6",
                 "--steps", "2", "--scheduler", "DDIM", "--out", str(tmp_path / "b"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["cfg_scale"], row["steps"], row["scheduler"]) == (6.0, 2, "DDIM")


def test_cli_without_a_recommendation_keeps_the_usual_defaults(tiny_sd_dir, tmp_path, capsys):
    assert main(["generate", "a red star", "--model", str(tiny_sd_dir), "--steps", "2", "--out", str(tmp_path),
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["cfg_scale"] == 7.0 and row["scheduler"] == "Euler a"


def test_loaded_model_info_carries_the_recommendation(recommending_model):
    from studio.engine.generator import Engine

    info = Engine().load(str(recommending_model))
    assert info.defaults == ModelDefaults(2.5, 3, "Euler")


def test_studio_models_lists_each_models_recommendation(recommending_model, tiny_sd_dir, studio_home, capsys):
    models = studio_home / "models"
    models.mkdir(exist_ok=True)
    shutil.copytree(recommending_model, models / "recommends")
    shutil.copytree(tiny_sd_dir, models / "plain")
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["recommends"]["recommended"] == {"cfg_scale": 2.5, "steps": 3, "scheduler": "Euler"}
    assert "recommended" not in rows["plain"]
    assert main(["models"]) == 0
    assert "(recommended: CFG 2.5, 3 steps, Euler)" in capsys.readouterr().out
