"""Export trained upscalers as fp16 safetensors into ``resources/models/upscalers/`` with their model card."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from studio.engine.upscale.models import BUNDLED_PREFIX, bundled_dir
from studio.fsutil import atomic_write_text

from .train import generator_from_checkpoint, state_dir


def export(scales: list[int]) -> list[Path]:
    out_dir = bundled_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for scale in scales:
        ckpt = state_dir() / f"upscaler_x{scale}.pt"
        if not ckpt.exists():
            raise SystemExit(f"no checkpoint for x{scale} at {ckpt}: run 'python -m studio.upscaler train --scale {scale}'")
        gen = generator_from_checkpoint(ckpt)
        step = int(torch.load(ckpt, weights_only=True)["step"])
        path = out_dir / f"{BUNDLED_PREFIX}{scale}.safetensors"
        tmp = path.with_suffix(".tmp")
        save_file({k: v.detach().half().contiguous() for k, v in gen.state_dict().items()}, str(tmp),
                  metadata={"config": json.dumps(gen.config()), "architecture": "SRVGGNetCompact",
                            "trained_steps": str(step), "license": "Apache-2.0"})
        tmp.replace(path)
        written.append(path)
    return written


def write_card(figures: dict[int, dict], steps: dict[int, int], path: Path | None = None) -> Path:
    """The model card: what the upscalers are, how they were trained, the measured figures."""
    path = path or bundled_dir() / "README.md"
    lines = [
        "# Studio compact upscalers (x2, x4)",
        "",
        "Real-ESRGAN *compact* generators (SRVGGNetCompact: 32 channels, 8 body convolutions, PReLU, pixel shuffle;",
        "the original state-dict layout, so spandrel/chaiNNer/ComfyUI load them too), trained by this repository on CPU",
        "with `python -m studio.upscaler train` (recipe in `studio/upscaler/`).",
        "",
        "**Data**: the starter renderer's flat-colour scenes (the starter model's domain), rendered sharp at 256x256,",
        "cropped to 96-160 px squares, and degraded Real-ESRGAN-style (blur, resize with a random filter, Gaussian noise, JPEG;",
        "half of the time twice, the scale split between the rounds). It knows that domain only: on photographs it",
        "is a generic, mild sharpener at best.",
        "",
        "**Training**: an L1 stage, then a GAN stage: L1 + 0.01 x feature loss (the starter VAE encoder's first two",
        "blocks) + 0.01 x adversarial loss against a spectral-norm patch discriminator (non-saturating loss).",
        f"Steps: {', '.join(f'x{s}: {n}' for s, n in sorted(steps.items()))}.",
        "",
        "## Figures (100 held-out renders from a seed training never draws from, bicubic-downscaled, upscaled back)",
        "",
        "| scale | method | PSNR dB | SSIM | edge sharpness (1 = original) | s / output MP |",
        "|---|---|---|---|---|---|",
    ]
    for scale, table in sorted(figures.items()):
        for name, row in table.items():
            lines.append(f"| x{scale} | {name} | {row['psnr']:.2f} | {row['ssim']:.4f} | {row['sharpness']:.3f} | "
                         f"{row['seconds_per_mp']:.3f} |")
    lines += ["", "Measure again with `studio bench --only upscale`.", ""]
    atomic_write_text(path, "\n".join(lines))
    return path
