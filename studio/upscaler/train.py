"""Train the compact upscaler: an L1 stage, then a GAN stage against a spectral-norm discriminator.

Resumable (a checkpoint every minute and on SIGTERM) and timed: ``--l1-minutes``
then ``--gan-minutes`` of CPU time on the clock. At the switch the L1-only
generator is kept (``l1_only_x{S}.safetensors``) so the evaluation can show
what the adversarial stage adds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils import spectral_norm

from studio.engine.upscale.compact import SRVGGNetCompact

from .degrade import TRAIN_SEED, training_pair

STATE_DIR = Path(os.environ.get("STUDIO_UPSCALER_STATE", "/work/upscaler_state"))


def state_dir() -> Path:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    return STATE_DIR


class PatchDiscriminator(nn.Module):
    """A small patch discriminator with spectral norm on every conv: real/fake logits per patch."""

    def __init__(self, channels: int = 32):
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(3, c, 3, 1, 1)), nn.LeakyReLU(0.2, True),
            spectral_norm(nn.Conv2d(c, c * 2, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            spectral_norm(nn.Conv2d(c * 2, c * 4, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            spectral_norm(nn.Conv2d(c * 4, c * 4, 3, 1, 1)), nn.LeakyReLU(0.2, True),
            spectral_norm(nn.Conv2d(c * 4, 1, 3, 1, 1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


class VaeFeatures(nn.Module):
    """Feature loss network: the first blocks of the starter VAE's encoder (offline, frozen)."""

    def __init__(self):
        super().__init__()
        from diffusers import AutoencoderKL

        from studio.paths import starter_model_dir

        vae = AutoencoderKL.from_pretrained(starter_model_dir() / "vae", local_files_only=True)
        self.conv_in = vae.encoder.conv_in
        self.blocks = nn.ModuleList(vae.encoder.down_blocks[:2])
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = self.conv_in(x * 2 - 1)
        feats = []
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        return feats


def to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255.0)


def batch(rng: random.Random, n: int, scale: int, hr_crop: int, clean_frac: float = 0.4) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [training_pair(rng, scale, hr_crop, clean_frac=clean_frac) for _ in range(n)]
    return to_tensor([p[0] for p in pairs]), to_tensor([p[1] for p in pairs])


def _save_generator(model: SRVGGNetCompact, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, str(tmp),
              metadata={"config": json.dumps(model.config())})
    os.replace(tmp, path)


def _save_checkpoint(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def _l1_lr(args: argparse.Namespace, minutes: float) -> float:
    if args.l1_decay == "none" or args.l1_minutes <= 0:
        return args.lr
    frac = min(1.0, minutes / args.l1_minutes)
    return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m studio.upscaler train")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument("--feat", type=int, default=32, help="generator channels")
    p.add_argument("--convs", type=int, default=8, help="generator body convolutions")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--hr-crop", type=int, default=96)
    p.add_argument("--l1-minutes", type=float, default=20)
    p.add_argument("--gan-minutes", type=float, default=15)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument("--gan-lr", type=float, default=1e-4)
    p.add_argument("--feature-weight", type=float, default=0.01)
    p.add_argument("--adv-weight", type=float, default=0.01)
    p.add_argument("--l1-decay", choices=("cosine", "none"), default="cosine",
                   help="learning rate over the L1 stage: cosine down to 2%% of --lr, or constant")
    p.add_argument("--clean-frac", type=float, default=0.4, help="share of plain (undegraded) downscales")
    p.add_argument("--init-from", type=Path, default=None,
                   help="start a new run from this generator (.safetensors; its size replaces --feat/--convs)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    return p.parse_args(argv)


def train(args: argparse.Namespace) -> Path:
    """Run (or resume) training; returns the checkpoint path."""
    torch.set_num_threads(args.threads)
    ckpt = state_dir() / f"upscaler_x{args.scale}.pt"
    log_path = state_dir() / f"train_x{args.scale}.log"
    if ckpt.exists():  # a resume keeps the checkpoint's own generator size
        gen = SRVGGNetCompact(**json.loads(torch.load(ckpt, weights_only=True)["config"]))
    elif args.init_from is not None:
        from studio.engine.upscale.compact import from_state_dict
        from studio.engine.upscale.models import read_state_dict

        gen = from_state_dict(read_state_dict(args.init_from))
        if gen.config()["upscale"] != args.scale:
            raise SystemExit(f"{args.init_from.name} is an x{gen.config()['upscale']} generator, not x{args.scale}")
    else:
        gen = SRVGGNetCompact(num_feat=args.feat, num_conv=args.convs, upscale=args.scale)
    disc = PatchDiscriminator()
    g_opt = torch.optim.Adam(gen.parameters(), lr=args.lr, betas=(0.9, 0.99))
    d_opt = torch.optim.Adam(disc.parameters(), lr=args.gan_lr, betas=(0.9, 0.99))
    step, minutes = 0, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        gen.load_state_dict(state["gen"])
        disc.load_state_dict(state["disc"])
        g_opt.load_state_dict(state["g_opt"])
        d_opt.load_state_dict(state["d_opt"])
        step, minutes = int(state["step"]), float(state["minutes"])
    features = None
    rng = random.Random(TRAIN_SEED * 1_000_003 + step)
    stop = {"now": False}
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))

    def checkpoint() -> None:
        _save_checkpoint(ckpt, {"gen": gen.state_dict(), "disc": disc.state_dict(), "g_opt": g_opt.state_dict(),
                                "d_opt": d_opt.state_dict(), "step": step, "minutes": minutes,
                                "config": json.dumps(gen.config())})

    total = args.l1_minutes + args.gan_minutes
    started, last_save = time.time(), time.time()
    base_minutes = minutes
    try:
        with log_path.open("a") as log:
            while minutes < total and not stop["now"] and not (args.max_steps and step >= args.max_steps):
                gan = minutes >= args.l1_minutes
                if gan and not (state_dir() / f"l1_only_x{args.scale}.safetensors").exists():
                    _save_generator(gen, state_dir() / f"l1_only_x{args.scale}.safetensors")
                for group in g_opt.param_groups:  # the stage and the clock decide (also after a resume)
                    group["lr"] = args.gan_lr if gan else _l1_lr(args, minutes)
                lr_img, hr_img = batch(rng, args.batch, args.scale, args.hr_crop, args.clean_frac)
                sr = gen(lr_img)
                l1 = F.l1_loss(sr, hr_img)
                loss, extra = l1, {}
                if gan:
                    if features is None:
                        features = VaeFeatures()
                    feat = sum(F.l1_loss(a, b) for a, b in zip(features(sr), features(hr_img)))
                    adv = F.softplus(-disc(sr)).mean()
                    loss = l1 + args.feature_weight * feat + args.adv_weight * adv
                    extra = {"feat": float(feat), "adv": float(adv)}
                g_opt.zero_grad(set_to_none=True)
                loss.backward()
                g_opt.step()
                if gan:
                    d_loss = F.softplus(-disc(hr_img)).mean() + F.softplus(disc(sr.detach())).mean()
                    d_opt.zero_grad(set_to_none=True)
                    d_loss.backward()
                    d_opt.step()
                    extra["d"] = float(d_loss)
                step += 1
                minutes = base_minutes + (time.time() - started) / 60
                if step % 50 == 0:
                    parts = " ".join(f"{k} {v:.4f}" for k, v in extra.items())
                    log.write(f"step {step} min {minutes:.1f} {'gan' if gan else 'l1'} l1 {l1.item():.4f} {parts}\n")
                    log.flush()
                if time.time() - last_save > 60:
                    checkpoint()
                    last_save = time.time()
        checkpoint()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return ckpt


def generator_from_checkpoint(path: Path) -> SRVGGNetCompact:
    state = torch.load(path, weights_only=True)
    gen = SRVGGNetCompact(**json.loads(state["config"]))
    gen.load_state_dict(state["gen"])
    return gen.eval()
