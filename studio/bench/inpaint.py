"""Benchmark: "only masked" inpainting vs whole-picture inpainting of a small mask.

``run(report, model=None)`` inpaints the same small mask on a large image twice
through :meth:`Engine.generate`: once repainting the whole picture at the
image's size, once cropping the mask's neighbourhood and generating at the
model's native size. With ``model=None`` it uses the bundled starter model when
present, else a tiny random-weight SD pipeline built in a temporary folder
(timings then show the procedure's overhead, not a real model's). It also times
the mask maths alone (feather, crop plan) on a 2048x2048 mask.

``report(name, value, unit)`` gets each figure; the figures are also returned.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

Report = Callable[[str, float, str], None]


def _tiny_model(folder: Path) -> Path:
    """A random-weight SD-shaped pipeline (8x VAE, 64x64 native), like the test fixtures."""
    import json
    import string

    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    tok = folder / "_tok"
    tok.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "!": 1, "<|endoftext|>": 2}
    for ch in sorted(set(string.ascii_lowercase + string.digits + string.punctuation)):
        for t in (ch, ch + "</w>"):
            vocab.setdefault(t, len(vocab))
    (tok / "vocab.json").write_text(json.dumps(vocab))
    (tok / "merges.txt").write_text("#version: 0.2\n")
    (tok / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 77, "pad_token": "!"}))
    pipe = StableDiffusionPipeline(
        unet=UNet2DConditionModel(
            block_out_channels=(16, 32), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=32, norm_num_groups=8, attention_head_dim=4,
        ),
        vae=AutoencoderKL(
            block_out_channels=[8, 8, 8, 8], in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=4,
            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
            layers_per_block=1, sample_size=64,
        ),
        text_encoder=CLIPTextModel(CLIPTextConfig(
            bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=32, intermediate_size=37,
            num_attention_heads=4, num_hidden_layers=2, vocab_size=200, max_position_embeddings=77,
        )),
        tokenizer=CLIPTokenizer.from_pretrained(tok, local_files_only=True),
        scheduler=EulerDiscreteScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, steps_offset=1),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def _pick_model(model: str | None, tmp: Path) -> tuple[str, str]:
    from studio import paths

    if model:
        return model, Path(model).name
    if (paths.starter_model_dir() / "model_index.json").is_file():
        return "starter", "starter"
    return str(_tiny_model(tmp / "tiny-sd")), "tiny random SD (no starter model installed)"


def mask_maths(size: int = 2048) -> dict:
    from studio.engine import masks as M
    from studio.engine.inpaint import InpaintPlan
    from studio.engine.request import GenerationRequest

    mask = M.new_mask(size, size)
    M.stamp_segment(mask, (size * 0.4, size * 0.45), (size * 0.55, size * 0.5), radius=size / 40)
    img = np.zeros((size, size, 3), np.uint8)
    req = GenerationRequest(mode="inpaint", init_image=img, mask=mask, inpaint_area="only_masked", mask_blur=8)
    out = {}
    t = time.perf_counter()
    M.feather(mask, 8)
    out["feather_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    M.grow(mask, 16)
    out["grow16_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    InpaintPlan(req, (512, 512))
    out["plan_ms"] = (time.perf_counter() - t) * 1000
    return out


def only_masked_vs_whole(model: str | None = None, size: int = 512, steps: int = 10) -> dict:
    from studio.engine.generator import Engine, EngineSettings
    from studio.engine.request import GenerationRequest

    with tempfile.TemporaryDirectory() as tmp:
        spec, label = _pick_model(model, Path(tmp))
        engine = Engine(EngineSettings(device="auto"))
        info = engine.load(None if spec == "starter" else spec)
        yy, xx = np.mgrid[0:size, 0:size]
        img = np.stack([xx * 255 // size, yy * 255 // size, np.full_like(xx, 90)], axis=-1).astype(np.uint8)
        mask = np.zeros((size, size), np.uint8)
        s = max(8, size // 10)  # a small mask: 10% of the side
        mask[size // 2 - s // 2 : size // 2 + s // 2, size // 3 : size // 3 + s] = 255
        out = {"model": label, "image": f"{size}x{size}", "mask_px": int((mask > 0).sum()), "steps": steps,
               "native": f"{info.native_width}x{info.native_height}"}
        for area in ("whole", "only_masked"):
            req = GenerationRequest(
                prompt="a red star", model=None if spec == "starter" else spec, mode="inpaint", init_image=img,
                mask=mask, steps=steps, strength=1.0, seed=1, inpaint_area=area, inpaint_padding=32,
            )
            engine.generate(req.replace(steps=2))  # warm-up (pipeline creation, caches)
            t = time.perf_counter()
            (res,) = engine.generate(req)
            out[f"{area}_s"] = time.perf_counter() - t
            out[f"{area}_gen_size"] = "x".join(map(str, res.extra["gen_size"]))
        out["speedup"] = out["whole_s"] / max(out["only_masked_s"], 1e-9)
        return out


def run(report: Report | None = None, *, model: str | None = None, quick: bool = False) -> dict:
    report = report or (lambda name, value, unit: print(f"{name}: {value:.3f} {unit}"))
    maths = mask_maths(1024 if quick else 2048)
    for k, v in maths.items():
        report(f"mask maths {k[:-3]} ({1024 if quick else 2048}px)", v, "ms")
    res = only_masked_vs_whole(model, size=256 if quick else 512, steps=4 if quick else 10)
    tag = f"[{res['model']}, {res['image']}, mask {res['mask_px']} px, {res['steps']} steps]"
    report(f"inpaint whole picture at {res['whole_gen_size']} {tag}", res["whole_s"], "s")
    report(f"inpaint only masked at {res['only_masked_gen_size']} {tag}", res["only_masked_s"], "s")
    report("inpaint only-masked speed-up", res["speedup"], "x")
    return {"maths": maths, "inpaint": res}


if __name__ == "__main__":
    run()
