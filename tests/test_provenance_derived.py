"""Provenance of tools' results: an upscale and a style transfer name their sources in signed Content
Credentials and say they are AI-made in XMP (trained for an upscaled txt2img, composite otherwise)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from provenance_tools import generated, scene

from studio.cli.main import main as cli
from studio.engine import provenance
from studio.engine.metadata.writing import encode_image
from studio.engine.provenance import verify
from studio.engine.provenance.source_type import COMPOSITE, TRAINED, read_source_type

pytest.importorskip("c2pa")


def _studio_txt2img(tmp_path):
    data, _ = provenance.encode_generated(generated(scene(48, 40)), "png", "made.png", provenance.GALLERY)
    path = tmp_path / "made.png"
    path.write_bytes(data)
    return path


def _photo(tmp_path):
    """An image Studio did not make: no XMP, no manifest."""
    path = tmp_path / "photo.png"
    path.write_bytes(encode_image(scene(48, 40), "png"))
    return path


def _upscale(path, out, capsys):
    assert cli(["upscale", str(path), "--scale", "2", "--out", str(out), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["path"]


def test_an_upscaled_studio_image_stays_trained_media_and_names_its_source(tmp_path, studio_home, capsys):
    src = _studio_txt2img(tmp_path)
    report = verify.verify_file(_upscale(src, tmp_path / "out", capsys))
    assert report.c2pa == "trusted"
    assert report.source_type == TRAINED
    assert any(i.startswith("made.png") for i in report.ingredients)
    assert "c2pa.opened" in report.actions[0]


def test_an_upscaled_photo_is_composite_media(tmp_path, studio_home, capsys):
    data = open(_upscale(_photo(tmp_path), tmp_path / "out", capsys), "rb").read()
    assert read_source_type(data) == COMPOSITE
    report = verify.verify_bytes(data, "x.png")
    assert report.c2pa == "trusted" and report.ai_made


def test_the_gallery_copy_of_an_upscale_is_signed_too(tmp_path, studio_home, capsys):
    from studio.library import Library

    assert cli(["upscale", str(_studio_txt2img(tmp_path)), "--scale", "2"]) == 0
    lib = Library.open()
    try:
        (entry,) = lib.list()
    finally:
        lib.close()
    report = verify.verify_file(entry.path)
    assert report.c2pa == "trusted" and report.source_type == TRAINED


def test_a_style_transfer_result_is_composite_with_content_and_style_as_ingredients(tmp_path, studio_home, capsys):
    content = _studio_txt2img(tmp_path)
    style_pixels = np.zeros((32, 32, 3), np.uint8)
    style_pixels[::4] = (250, 200, 0)
    style = tmp_path / "style.png"
    style.write_bytes(encode_image(style_pixels, "png"))
    out = tmp_path / "styled"
    assert cli(["style", str(content), str(style), "--steps", "2", "--size", "48", "--out", str(out), "--json"]) == 0
    path = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["path"]
    report = verify.verify_file(path)
    assert report.c2pa == "trusted"
    assert report.source_type == COMPOSITE
    assert {i.split(" (")[0] for i in report.ingredients} == {"content image", "style image"}
