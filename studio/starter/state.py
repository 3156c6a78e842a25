"""Where training state lives (outside git) and atomic checkpoint I/O."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch

from studio import fsutil

STATE_DIR = Path(os.environ.get("STUDIO_STARTER_STATE", "/work/train_state"))


def state_dir() -> Path:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    return STATE_DIR


def vae_ckpt() -> Path:
    return state_dir() / "vae_ckpt.pt"


def vae_decoder_ckpt() -> Path:
    return state_dir() / "vae_decoder_ckpt.pt"


def vae_final_dir() -> Path:
    return state_dir() / "vae_final"


def unet_ckpt() -> Path:
    return state_dir() / "unet_ckpt.pt"


def latents_pool() -> Path:
    return state_dir() / "latent_pool.pt"


def tokenizer_dir() -> Path:
    return state_dir() / "tokenizer"


def vae_fingerprint() -> str:
    """sha256 of the final VAE weights: the UNet is only valid for the VAE it was trained on."""
    import hashlib

    h = hashlib.sha256()
    with open(vae_final_dir() / "diffusion_pytorch_model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def vae_encoder_fingerprint() -> str:
    """sha256 of the encoder + quant_conv tensors of vae_final (the part that defines the latent space).

    Decoder-only fine-tuning leaves it unchanged, so the UNet stays valid.
    """
    import hashlib

    from safetensors.torch import load_file

    tensors = load_file(str(vae_final_dir() / "diffusion_pytorch_model.safetensors"))
    h = hashlib.sha256()
    for name in sorted(k for k in tensors if k.startswith(("encoder.", "quant_conv."))):
        h.update(name.encode())
        h.update(tensors[name].float().numpy().tobytes())
    return h.hexdigest()


def atomic_torch_save(obj, path: Path) -> None:
    fsutil.atomic_write(path, lambda f: torch.save(obj, f))


def atomic_write_text(path: Path, text: str) -> None:
    fsutil.atomic_write_text(path, text)


def replace_folder(tmp: Path, dest: Path) -> None:
    """Put the finished folder ``tmp`` in place of ``dest``, keeping the old one until the swap is done."""
    import shutil

    old = dest.with_name("." + dest.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    if old.exists():
        shutil.rmtree(old)


def load_ckpt(path: Path):
    path = Path(path)
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)


class Logger:
    """Append-only text log plus a JSON status file that export can read."""

    def __init__(self, name: str):
        self.log_path = state_dir() / f"{name}.log"
        self.status_path = state_dir() / f"{name}_status.json"
        self.t0 = time.time()

    def log(self, msg: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def status(self, **kw) -> None:
        atomic_write_text(self.status_path, json.dumps(kw, indent=2))


def training_hours(name: str, max_gap_s: float = 300.0) -> float:
    """Wall-clock hours of training in ``<name>.log``: the time between consecutive log lines, gaps
    longer than ``max_gap_s`` (the job was stopped) left out."""
    import datetime

    path = state_dir() / f"{name}.log"
    if not path.exists():
        return 0.0
    total, last = 0.0, None
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            t = datetime.datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").timestamp()
        except ValueError:
            continue
        if last is not None and 0 <= t - last <= max_gap_s:
            total += t - last
        last = t
    return total / 3600
