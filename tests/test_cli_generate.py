"""``studio generate`` end to end: files, metadata, gallery, JSON lines, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_generate_writes_pngs_with_metadata_and_json(tiny_sd_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["generate", "a red star", "--negative", "blurry", "--model", str(tiny_sd_dir), "--steps", "3",
                 "--seed", "42", "--batch", "2", "--scheduler", "DPM++ 2M Karras", "--cfg", "5.5", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = _json_lines(captured.out)
    assert [r["seed"] for r in rows] == [42, 43]
    for row in rows:
        assert {"path", "seed", "steps", "width", "height", "model"} <= row.keys()
        assert Path(row["path"]).parent == out.resolve()
        assert row["steps"] == 3 and row["width"] == 64 and row["height"] == 64
        assert row["model"] == tiny_sd_dir.name
    params = Image.open(rows[0]["path"]).text["parameters"]
    assert params.startswith("a red star\nNegative prompt: blurry\nSteps: 3, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5.5, Seed: 42, Size: 64x64")
    # studio info reads back what generate wrote.
    assert main(["info", rows[1]["path"], "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["prompt"] == "a red star" and info["negative_prompt"] == "blurry"
    assert info["seed"] == 43 and info["steps"] == 3 and info["cfg_scale"] == 5.5
    assert info["width"] == 64 and info["height"] == 64 and info["source"] == "studio"


def test_studio_json_reproduces_the_image_exactly(tiny_sd_dir, tmp_path, capsys):
    from studio.engine.generator import Engine
    from studio.engine.metadata import read_metadata
    from studio.engine.request import GenerationRequest

    assert main(["generate", "a (blue:1.3) ring", "--model", str(tiny_sd_dir), "--steps", "4", "--out", str(tmp_path), "--json"]) == 0
    row = _json_lines(capsys.readouterr().out)[0]
    md = read_metadata(row["path"])
    request = GenerationRequest.from_params(md.studio["params"])
    again = Engine().generate(request)[0]
    assert np.array_equal(again.image, np.asarray(Image.open(row["path"]).convert("RGB")))


def test_generate_without_out_goes_to_the_gallery(tiny_sd_dir, studio_home, capsys):
    assert main(["generate", "a green heart", "--model", str(tiny_sd_dir), "--steps", "2", "--seed", "5", "--json"]) == 0
    row = _json_lines(capsys.readouterr().out)[0]
    assert Path(row["path"]).is_file() and str(studio_home) in row["path"]
    assert main(["gallery", "search", "heart", "--json"]) == 0
    found = _json_lines(capsys.readouterr().out)
    assert [f["seed"] for f in found] == [5]


def test_img2img_and_inpaint_from_files(tiny_sd_dir, tmp_path, capsys):
    init = np.zeros((64, 64, 3), np.uint8)
    init[:, :, 0] = 200
    Image.fromarray(init).save(tmp_path / "init.png")
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["generate", "blue", "--model", str(tiny_sd_dir), "--init", str(tmp_path / "init.png"),
                 "--strength", "0.5", "--steps", "4", "--out", str(tmp_path / "a"), "--json"]) == 0
    assert _json_lines(capsys.readouterr().out)[0]["mode"] == "img2img"
    assert main(["generate", "blue", "--model", str(tiny_sd_dir), "--init", str(tmp_path / "init.png"),
                 "--mask", str(tmp_path / "mask.png"), "--steps", "4", "--out", str(tmp_path / "b"), "--json"]) == 0
    row = _json_lines(capsys.readouterr().out)[0]
    result = np.asarray(Image.open(row["path"]).convert("RGB"))
    assert np.array_equal(result[:8], init[:8])  # far outside the mask: untouched
    assert Path(row["path"]).with_name(Path(row["path"]).stem + ".mask.png").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["generate", "x", "--model", "/no/such/model"], "No model named"),
        (["generate", "x", "--width", "7"], "at least 16"),
        (["generate", "x", "--steps", "500"], "steps must be between 1 and 150"),
        (["generate", "x", "--strength", "2", "--init", "IMG"], "Strength must be between 0 and 1"),
        (["generate", "x", "--init", "/no/such.png"], "No image at"),
        (["generate", "x", "--init", "BROKEN"], "damaged"),
        (["generate", "x", "--mask", "IMG"], "--mask needs --init"),
        (["generate", "x", "--scheduler", "Warp 9"], "Unknown scheduler"),
        (["generate", ""], "Write a prompt"),
        (["generate", "x", "--model", "CORRUPT"], "Could not load"),
        (["info", "/no/such.png"], "No"),
    ],
)
def test_bad_input_is_one_line_without_traceback(argv, message, tmp_path, capsys, tiny_sd_dir):
    img = tmp_path / "ok.png"
    Image.new("RGB", (64, 64)).save(img)
    broken = tmp_path / "broken.png"
    broken.write_bytes(img.read_bytes()[:60])
    corrupt = tmp_path / "corrupt"
    if "CORRUPT" in argv:
        import shutil

        shutil.copytree(tiny_sd_dir, corrupt)
        weights = corrupt / "unet" / "diffusion_pytorch_model.safetensors"
        weights.write_bytes(weights.read_bytes()[:1000])
    argv = [{"IMG": str(img), "BROKEN": str(broken), "CORRUPT": str(corrupt)}.get(a, a) for a in argv]
    if "--model" not in argv and argv[0] == "generate":
        argv += ["--model", str(tiny_sd_dir)]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("studio: error: ") and message in lines[-1], err


def test_no_model_installed_is_explained(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_RESOURCES", str(tmp_path / "empty"))
    assert main(["generate", "a red star"]) == 1
    assert "No model is installed" in capsys.readouterr().err


def test_hub_repo_offline_gives_clear_error_without_network(capsys):
    assert main(["generate", "x", "--model", "someone/some-model"]) == 1
    err = capsys.readouterr().err
    assert "No network" in err and "someone/some-model" in err


def test_pickle_weights_are_refused_unless_allowed(tiny_sd_dir, tmp_path, capsys):
    import shutil

    import torch
    from safetensors.torch import load_file

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_sd_dir, folder)
    unet = folder / "unet"
    torch.save(load_file(unet / "diffusion_pytorch_model.safetensors"), unet / "diffusion_pytorch_model.bin")
    (unet / "diffusion_pytorch_model.safetensors").unlink()
    assert main(["generate", "x", "--model", str(folder), "--steps", "1", "--out", str(tmp_path / "o")]) == 1
    assert "pickle" in capsys.readouterr().err
    assert main(["generate", "x", "--model", str(folder), "--steps", "1", "--out", str(tmp_path / "o"), "--allow-pickle"]) == 0


def test_ckpt_single_file_refused_and_safetensors_needs_family_config(tmp_path, capsys):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(b"not really a pickle")
    assert main(["generate", "x", "--model", str(ckpt)]) == 1
    assert "pickle checkpoint" in capsys.readouterr().err
    from safetensors.torch import save_file
    import torch

    single = tmp_path / "sdxl-like.safetensors"
    save_file({"conditioner.embedders.1.model.x": torch.zeros(1)}, single)
    assert main(["generate", "x", "--model", str(single)]) == 1
    assert "config folder" in capsys.readouterr().err


def test_real_entry_point_in_a_subprocess(tiny_sd_dir, tmp_path, studio_home):
    env = dict(os.environ, STUDIO_HOME=str(studio_home), HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "studio", "generate", "a cat", "--model", str(tiny_sd_dir), "--steps", "2",
         "--seed", "9", "--out", str(tmp_path), "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["seed"] == 9
    assert "2/2" in proc.stderr  # the progress bar reached the last step
    bad = subprocess.run([sys.executable, "-m", "studio", "generate", "x", "--steps", "0", "--model", str(tiny_sd_dir)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1].startswith("studio: error:")
    assert "Traceback" not in bad.stderr
