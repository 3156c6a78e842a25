"""Upscaling: the compact generator's layout, tiled inference, loading rules and the CLI."""

from __future__ import annotations

import json
import pickle
import threading

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from studio.cli.main import main
from studio.engine.errors import GenerationCancelled, ModelLoadError, UnsafeModelFile
from studio.engine.upscale import models
from studio.engine.upscale.compact import SRVGGNetCompact, from_state_dict
from studio.engine.upscale.tiling import upscale_array


def _realesr_general_x4v3_layout(feat: int = 64, convs: int = 32, scale: int = 4) -> dict:
    """Random weights with the key names and shapes of Real-ESRGAN's realesr-general-x4v3.pth."""
    g = torch.Generator().manual_seed(0)
    state = {"body.0.weight": torch.randn(feat, 3, 3, 3, generator=g) * 0.05, "body.0.bias": torch.zeros(feat),
             "body.1.weight": torch.full((feat,), 0.25)}
    for i in range(convs):
        state[f"body.{2 + 2 * i}.weight"] = torch.randn(feat, feat, 3, 3, generator=g) * 0.02
        state[f"body.{2 + 2 * i}.bias"] = torch.zeros(feat)
        state[f"body.{3 + 2 * i}.weight"] = torch.full((feat,), 0.25)
    last = 2 + 2 * convs
    state[f"body.{last}.weight"] = torch.randn(3 * scale * scale, feat, 3, 3, generator=g) * 0.02
    state[f"body.{last}.bias"] = torch.zeros(3 * scale * scale)
    return state


def test_a_real_esrgan_compact_layout_loads_with_its_shape_read_from_the_weights():
    model = from_state_dict(_realesr_general_x4v3_layout())
    assert (model.num_feat, model.num_conv, model.upscale) == (64, 32, 4)
    out = model(torch.rand(1, 3, 8, 12))
    assert out.shape == (1, 3, 32, 48)
    x2 = from_state_dict(_realesr_general_x4v3_layout(feat=16, convs=4, scale=2))
    assert (x2.num_feat, x2.num_conv, x2.upscale) == (16, 4, 2)


def test_saved_state_dict_keeps_the_original_key_names():
    keys = list(SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).state_dict())
    assert keys == ["body.0.weight", "body.0.bias", "body.1.weight", "body.2.weight", "body.2.bias", "body.3.weight",
                    "body.4.weight", "body.4.bias", "body.5.weight", "body.6.weight", "body.6.bias"]


@pytest.fixture
def small_model():
    torch.manual_seed(0)
    return SRVGGNetCompact(num_feat=8, num_conv=4, upscale=2).eval()


def test_tiled_output_matches_untiled(small_model):
    rng = np.random.default_rng(1)
    image = (rng.random((70, 90, 3)) * 255).astype(np.uint8)
    whole = upscale_array(small_model, image, 2, tile=0)
    tiled = upscale_array(small_model, image, 2, tile=32, overlap=12)
    assert whole.shape == tiled.shape == (140, 180, 3)
    diff = np.abs(whole.astype(int) - tiled.astype(int))
    assert diff.max() <= 1  # the overlap covers the receptive field: only rounding differs


def test_tiles_report_progress_and_cancel_between_tiles(small_model):
    image = np.zeros((64, 64, 3), np.uint8)
    seen = []
    upscale_array(small_model, image, 2, tile=32, overlap=8, on_tile=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] == len(seen) >= 4
    cancel = threading.Event()
    with pytest.raises(GenerationCancelled):
        upscale_array(small_model, image, 2, tile=32, overlap=8, on_tile=lambda d, t: cancel.set(), cancel=cancel)


def _user_upscaler(studio_home, name: str, state: dict):
    folder = studio_home / "models" / "ESRGAN"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if name.endswith(".safetensors"):
        save_file(state, str(path))
    else:
        torch.save({"params_ema": state}, path)
    return path


def test_user_safetensors_upscaler_is_listed_and_loaded(studio_home):
    _user_upscaler(studio_home, "4x-compact.safetensors", _realesr_general_x4v3_layout(16, 4, 4))
    assert "4x-compact" in [u.name for u in models.list_upscalers()]
    loaded = models.load("4x-compact", 4)
    assert loaded.scale == 4 and loaded.architecture == "SRVGGNetCompact"


def test_a_pickle_upscaler_is_refused_unless_allowed_then_loaded_weights_only(studio_home):
    _user_upscaler(studio_home, "4x-old.pth", _realesr_general_x4v3_layout(16, 4, 4))
    with pytest.raises(UnsafeModelFile, match="pickle"):
        models.load("4x-old", 4)
    assert models.load("4x-old", 4, allow_pickle=True).scale == 4


class _Payload:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle code ran')",))


def test_a_malicious_pickle_never_runs_even_when_allowed(studio_home):
    folder = studio_home / "models" / "ESRGAN"
    folder.mkdir(parents=True)
    (folder / "evil.pth").write_bytes(pickle.dumps({"params": _Payload()}))
    with pytest.raises(ModelLoadError, match="weights-only"):
        models.load("evil", 4, allow_pickle=True)


def test_another_architecture_without_spandrel_is_one_clear_error(studio_home, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "spandrel", None)  # as on a machine without it
    _user_upscaler(studio_home, "4x-rrdb.safetensors", {"model.0.weight": torch.zeros(4, 3, 3, 3),
                                                         "model.1.sub.0.RDB1.conv1.0.weight": torch.zeros(4, 4, 3, 3)})
    with pytest.raises(ModelLoadError, match="spandrel"):
        models.load("4x-rrdb", 4)


def _source_image(tmp_path):
    from studio.engine.metadata.writing import encode_image

    pixels = np.zeros((40, 48, 3), np.uint8)
    pixels[10:30, 12:36] = (220, 30, 30)
    text = "a red square\nSteps: 20, Sampler: Euler, CFG scale: 1.5, Seed: 7, Size: 48x40, Model: starter"
    path = tmp_path / "src.png"
    path.write_bytes(encode_image(pixels, "png", text))
    return path


def test_cli_upscale_to_a_folder_keeps_the_source_metadata_and_records_the_upscale(tmp_path, studio_home, capsys):
    _user_upscaler(studio_home, "2x-test.safetensors", _realesr_general_x4v3_layout(8, 2, 2))
    src = _source_image(tmp_path)
    out = tmp_path / "out"
    assert main(["upscale", str(src), "--scale", "2", "--model", "2x-test", "--out", str(out), "--json"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (row["width"], row["height"], row["upscaler"]) == (96, 80, "2x-test")
    from studio.engine.metadata import read_metadata

    md = read_metadata(row["path"])
    assert md.prompt == "a red square" and md.seed == 7
    assert md.parameters.get("Postprocess upscale by") == "2"
    assert md.parameters.get("Postprocess upscaler") == "2x-test"
    assert Image.open(row["path"]).size == (96, 80)


def test_cli_upscale_into_the_gallery(tmp_path, studio_home, capsys):
    _user_upscaler(studio_home, "2x-test.safetensors", _realesr_general_x4v3_layout(8, 2, 2))
    src = _source_image(tmp_path)
    assert main(["upscale", str(src), "--scale", "2", "--model", "2x-test"]) == 0
    from studio.library import Library

    lib = Library.open()
    try:
        entries = lib.list()
    finally:
        lib.close()
    assert len(entries) == 1 and entries[0].prompt == "a red square"


def test_cli_upscale_bad_input_is_one_line(tmp_path, studio_home, capsys):
    _user_upscaler(studio_home, "2x-test.safetensors", _realesr_general_x4v3_layout(8, 2, 2))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert main(["upscale", str(broken), "--scale", "2", "--model", "2x-test", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("studio: error:")
    assert main(["upscale", str(broken), "--model", "no-such-upscaler"]) == 1
