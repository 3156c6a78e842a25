"""Export the current training state as the bundled diffusers folder.

Reads the latest atomic checkpoint (safe while training runs), takes the EMA
weights, writes a StableDiffusionPipeline folder in fp16 safetensors, fits the
linear latent -> RGB preview map (studio_preview.json) and writes the model
card. The destination is replaced in one rename at the end.
"""
from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import state
from .captions import sample_scene
from .data import to_tensor
from .render import render

from .recipe import DEFAULT_DEST
SCHEDULER_CLASS = "EulerDiscreteScheduler"


def load_trained(use_ema: bool = True):
    """(tokenizer, text_encoder, unet, vae, checkpoint dict) from the training state."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from .tokenizer import load_tokenizer
    from .train_unet import EMA, ema_state_dicts

    ck = state.load_ckpt(state.unet_ckpt())
    if ck is None:
        raise SystemExit(f"no UNet checkpoint at {state.unet_ckpt()}: run train-unet first")
    tok = load_tokenizer(state.tokenizer_dir())
    te = CLIPTextModel(CLIPTextConfig(**{k: v for k, v in ck["te_config"].items() if k not in ("transformers_version",)}))
    unet = UNet2DConditionModel.from_config({k: v for k, v in ck["unet_config"].items() if not k.startswith("_")})
    te.load_state_dict(ck["te"])
    unet.load_state_dict(ck["unet"])
    if use_ema:
        params = list(te.parameters()) + list(unet.parameters())
        te_sd, unet_sd = ema_state_dicts(te, unet, EMA(params, ck["ema"]))
        te.load_state_dict(te_sd)
        unet.load_state_dict(unet_sd)
    vae = AutoencoderKL.from_pretrained(state.vae_final_dir())
    vae.register_to_config(scaling_factor=float(ck["scaling_factor"]))
    return tok, te.eval(), unet.eval(), vae.eval(), ck


def make_scheduler(name: str = SCHEDULER_CLASS):
    import diffusers

    from .model_configs import scheduler_config

    cfg = {k: v for k, v in scheduler_config().items() if not k.startswith("_")}
    cls = getattr(diffusers, name)
    return cls.from_config(cfg)


@torch.no_grad()
def fit_preview(vae, n: int = 128, seed: int = 7) -> dict:
    """Least-squares 4x3 matrix + bias: scaled latents -> decoded RGB in [-1,1] (8x area-downsampled)."""
    rng = random.Random(seed)
    scenes = [sample_scene(rng, split="eval") for _ in range(n)]
    xs, ys = [], []
    sf = vae.config.scaling_factor
    for i in range(0, n, 32):
        x = to_tensor([render(s) for s in scenes[i:i + 32]])
        z = vae.encode(x).latent_dist.mode()
        img = vae.decode(z).sample.clamp(-1, 1)
        small = F.adaptive_avg_pool2d(img, z.shape[-2:])
        xs.append((z * sf).permute(0, 2, 3, 1).reshape(-1, 4))
        ys.append(small.permute(0, 2, 3, 1).reshape(-1, 3))
    X = torch.cat(xs).double().numpy()
    Y = torch.cat(ys).double().numpy()
    A = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    sol, *_ = np.linalg.lstsq(A, Y, rcond=None)
    pred = np.clip(A @ sol, -1, 1)
    rmse = float(np.sqrt(((pred - Y) ** 2).mean()))
    return {
        "factors": [[round(float(v), 6) for v in row] for row in sol[:4]],
        "bias": [round(float(v), 6) for v in sol[4]],
        "scale": "minus1_1",
        "fit_rmse": round(rmse, 4),
    }


def history(ck: dict) -> tuple[int, int | None, list[dict], float]:
    """(total UNet steps, samples seen, runs, training hours) of the checkpoint, counting the
    training of the model a run was warm-started from (--init-from) as well."""
    prior = ck.get("prior") or {}
    base_step = prior.get("unet_step") or 0
    runs = list(prior.get("train_runs") or [])
    if prior and ck.get("prediction_type", "epsilon") != prior.get("prediction_type", "epsilon"):
        note = f"objective changed to {ck.get('prediction_type')}"
    else:
        note = ""
    for run in ck.get("runs", []):
        runs.append({**run, "from_step": base_step + run["from_step"], **({"note": note} if note else {})})
    samples = (prior.get("samples_seen") or 0) + (ck.get("samples_seen") or 0) if prior else ck.get("samples_seen")
    hours = round((prior.get("unet_train_hours") or 0) + state.training_hours("unet"), 2)
    return base_step + ck["step"], samples, runs, hours


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def export(dest: Path = DEFAULT_DEST, use_ema: bool = True, keep_eval: bool = True) -> Path:
    from diffusers import StableDiffusionPipeline

    from .model_card import write_model_card

    torch.set_num_threads(2)
    dest = Path(dest)
    tok, te, unet, vae, ck = load_trained(use_ema)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=te, tokenizer=tok, unet=unet, scheduler=make_scheduler(),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    preview = fit_preview(vae)
    tmp = dest.with_name("." + dest.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    pipe.to(torch.float16)
    pipe.save_pretrained(tmp, safe_serialization=True)
    # transformers 5 loads in the saved dtype by default: record float32 so a plain
    # from_pretrained gives an all-fp32 pipeline (weights stay fp16 on disk).
    te_cfg_path = tmp / "text_encoder" / "config.json"
    te_cfg = json.loads(te_cfg_path.read_text())
    for key in ("dtype", "torch_dtype"):
        if key in te_cfg:
            te_cfg[key] = "float32"
    te_cfg_path.write_text(json.dumps(te_cfg, indent=2) + "\n")
    (tmp / "studio_preview.json").write_text(json.dumps(preview, indent=2) + "\n")
    vae_info = json.loads((state.vae_final_dir() / "train_info.json").read_text())
    step, samples, runs, hours = history(ck)
    info = {
        "unet_step": step,
        "samples_seen": samples,
        "prediction_type": ck.get("prediction_type", "epsilon"),
        "train_args": ck.get("args", {}),
        "train_runs": runs,
        "scaling_factor": float(ck["scaling_factor"]),
        "unet_train_hours": hours,
        "vae_train_hours": round(vae_info.get("train_hours", 0.0) + state.training_hours("vae"), 2),
        "vae_psnr_db": vae_info.get("psnr_db"),
        "vae_judge_ceiling": vae_info.get("judge_ceiling"),
        "vae_step": vae_info.get("step"),
        "ema": use_ema,
        "exported_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "preview_fit_rmse": preview["fit_rmse"],
        "params": {
            "text_encoder": sum(p.numel() for p in te.parameters()),
            "unet": sum(p.numel() for p in unet.parameters()),
            "vae": sum(p.numel() for p in vae.parameters()),
        },
    }
    (tmp / "studio_train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    # An evaluation belongs to the weights it measured; an older one is kept but marked stale.
    old_eval = dest / "studio_eval.json"
    if keep_eval and old_eval.exists():
        ev = json.loads(old_eval.read_text())
        ev["stale"] = ev.get("unet_step") != step
        (tmp / "studio_eval.json").write_text(json.dumps(ev, indent=2) + "\n")
    write_model_card(tmp)
    info["folder_bytes"] = folder_size(tmp)
    (tmp / "studio_train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    write_model_card(tmp)
    if (dest / "preview_decoder").is_dir():  # trained separately (train-preview-decoder): keep it
        shutil.copytree(dest / "preview_decoder", tmp / "preview_decoder")
    state.replace_folder(tmp, dest)
    print(f"exported step {step} to {dest} ({info['folder_bytes'] / 1e6:.1f} MB)")
    return dest
