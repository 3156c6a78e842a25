"""The retraining recipe runs end to end at toy length: VAE, decoder fine-tune, UNet (with a resume), export,
and the exported folder generates through the engine like the bundled model."""
import argparse
import json

import numpy as np
import pytest


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    from studio.starter import state

    monkeypatch.setattr(state, "STATE_DIR", tmp_path / "train_state")
    return tmp_path / "train_state"


def _args(module, argv):
    p = argparse.ArgumentParser()
    module.add_args(p)
    return p.parse_args(argv)


def test_recipe_end_to_end_at_toy_length(state_dir, tmp_path, one_torch_thread):
    from studio.engine.generator import Engine
    from studio.engine.request import GenerationRequest
    from studio.starter import state, train_unet, train_vae
    from studio.starter.export import export

    small = ["--threads", "1", "--batch", "4", "--eval-every", "2", "--max-steps", "2"]
    train_vae.train(_args(train_vae, small))
    info = json.loads((state.vae_final_dir() / "train_info.json").read_text())
    assert info["step"] == 2
    encoder = state.vae_encoder_fingerprint()

    train_vae.train(_args(train_vae, ["--decoder-only", "--object-weight", "5", "--ceiling-prompts", "4",
                                      "--threads", "1", "--batch", "4", "--eval-every", "2", "--max-steps", "4"]))
    assert state.vae_encoder_fingerprint() == encoder  # the latent space the UNet learns never moves
    assert "best_ceiling" in state.load_ckpt(state.vae_decoder_ckpt())

    unet_args = ["--threads", "1", "--batch", "2", "--pool-size", "8", "--refresh", "1", "--warmup", "2"]
    train_unet.train(_args(train_unet, unet_args + ["--max-steps", "2"]))
    train_unet.train(_args(train_unet, unet_args + ["--max-steps", "3", "--high-t-frac", "1.0"]))
    ck = state.load_ckpt(state.unet_ckpt())
    assert ck["step"] == 3
    assert [r["from_step"] for r in ck["runs"]] == [0, 2]
    assert "resumed at step 2" in (state_dir / "unet.log").read_text()

    dest = export(tmp_path / "exported")
    train_info = json.loads((dest / "studio_train_info.json").read_text())
    assert train_info["unet_step"] == 3 and len(train_info["train_runs"]) == 2
    assert train_info["unet_train_hours"] >= 0 and "Trained so far: UNet" in (dest / "README.md").read_text()
    assert (dest / "studio_preview.json").exists() and (dest / "README.md").exists()

    image = Engine().generate(GenerationRequest(prompt="a small red circle on the left", model=str(dest),
                                                steps=2, seed=1))[0].image
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8

    # A machine with no training state continues from the exported folder: its VAE becomes vae_final
    # and the new run's history starts where the export's ended.
    state.STATE_DIR = tmp_path / "fresh_state"
    train_unet.train(_args(train_unet, unet_args + ["--max-steps", "1", "--init-from", str(dest)]))
    adopted = json.loads((state.vae_final_dir() / "train_info.json").read_text())
    assert adopted["step"] == 4 and "vae_final taken from" in (state.STATE_DIR / "unet.log").read_text()
    again = json.loads((export(tmp_path / "continued") / "studio_train_info.json").read_text())
    assert again["unet_step"] == 3 + 1 and again["vae_step"] == 4


def test_pool_batch_can_favour_one_or_two_object_scenes():
    import random

    import torch

    from studio.starter.captions import sample_scene
    from studio.starter.train_unet import Pool

    rng = random.Random(0)
    scenes = [sample_scene(rng, n_objects=1 + i % 2) for i in range(40)]
    pool = Pool(torch.arange(40.0).view(40, 1, 1, 1).expand(40, 4, 2, 2).half(), [s.to_dict() for s in scenes], 1.0)
    picked, z = pool.batch(200, rng, one_object_frac=1.0)
    assert all(len(s.objects) == 1 for s in picked)
    assert [scenes[int(v)] for v in z[:, 0, 0, 0]] == picked  # latents stay paired with their scenes
    pairs, z = pool.batch(200, rng, two_object_frac=1.0)
    assert all(len(s.objects) == 2 for s in pairs)
    assert [scenes[int(v)] for v in z[:, 0, 0, 0]] == pairs
    mixed, _ = pool.batch(400, rng)
    assert 0.35 < sum(len(s.objects) == 1 for s in mixed) / 400 < 0.65


def test_timestep_sampler_and_lr_schedule():
    from studio.starter.train_unet import learning_rate, sample_timesteps

    t = sample_timesteps(4000, 1000, 0.5, 500)
    assert t.min() >= 0 and t.max() < 1000
    assert 0.7 < (t >= 500).float().mean() < 0.8  # half drawn high, plus half of the uniform rest
    args = argparse.Namespace(lr=1e-3, warmup=10, decay_minutes=20.0, max_minutes=100.0)
    assert learning_rate(args, 0, 0.0) == pytest.approx(1e-4)
    assert learning_rate(args, 50, 70.0) == pytest.approx(1e-3)
    assert learning_rate(args, 50, 90.0) == pytest.approx(1e-3 * 0.55)
    assert learning_rate(args, 50, 100.0) == pytest.approx(1e-4)


def test_training_hours_skip_stops(state_dir):
    from studio.starter import state

    state_dir.mkdir(parents=True)
    (state_dir / "unet.log").write_text(
        "2026-01-01 10:00:00 new run\n2026-01-01 10:01:00 step 25\nnot a log line\n2026-01-01 10:02:00 step 50\n"
        "2026-01-01 14:00:00 resumed at step 50\n2026-01-01 14:03:00 step 75\n"
    )
    assert state.training_hours("unet") * 60 == pytest.approx(5.0)


def test_zero_terminal_snr_v_prediction_target():
    """At the last training step the input is pure noise and the target is -x0 with full weight: the layout
    must come from the prompt (on the old schedule the noisiest step still leaked the picture)."""
    import torch

    from studio.starter.train_unet import loss_target, make_scheduler

    sched = make_scheduler()
    assert sched.config.prediction_type == "v_prediction" and sched.config.rescale_betas_zero_snr
    assert float(sched.alphas_cumprod[-1]) == 0.0
    z0, noise = torch.randn(3, 4, 16, 16), torch.randn(3, 4, 16, 16)
    t = torch.tensor([999, 500, 5])
    target, w = loss_target(sched, z0, noise, t, 5.0)
    assert torch.equal(sched.add_noise(z0, noise, t)[0], noise[0])  # no trace of the picture at t=999
    assert torch.allclose(target[0], -z0[0], atol=1e-6) and w[0] == 1.0
    assert w[1] == 1.0 and 0 < w[2] < 0.1  # clean steps are cut like min-SNR
    assert (target[2] - noise[2]).std() < 0.15  # v ~ epsilon where the picture is nearly clean


def test_the_recipe_stages_parse_and_the_card_lists_them():
    from studio.starter import train_unet
    from studio.starter.model_card import RETRAIN

    p = argparse.ArgumentParser()
    train_unet.add_args(p)
    pairs = p.parse_args(train_unet.COMMON_ARGS + train_unet.PAIRS_STAGE)
    layout = p.parse_args(train_unet.COMMON_ARGS + train_unet.LAYOUT_STAGE)
    assert pairs.two_object_frac > 0 and pairs.one_object_frac == 0
    assert layout.one_object_frac > 0 and layout.two_object_frac == 0
    for stage in (train_unet.MAIN_STAGE, train_unet.LAYOUT_STAGE, train_unet.PAIRS_STAGE):
        assert " ".join(train_unet.COMMON_ARGS + stage) in RETRAIN
