"""The options of ``python -m studio.starter train-unet`` (the stages in :mod:`studio.starter.recipe` are sets of them)."""

from __future__ import annotations

import argparse


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", type=int, default=24)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--min-snr", type=float, default=5.0)
    p.add_argument("--offset-noise", type=float, default=0.1)
    p.add_argument("--p-empty", type=float, default=0.1)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--pool-size", type=int, default=4096)
    p.add_argument("--refresh", type=int, default=4, help="new scenes encoded into the pool per step")
    p.add_argument("--max-steps", type=int, default=10**9)
    p.add_argument("--max-minutes", type=float, default=float("inf"))
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--high-t-frac", type=float, default=0.5, help="share of timesteps drawn from [--high-t-min, 1000)")
    p.add_argument("--high-t-min", type=int, default=500)
    p.add_argument("--one-object-frac", type=float, default=0.0,
                   help="share of each batch drawn from the pool's one-object scenes (0: the pool's own mix)")
    p.add_argument("--two-object-frac", type=float, default=0.0,
                   help="share of each batch drawn from the pool's two-object scenes")
    p.add_argument("--full-caption-frac", type=float, default=0.0,
                   help="share of captions that name every attribute (the rest drop parts at random)")
    p.add_argument("--decay-minutes", type=float, default=0.0, help="cosine LR decay over the last N of --max-minutes")
    p.add_argument("--init-from", default=None, help="exported starter folder to start a new run from")
