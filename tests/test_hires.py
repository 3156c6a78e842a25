"""Hires fix end to end through the CLI: native first pass, upscale, second pass; A1111's keys written and read."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import save_file

from studio.cli.main import main
from studio.engine.errors import InvalidRequest
from studio.engine.hires import HiresOptions
from studio.engine.metadata import read_metadata
from test_upscale import _realesr_general_x4v3_layout


def _generate(capsys, tiny_sd_dir, out, *extra):
    code = main(["generate", "a cat", "--model", str(tiny_sd_dir), "--steps", "2", "--seed", "5", "--out", str(out),
                 "--json", *extra])
    assert code == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("upscaler", ["Lanczos", "2x-user"])
def test_hires_fix_doubles_the_size_and_records_the_a1111_keys(tiny_sd_dir, tmp_path, studio_home, capsys, upscaler):
    folder = studio_home / "models" / "ESRGAN"
    folder.mkdir(parents=True)
    save_file(_realesr_general_x4v3_layout(8, 2, 2), str(folder / "2x-user.safetensors"))
    row = _generate(capsys, tiny_sd_dir, tmp_path / "out", "--hires-scale", "2", "--hires-denoise", "0.5",
                    "--hires-steps", "2", "--upscaler", upscaler)
    assert Image.open(row["path"]).size == (128, 128)  # the tiny model's native 64x64, x2
    md = read_metadata(row["path"])
    assert md.prompt == "a cat" and md.seed == 5
    p = md.parameters
    assert (p["Hires upscale"], p["Hires steps"], p["Hires upscaler"], p["Denoising strength"]) == (
        "2", "2", upscaler, "0.5")
    assert p["Size"] == "64x64"  # as A1111: the first pass's size
    # Reuse parameters reads the hires fix back: the options, and the first pass's size
    hires = md.to_params()["hires"]
    assert (hires["scale"], hires["denoise"], hires["steps"], hires["first_pass_size"]) == (2.0, 0.5, 2, [64, 64])
    assert md.width == 128  # the image's own size stays what the index shows


def test_an_a1111_hires_image_reads_as_a_hires_request(tmp_path):
    from studio.engine.metadata.writing import encode_image
    from studio.ui.reuse import checked_params

    path = tmp_path / "a1111.png"
    path.write_bytes(encode_image(np.zeros((16, 16, 3), np.uint8), "png",
                                  "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, "
                                  "Denoising strength: 0.7, Hires upscale: 2, Hires steps: 10, Hires upscaler: Latent"))
    params = read_metadata(path).to_params()
    assert (params["width"], params["height"]) == (512, 512)
    assert params["hires"] == {"scale": "2", "steps": "10", "upscaler": "Latent", "denoise": 0.7}
    checked, notes = checked_params({**params, "hires": {**params["hires"], "scale": "9", "steps": "x"}})
    assert checked["hires"] == {"scale": 4.0, "denoise": 0.7, "upscaler": "Latent"}
    assert any("hires scale" in n for n in notes) and any("hires steps" in n for n in notes)


def test_hires_options_are_validated_before_any_work(tiny_sd_dir, tmp_path, capsys):
    with pytest.raises(InvalidRequest):
        HiresOptions(scale=1.0)
    with pytest.raises(InvalidRequest):
        HiresOptions(scale=2, denoise=0)
    assert main(["generate", "a cat", "--model", str(tiny_sd_dir), "--hires-scale", "9", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Hires scale" in err[0]
