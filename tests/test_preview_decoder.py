"""Learned preview decoders: the model's own, TAESD-family files, the fallback, and --save-previews."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.engine import preview_decoder, preview_methods
from studio.engine.events import Progress
from studio.engine.generator import Engine, EngineSettings
from studio.engine.request import GenerationRequest

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _frames(engine, model: Path, **kw) -> tuple[list[np.ndarray], np.ndarray]:
    frames = []
    request = GenerationRequest(prompt="a red circle", model=str(model), steps=3, seed=7, scheduler="Euler", **kw)
    out = engine.generate(request, on_event=lambda e: frames.append(e.preview) if isinstance(e, Progress) else None)
    return frames, out[0].image


@pytest.fixture()
def model_with_decoder(tiny_sd_dir, tmp_path) -> Path:
    folder = tmp_path / "with-decoder"
    shutil.copytree(tiny_sd_dir, folder)
    torch.manual_seed(0)
    preview_decoder.StudioPreviewDecoder().save(folder / preview_methods.OWN_DECODER)
    return folder


def test_own_decoder_round_trips_as_fp16_safetensors(tmp_path):
    torch.manual_seed(1)
    model = preview_decoder.StudioPreviewDecoder(channels=16, fine_channels=8).eval()
    model.save(tmp_path / "dec")
    loaded = preview_decoder.load_folder(tmp_path / "dec")
    z = torch.randn(2, 4, 5, 7)
    with torch.no_grad():
        a, b = model(z), loaded(z)
    assert a.shape == (2, 3, 40, 56)  # 8x up, any size
    assert torch.allclose(a, b, atol=2e-2)
    from safetensors.torch import load_file

    assert {t.dtype for t in load_file(str(tmp_path / "dec" / preview_decoder.WEIGHTS)).values()} == {torch.float16}


def test_tiny_decoder_is_used_when_present_and_the_linear_map_when_not(model_with_decoder, tiny_sd_dir):
    engine = Engine(EngineSettings(preview_method="auto"))
    frames, final = _frames(engine, model_with_decoder)
    assert len(frames) == 3 and all(f.shape == final.shape for f in frames)  # full-size previews
    loaded = engine._loaded(str(model_with_decoder), None)
    assert engine.preview_for(loaded).kind == "tiny"
    # the same model without the folder: linear map at latent resolution
    frames, final = _frames(engine, tiny_sd_dir)
    assert all(f.shape == (final.shape[0] // 8, final.shape[1] // 8, 3) for f in frames)
    assert engine.preview_for(engine._loaded(str(tiny_sd_dir), None)).kind == "linear"
    # "linear" chosen in Settings wins over the decoder
    engine.settings.preview_method = "linear"
    frames, final = _frames(engine, model_with_decoder)
    assert frames[0].shape[0] == final.shape[0] // 8


def test_broken_decoder_folder_falls_back_to_linear(model_with_decoder):
    (model_with_decoder / preview_methods.OWN_DECODER / preview_decoder.WEIGHTS).write_bytes(b"not safetensors")
    engine = Engine(EngineSettings(preview_method="tiny"))
    frames, final = _frames(engine, model_with_decoder)
    assert frames[-1].shape[0] == final.shape[0] // 8


def test_full_vae_every_n_steps_matches_the_final_decode_on_the_last_step(tiny_sd_dir):
    engine = Engine(EngineSettings(preview_method="vae", preview_vae_every=2))
    frames, final = _frames(engine, tiny_sd_dir)
    assert frames[0].shape[0] == final.shape[0] // 8  # step 1: linear map
    assert frames[1].shape == final.shape and frames[2].shape == final.shape  # step 2 (every 2) and the last
    # Euler's last x0 is the final latent: the full-VAE preview is the final image
    assert np.abs(frames[2].astype(int) - final.astype(int)).max() <= 1


def _taesd_file(folder: Path, name: str, layout: str, latent_channels: int = 4) -> Path:
    from diffusers import AutoencoderTiny
    from safetensors.torch import save_file

    torch.manual_seed(3)
    vae = AutoencoderTiny(**preview_decoder.taesd_config(latent_channels))
    state = vae.decoder.state_dict()
    if layout == "taesd":  # madebyollin/taesd: nn.Sequential indices, index 0 is the Clamp
        state = {f"{int(k.split('.')[1]) + 1}.{k.split('.', 2)[2]}": v for k, v in state.items()}
    else:
        state = {f"decoder.{k}": v for k, v in state.items()}
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / name))
    return folder / name, vae


@pytest.mark.parametrize("layout", ["taesd", "diffusers"])
def test_taesd_layout_decoder_with_random_weights_loads_and_runs(layout, studio_home):
    path, reference = _taesd_file(preview_methods.vae_approx_dir(), "taesd_decoder.safetensors", layout)
    decoder = preview_decoder.load_taesd_file(path)
    z = torch.randn(1, 4, 8, 8)
    with torch.no_grad():
        out = decoder(z)
        expected = reference.decode(z).sample
    assert out.shape == (1, 3, 64, 64)
    assert torch.allclose(out, expected, atol=1e-5)
    # found by family under A1111's file name; "auto" leaves it to GPUs, "tiny" takes it anywhere
    assert preview_methods.find_decoder(None, "sd1", 4, gpu=False, method="auto") is None
    found = preview_methods.find_decoder(None, "sd1", 4, gpu=False, method="tiny")
    assert found is not None and found[1] == "taesd_decoder.safetensors"
    assert preview_methods.find_decoder(None, "sdxl", 4, gpu=False, method="tiny") is None


def test_taesd_for_16_channel_latents_and_a_non_decoder_file(studio_home, tmp_path):
    path, _ = _taesd_file(tmp_path, "taef1_decoder.safetensors", "taesd", latent_channels=16)
    assert preview_decoder.load_taesd_file(path).latent_channels == 16
    from safetensors.torch import save_file

    save_file({"something.weight": torch.zeros(2, 2)}, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="not a TAESD decoder"):
        preview_decoder.load_taesd_file(tmp_path / "bad.safetensors")


def test_generate_save_previews_writes_one_png_per_step(model_with_decoder, tmp_path, capsys):
    from PIL import Image

    from studio.cli.main import main

    folder = tmp_path / "previews"
    code = main(["generate", "a red star", "--model", str(model_with_decoder), "--steps", "4", "--seed", "1",
                 "--out", str(tmp_path / "out"), "--save-previews", str(folder)])
    assert code == 0, capsys.readouterr().err
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["step-001.png", "step-002.png", "step-003.png", "step-004.png"]
    final = next((tmp_path / "out").glob("*.png"))
    assert Image.open(folder / "step-004.png").size == Image.open(final).size
    main(["generate", "a red star", "--model", str(model_with_decoder), "--steps", "2", "--batch", "2",
          "--preview", "linear", "--out", str(tmp_path / "out"), "--save-previews", str(tmp_path / "p2")])
    assert sorted(p.name for p in (tmp_path / "p2").iterdir()) == [
        "0-step-001.png", "0-step-002.png", "1-step-001.png", "1-step-002.png"]
    assert Image.open(tmp_path / "p2" / "0-step-001.png").size == (8, 8)


def test_starter_model_ships_a_preview_decoder_that_is_used():
    from studio import paths

    folder = paths.starter_model_dir() / preview_methods.OWN_DECODER
    if not (folder / "config.json").is_file():
        pytest.skip("the starter model has no preview decoder yet")
    decoder = preview_decoder.load_folder(folder)
    params = sum(p.numel() for p in decoder.parameters())
    assert 50_000 <= params <= 1_000_000
    assert sum(p.stat().st_size for p in folder.iterdir()) < 1_000_000
    engine = Engine(EngineSettings(preview_method="auto"))
    assert engine.preview_for(engine._loaded(None, None)).kind == "tiny"
