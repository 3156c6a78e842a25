"""VAE swap (--vae, recorded as A1111's VAE / VAE hash, read back) and automatic VAE tiling."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.engine import vae_memory, vae_swap
from studio.engine.errors import InvalidRequest
from studio.engine.generator import Engine, EngineSettings
from studio.engine.request import GenerationRequest

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _other_vae(tiny_sd_dir: Path, seed: int = 5, **changes):
    from diffusers import AutoencoderKL

    config = dict(AutoencoderKL.load_config(tiny_sd_dir / "vae"))
    config.update(changes)
    torch.manual_seed(seed)
    return AutoencoderKL.from_config(config)


@pytest.fixture()
def vae_folder(tiny_sd_dir, tmp_path) -> Path:
    _other_vae(tiny_sd_dir).save_pretrained(tmp_path / "my-vae", safe_serialization=True)
    return tmp_path / "my-vae"


def _request(model, **kw):
    return GenerationRequest(prompt="a red circle", model=str(model), steps=3, seed=11, scheduler="Euler", **kw)


def test_vae_swap_changes_the_decode_and_is_recorded(tiny_sd_dir, vae_folder, studio_home):
    from studio.engine.metadata import a1111_parameters, read_metadata
    from studio.engine.metadata.writing import encode_png

    engine = Engine(EngineSettings(preview_every=0))
    own = engine.generate(_request(tiny_sd_dir))[0]
    swapped = engine.generate(_request(tiny_sd_dir, vae=str(vae_folder)))[0]
    again = engine.generate(_request(tiny_sd_dir))[0]
    assert np.abs(own.image.astype(int) - swapped.image.astype(int)).mean() > 1.0
    assert np.array_equal(own.image, again.image)  # the model's own VAE is back afterwards
    weights = vae_folder / "diffusion_pytorch_model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:10]
    assert swapped.extra["vae"] == "my-vae" and swapped.extra["vae_hash"] == digest
    assert "vae" not in own.extra
    text = a1111_parameters(swapped)
    assert f"VAE hash: {digest}, VAE: my-vae" in text
    path = studio_home / "swapped.png"
    path.write_bytes(encode_png(swapped))
    md = read_metadata(path)
    assert md.to_params()["vae"] == str(vae_folder)  # studio images reuse the exact spec
    assert md.parameters["VAE"] == "my-vae" and md.parameters["VAE hash"] == digest


def test_a1111_vae_name_is_read_back_for_reuse(tmp_path):
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from studio.engine.metadata import read_metadata

    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x64, "
                                "Model hash: abc, Model: m, VAE hash: 735e4c3a44, VAE: vae-ft-mse-840000-ema-pruned.safetensors")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png", pnginfo=info)
    md = read_metadata(tmp_path / "a.png")
    assert md.to_params()["vae"] == "vae-ft-mse-840000-ema-pruned.safetensors"
    assert md.parameters["VAE hash"] == "735e4c3a44"


def test_single_file_vae_in_diffusers_and_original_layout(tiny_sd_dir, tmp_path, studio_home):
    from safetensors.torch import save_file

    from ldm_convert import convert_vae

    other = _other_vae(tiny_sd_dir)
    folder = vae_swap.vae_dir()
    folder.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in other.state_dict().items()}, str(folder / "diffusers-keys.safetensors"))
    original = convert_vae(other.state_dict(), other.config)
    save_file({k.removeprefix("first_stage_model."): v.contiguous() for k, v in original.items()},
              str(folder / "ldm-keys.safetensors"))
    assert [c.name for c in vae_swap.list_vaes()] == ["diffusers-keys.safetensors", "ldm-keys.safetensors"]
    engine = Engine(EngineSettings(preview_every=0))
    a = engine.generate(_request(tiny_sd_dir, vae="diffusers-keys.safetensors"))[0]  # a name in models/VAE
    b = engine.generate(_request(tiny_sd_dir, vae=str(folder / "ldm-keys.safetensors")))[0]
    assert np.abs(a.image.astype(int) - b.image.astype(int)).max() <= 1
    assert a.extra["vae"] == "diffusers-keys.safetensors"


def test_vae_that_does_not_fit_is_refused_in_one_line(tiny_sd_dir, tmp_path):
    engine = Engine(EngineSettings(preview_every=0))
    wrong = tmp_path / "eight-channels"
    _other_vae(tiny_sd_dir, latent_channels=8).save_pretrained(wrong, safe_serialization=True)
    with pytest.raises(InvalidRequest, match="8-channel latents.*4 channels"):
        engine.generate(_request(tiny_sd_dir, vae=str(wrong)))
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in _other_vae(tiny_sd_dir, latent_channels=8).state_dict().items()},
              str(tmp_path / "eight.safetensors"))
    with pytest.raises(InvalidRequest, match="8-channel latents"):
        engine.generate(_request(tiny_sd_dir, vae=str(tmp_path / "eight.safetensors")))
    with pytest.raises(InvalidRequest, match="not found"):
        engine.generate(_request(tiny_sd_dir, vae=str(tmp_path / "missing.safetensors")))
    (tmp_path / "x.ckpt").write_bytes(b"pickle")
    with pytest.raises(InvalidRequest, match="only .safetensors"):
        engine.generate(_request(tiny_sd_dir, vae=str(tmp_path / "x.ckpt")))


def test_cli_vae_option(tiny_sd_dir, vae_folder, tmp_path, capsys):
    from PIL import Image

    from studio.cli.main import main

    assert main(["generate", "a red star", "--model", str(tiny_sd_dir), "--steps", "2", "--vae", str(vae_folder),
                 "--out", str(tmp_path / "out")]) == 0
    png = next((tmp_path / "out").glob("*.png"))
    assert "VAE: my-vae" in Image.open(png).text["parameters"]
    assert main(["generate", "a red star", "--model", str(tiny_sd_dir), "--vae", str(tmp_path / "nope")]) != 0
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err


def test_tiling_turns_on_above_the_bound_only():
    from diffusers import AutoencoderKL

    config = AutoencoderKL.load_config(Path(__file__).resolve().parent.parent / "resources/models/starter/vae")
    config = AutoencoderKL.from_config(config).config
    small = vae_memory.plan(config, 128, 128, 1, bound=vae_memory.DEFAULT_BOUND_MB)
    assert not small.tiling and not small.slicing
    big = vae_memory.plan(config, 4096, 4096, 1, bound=vae_memory.DEFAULT_BOUND_MB)
    assert big.tiling and big.estimate_mb > big.bound_mb
    batch = vae_memory.plan(config, 1024, 1024, 16, bound=300)
    assert batch.slicing


def test_tiled_decode_matches_untiled_without_seams():
    """The starter VAE decoding a 384x384 picture in 128-pixel tiles (96-pixel stride, 32 blended) vs. in one go."""
    from diffusers import AutoencoderKL

    from studio import paths

    vae = AutoencoderKL.from_pretrained(paths.starter_model_dir() / "vae").float().eval()
    y, x = np.mgrid[0:384, 0:384] / 383.0  # gradient background and flat shapes, 3x the native size
    img = np.stack([0.9 - 0.7 * x, 0.2 + 0.6 * y, 0.3 + 0.4 * x * y], -1)
    img[60:180, 40:160] = (0.95, 0.9, 0.1)
    img[((y - 0.6) ** 2 + (x - 0.65) ** 2) < 0.03] = (0.1, 0.2, 0.85)
    with torch.no_grad():
        t = torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1)[None] * 2 - 1
        z = vae.encode(t).latent_dist.mode()
        vae_memory.apply(vae, vae_memory.plan(vae.config, 384, 384, 1, bound=1e9))
        assert not vae.use_tiling
        whole = (vae.decode(z).sample.clamp(-1, 1)[0] + 1) / 2
        forced = vae_memory.plan(vae.config, 384, 384, 1, bound=vae_memory.decode_estimate_mb(vae.config, 200, 200))
        assert forced.tiling and forced.tile == 128
        vae_memory.apply(vae, forced)
        assert vae.use_tiling
        tiled = (vae.decode(z).sample.clamp(-1, 1)[0] + 1) / 2
    target = t[0].add(1).div(2)

    def psnr(a, b):
        return float(10 * torch.log10(1 / ((a - b) ** 2).mean()))

    # GroupNorm statistics per tile differ from the whole picture's: a small, smooth shift, no seam
    assert psnr(tiled, whole) > 22
    assert psnr(tiled, target) > psnr(whole, target) - 2.5
    for dim in (1, 2):  # jumps between neighbouring rows / columns: tiling adds none at the tile borders
        jump_tiled = tiled.diff(dim=dim).abs().mean(dim=(0, 3 - dim))
        jump_whole = whole.diff(dim=dim).abs().mean(dim=(0, 3 - dim))
        assert float((jump_tiled - jump_whole).abs().max()) < 0.02
