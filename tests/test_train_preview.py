"""The preview decoder's recipe (``python -m studio.starter train-preview-decoder``) on a tiny pool:
it trains, exports the best decoder it saw, and ``--init-from`` starts from an exported one."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest
import torch

from studio.engine.preview_decoder import StudioPreviewDecoder, load_folder
from studio.paths import starter_model_dir
from studio.starter import state, train_preview


@pytest.fixture
def pool(tmp_path, monkeypatch):
    """A state folder with a small pool: latents and the starter VAE's own decodes of them."""
    monkeypatch.setattr(state, "STATE_DIR", tmp_path / "state")
    model = tmp_path / "model"
    shutil.copytree(starter_model_dir(), model, ignore=shutil.ignore_patterns("preview_decoder"))
    pipe = train_preview.load_model(model)
    gen = torch.Generator().manual_seed(0)
    folder = train_preview._pool_dir()
    with torch.no_grad():
        for name, n in (("chunk-0000.pt", 24), (train_preview.EVAL, 72)):  # eval: 64 "renders" + 8 "x0"
            z = torch.randn(n, 4, 16, 16, generator=gen)
            state.atomic_torch_save({"latents": z.half(), "targets": train_preview._targets(pipe.vae, z)}, folder / name)
    return model


def _args(model, **kw):
    p = argparse.ArgumentParser()
    train_preview.add_args(p)
    args = p.parse_args(["--folder", str(model), "--data-minutes", "0", "--channels", "8", "--blocks", "1",
                         "--fine-channels", "4", "--eval-every", "5", "--batch", "4"])
    for k, v in kw.items():
        setattr(args, k, v)
    return args


def test_trains_exports_the_best_and_starts_from_an_exported_decoder(pool):
    train_preview.train(_args(pool, max_steps=10))
    dest = pool / train_preview.SUBFOLDER
    first = load_folder(dest)
    assert isinstance(first, StudioPreviewDecoder) and first.config["channels"] == 8
    info = json.loads((dest / "train_info.json").read_text())
    assert info["pool"] == 24 and info["step"] in (0, 5, 10) and info["psnr"] > 0

    # a second run from the exported decoder, no checkpoint: it starts at that decoder's figure and
    # exports only what beats it (lr 0: nothing does, the exported files stay as they were)
    (state.state_dir() / train_preview.CKPT).unlink()
    before = (dest / "diffusion_pytorch_model.safetensors").read_bytes()
    train_preview.train(_args(pool, max_steps=5, lr=0.0, init_from=dest, l1=0.0, edge=0.0))
    assert (dest / "diffusion_pytorch_model.safetensors").read_bytes() == before
    log = (state.state_dir() / "preview_decoder.log").read_text()
    assert f"starts from {dest}" in log

    with pytest.raises(SystemExit, match="config differs"):
        train_preview.train(_args(pool, max_steps=1, init_from=dest, channels=16))
