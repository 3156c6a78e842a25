"""``studio info``: readable and JSON output for every supported source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.cli.main import main as cli

DATA = Path(__file__).parent / "data" / "interop"


@pytest.mark.parametrize("name, source, seed", [("a1111.png", "a1111", 3141592653), ("a1111.jpg", "a1111", 3141592653), ("forge.webp", "a1111", 777), ("comfyui.png", "comfyui", 156680208700286), ("invokeai.png", "invokeai", 1234567)])
def test_info_json(name, source, seed, capsys):
    assert cli(["info", str(DATA / name), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one JSON object
    data = json.loads(out)
    assert data["source"] == source and data["seed"] == seed
    for key in ("prompt", "negative_prompt", "seed", "steps", "cfg_scale", "sampler", "width", "height", "model", "source"):
        assert key in data


def test_info_readable(capsys):
    assert cli(["info", str(DATA / "a1111.png")]) == 0
    out = capsys.readouterr().out
    assert "Prompt:" in out and "lighthouse" in out and "Negative prompt: lowres" in out
    assert "Seed:" in out and "3141592653" in out and "Lora hashes" in out


def test_info_plain_and_missing(capsys, tmp_path):
    assert cli(["info", str(DATA / "plain.png")]) == 0
    assert "No generation metadata" in capsys.readouterr().out
    assert cli(["info", str(tmp_path / "missing.png")]) == 1
    assert "No such image" in capsys.readouterr().err
