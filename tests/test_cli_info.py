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


def test_info_refuses_a_fifo_with_one_line(capsys, tmp_path):
    import os

    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    assert cli(["info", str(fifo)]) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err and err.count("\n") == 1


def test_info_json_is_strict_for_hostile_values(capsys, tmp_path):
    from studio.engine.metadata.fuzz import png_with

    text = "a cat\nSteps: 1e308, Sampler: Euler, CFG scale: -Infinity, Seed: 18446744073709551615, Size: 128x-1"
    (tmp_path / "h.png").write_bytes(png_with({"parameters": text}))
    assert cli(["info", str(tmp_path / "h.png"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["seed"] == 2**64 - 1 and data["steps"] is None and data["cfg_scale"] is None and data["width"] == 8


def test_info_reads_text_of_an_image_over_the_pixel_limit(capsys, tmp_path):
    from studio.engine.metadata.fuzz import png_chunk

    from PIL import Image
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)  # 400 Mpx: over Pillow's limit, never decoded
    text = png_chunk(b"tEXt", b"parameters\0a huge cat\nSteps: 5, Sampler: Euler, Seed: 3")
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + text + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")
    (tmp_path / "big.png").write_bytes(data)
    assert 20000 * 20000 > 2 * Image.MAX_IMAGE_PIXELS
    assert cli(["info", str(tmp_path / "big.png")]) == 0
    out = capsys.readouterr().out
    assert "a huge cat" in out and "20000x20000" in out
