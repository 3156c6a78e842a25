"""Live previews: the scheduler's x0 estimate, mapped linearly to RGB."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine import preview


def test_x0_tap_keeps_pred_original_sample_for_euler():
    from diffusers import EulerDiscreteScheduler

    sched = EulerDiscreteScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012)
    sched.set_timesteps(10)
    tap = preview.X0Tap(sched)
    g = torch.Generator().manual_seed(0)
    sample = torch.randn(1, 4, 8, 8, generator=g) * sched.init_noise_sigma
    eps = torch.randn(1, 4, 8, 8, generator=g)
    t = sched.timesteps[0]
    prev = sched.step(eps, t, sample, return_dict=False)[0]
    sigma = sched.sigmas[0]
    assert torch.allclose(tap.latest, sample - sigma * eps, atol=1e-4)  # x0 = x_t - sigma * eps
    assert not torch.allclose(prev, tap.latest)


@pytest.mark.parametrize("name", ["DPM++ 2M", "UniPC", "LCM", "DDIM", "Euler a"])
def test_x0_tap_finds_clean_estimate_for_other_schedulers(name):
    from studio.engine.schedulers import make_scheduler

    config = {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "num_train_timesteps": 1000}
    sched = make_scheduler(name, config)
    sched.set_timesteps(8)
    tap = preview.X0Tap(sched)
    g = torch.Generator().manual_seed(0)
    sample = torch.randn(1, 4, 8, 8, generator=g) * sched.init_noise_sigma
    sample = sched.scale_model_input(sample, sched.timesteps[0]) if name.startswith("Euler") else sample
    eps = torch.randn(1, 4, 8, 8, generator=g)
    import inspect

    extra = {"generator": g} if "generator" in inspect.signature(sched.step).parameters else {}
    sched.step(eps, sched.timesteps[0], sample, **extra)
    assert tap.latest is not None and tap.latest.shape == sample.shape
    assert not torch.equal(tap.latest, sample)


def test_linear_map_matches_known_colours():
    pmap = preview.family_map("sd1")
    previewer = preview.LatentPreviewer(pmap, "cpu", torch.float32)
    latents = torch.zeros(1, 4, 2, 3)
    out = previewer(latents)
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8
    assert (out == 128).all()  # zero latents map to mid grey ((0 + 1) * 127.5, rounded)
    latents[0, 3] = 1.0  # the fourth SD channel pulls towards yellow (blue strongly negative)
    rgb = previewer(latents)[0, 0].astype(int)
    assert rgb[2] < rgb[0] and rgb[2] < 60


def test_fitted_map_tracks_what_the_vae_decodes(tiny_sd_dir):
    from diffusers import AutoencoderKL
    import torch.nn.functional as F

    vae = AutoencoderKL.from_pretrained(tiny_sd_dir / "vae", local_files_only=True)
    pmap = preview.fit_preview_map(vae, "cpu", torch.float32, samples=16)
    img = torch.zeros(1, 3, 64, 64)
    img[:, 0, :, :32] = 0.8
    img[:, 2, :, 32:] = -0.6
    with torch.no_grad():
        lat = vae.encode(img).latent_dist.mean * vae.config.scaling_factor
        dec = F.adaptive_avg_pool2d(vae.decode(lat / vae.config.scaling_factor).sample.clamp(-1, 1), (8, 8))
    expected = ((dec[0].permute(1, 2, 0) + 1) * 127.5).numpy()
    got = preview.LatentPreviewer(pmap, "cpu", torch.float32)(lat).astype(float)
    fitted_error = np.abs(got - expected).mean()
    sd_map_error = np.abs(preview.LatentPreviewer(preview.family_map("sd1"), "cpu", torch.float32)(lat) - expected).mean()
    flat_error = np.abs(expected.mean(axis=(0, 1)) - expected).mean()  # best single colour
    print(f"fitted {fitted_error:.1f}, SD map {sd_map_error:.1f}, flat {flat_error:.1f}")
    assert fitted_error < sd_map_error  # a random VAE is barely linear; the starter model ships its own map


def test_preview_map_file_round_trip(tmp_path):
    pmap = preview.PreviewMap(((0.1, 0.2, 0.3),) * 4, (0.0, 0.1, 0.2), "model")
    path = tmp_path / preview.PREVIEW_FILE
    path.write_text(pmap.to_json())
    assert preview.PreviewMap.from_file(path) == pmap

