"""Train the starter's tiny preview decoder: scaled latents -> what the real VAE decodes.

Data (built once, in chunks, under the training-state folder; a restart keeps
the chunks it has): latents of fresh renders (the encoder's mode, the latents
the UNet learned) and the scheduler's x0 predictions at random steps of real
sampling runs (the blurry, off-manifold latents previews actually show). The
target of every latent is the starter VAE's own decode of it, so the preview
converges on the final image, not on the render. Loss: MSE + L1 + edge term.
Checkpoints every few minutes and resumes; the best decoder on a held-out set
(eval-split renders and x0s of eval prompts) is exported as fp16 safetensors
to ``<model>/preview_decoder/``.
"""
from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from . import state
from .data import scene_batch
from .recipe import DEFAULT_DEST

POOL = "preview_pool"
EVAL = "eval.pt"
CKPT = "preview_decoder_ckpt.pt"
SUBFOLDER = "preview_decoder"


def _pool_dir() -> Path:
    path = state.state_dir() / POOL
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_model(folder: Path):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(folder), local_files_only=True, safety_checker=None,
                                                   requires_safety_checker=False)
    pipe.to(torch.float32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _targets(vae, latents: torch.Tensor) -> torch.Tensor:
    """uint8 NHWC decode of scaled latents."""
    sf = float(vae.config.scaling_factor)
    img = torch.cat([vae.decode(latents[i:i + 16] / sf).sample for i in range(0, len(latents), 16)])
    return ((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


@torch.no_grad()
def render_chunk(pipe, rng: random.Random, n: int, split: str = "train") -> dict:
    _, x = scene_batch(rng, n, split)
    vae = pipe.vae
    z = torch.cat([vae.encode(x[i:i + 16]).latent_dist.mode() for i in range(0, n, 16)]) * vae.config.scaling_factor
    return {"latents": z.half(), "targets": _targets(vae, z), "kind": "render"}


@torch.no_grad()
def x0_chunk(pipe, rng: random.Random, runs: int, per_run: int, split: str = "train") -> dict:
    """x0 predictions at ``per_run`` random steps of ``runs`` sampling runs (Euler, CFG 1.5)."""
    from studio.engine.preview import X0Tap
    from studio.engine.schedulers import make_scheduler

    from .captions import caption, sample_scene

    config = dict(pipe.scheduler.config)
    latents = []
    for _ in range(runs):
        scene = sample_scene(rng, split)
        steps = rng.choice((10, 20, 20, 30))
        pipe.scheduler = make_scheduler(rng.choice(("Euler", "Euler", "DPM++ 2M")), config)
        tap = X0Tap(pipe.scheduler)
        keep = set(rng.sample(range(steps), per_run))
        seen = []

        def on_step(p, i, t, kwargs, keep=keep, seen=seen, tap=tap):
            if i in keep:
                seen.append((tap.latest if tap.latest is not None else kwargs["latents"])[:1].clone())
            return kwargs

        pipe(prompt=caption(scene, rng), num_inference_steps=steps, guidance_scale=rng.choice((1.5, 1.5, 3.0)),
             generator=torch.Generator().manual_seed(rng.randrange(2**31)), output_type="latent",
             callback_on_step_end=on_step)
        latents += seen
    z = torch.cat(latents)
    return {"latents": z.half(), "targets": _targets(pipe.vae, z), "kind": "x0"}


def build_pool(pipe, minutes: float, log, seed: int) -> None:
    """Add chunks (two render chunks to one x0 chunk) for ``minutes``; existing chunks stay."""
    folder = _pool_dir()
    if not (folder / EVAL).exists():
        rng = random.Random(seed + 999)
        ev = [render_chunk(pipe, rng, 64, "eval"), x0_chunk(pipe, rng, 12, 4, "eval")]
        state.atomic_torch_save({k: torch.cat([c[k] for c in ev]) for k in ("latents", "targets")}, folder / EVAL)
        log.log("preview decoder: eval set built (64 renders, 48 x0 predictions)")
    t0 = time.time()
    while (time.time() - t0) / 60 < minutes:
        index = len(list(folder.glob("chunk-*.pt")))
        rng = random.Random(seed * 100_003 + index)
        chunk = x0_chunk(pipe, rng, 8, 4) if index % 3 == 2 else render_chunk(pipe, rng, 32)
        state.atomic_torch_save(chunk, folder / f"chunk-{index:04d}.pt")
        log.log(f"preview decoder: pool chunk {index} ({chunk['kind']}, {len(chunk['latents'])} latents)")


def load_pool() -> tuple[torch.Tensor, torch.Tensor]:
    chunks = [torch.load(p, weights_only=False) for p in sorted(_pool_dir().glob("chunk-*.pt"))]
    if not chunks:
        raise SystemExit("preview decoder: no training data yet (give --data-minutes > 0)")
    return torch.cat([c["latents"] for c in chunks]), torch.cat([c["targets"] for c in chunks])


def to_image(targets: torch.Tensor) -> torch.Tensor:
    return targets.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    mse = F.mse_loss((pred.clamp(-1, 1) + 1) / 2, (target + 1) / 2).item()
    return 10 * math.log10(1.0 / max(mse, 1e-10))


@torch.no_grad()
def evaluate(model, ev: dict) -> dict:
    model.eval()
    z, y = ev["latents"].float(), to_image(ev["targets"])
    pred = torch.cat([model(z[i:i + 32]) for i in range(0, len(z), 32)])
    model.train()
    return {"psnr_renders": psnr(pred[:64], y[:64]), "psnr_x0": psnr(pred[64:], y[64:]), "psnr": psnr(pred, y)}


def write_info(dest: Path, **info) -> None:
    """train_info.json beside the exported decoder (the model card reads it)."""
    import json

    rounded = {k: round(v, 2) if isinstance(v, float) else v for k, v in info.items()}
    state.atomic_write_text(Path(dest) / "train_info.json", json.dumps(rounded, indent=2) + "\n")


def card_lines(folder: Path) -> str:
    """The model card's lines on the preview decoder ("" when the folder has none)."""
    import json

    dest = Path(folder) / SUBFOLDER
    if not (dest / "config.json").is_file():
        return ""
    from studio.engine.preview_decoder import load_folder

    params = sum(p.numel() for p in load_folder(dest).parameters())
    info = json.loads((dest / "train_info.json").read_text()) if (dest / "train_info.json").is_file() else {}
    size = sum(p.stat().st_size for p in dest.iterdir() if p.is_file())
    return (f"\n- `{SUBFOLDER}/`: tiny preview decoder (scaled latents -> RGB at full size, sub-pixel convolutions, "
            f"{params / 1e3:.0f}k params, fp16, {size / 1e3:.0f} kB) trained to match this VAE's decode; the app uses it for "
            f"live previews (linear map as fallback). Held-out PSNR vs the VAE's decode: {info.get('psnr_renders', 'n/a')} dB "
            f"on render latents, {info.get('psnr_x0', 'n/a')} dB on x0 predictions of sampling runs "
            f"(step {info.get('step', 'n/a')}, {info.get('pool', 'n/a')} training latents).")


def edge_loss(y, x):
    return ((y[..., :, 1:] - y[..., :, :-1]) - (x[..., :, 1:] - x[..., :, :-1])).abs().mean() + \
        ((y[..., 1:, :] - y[..., :-1, :]) - (x[..., 1:, :] - x[..., :-1, :])).abs().mean()


def train(args) -> None:
    from studio.engine.preview_decoder import StudioPreviewDecoder

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    log = state.Logger("preview_decoder")
    t_start = time.time()
    if args.data_minutes > 0:  # the model is needed only to make data
        build_pool(load_model(args.folder), args.data_minutes, log, args.seed)
    if args.data_only:
        return
    latents, targets = load_pool()
    ev = torch.load(_pool_dir() / EVAL, weights_only=False)
    log.log(f"preview decoder: {len(latents)} training latents")
    model = StudioPreviewDecoder(channels=args.channels, blocks=args.blocks, fine_channels=args.fine_channels,
                                 fine_blocks=args.fine_blocks, head_kernel=args.head_kernel, out_kernel=args.out_kernel)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    step, best = 0, -1.0
    rng = random.Random(args.seed)
    ck_path = state.state_dir() / CKPT
    ck = state.load_ckpt(ck_path)
    if ck is not None and ck.get("config") == model.config:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, best = ck["step"], ck["best"]
        rng.setstate(ck["rng"])
        log.log(f"preview decoder: resumed at step {step} (best eval PSNR {best:.2f} dB)")
    elif args.init_from is not None:
        from studio.engine.preview_decoder import load_folder

        start = load_folder(args.init_from)
        config = getattr(start, "config", None)  # a TAESD folder has none of Studio's settings
        if config != model.config:
            raise SystemExit(f"--init-from {args.init_from}: its config differs from this run's ({config})")
        model.load_state_dict(start.state_dict())
        best = evaluate(model, ev)["psnr"]
        log.log(f"preview decoder: starts from {args.init_from} (eval PSNR {best:.2f} dB)")
    else:
        log.log(f"preview decoder: new, {sum(p.numel() for p in model.parameters()) / 1e3:.0f}k params, {model.config}")
    dest = Path(args.folder) / SUBFOLDER
    budget = args.max_minutes * 60 - (time.time() - t_start)
    t_train, t_ck = time.time(), time.time()
    while True:
        elapsed = time.time() - t_train
        done = elapsed >= budget or step >= args.max_steps
        # cosine to 5% over this run's time budget
        frac = min(1.0, elapsed / max(budget, 1.0))
        for g in opt.param_groups:
            g["lr"] = args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac))) * min(1.0, (step + 1) / 100)
        if not done:
            idx = torch.tensor([rng.randrange(len(latents)) for _ in range(args.batch)])
            z, y = latents[idx].float(), to_image(targets[idx])
            pred = model(z)
            loss = F.mse_loss(pred, y) + args.l1 * (pred - y).abs().mean() + args.edge * edge_loss(pred, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 100 == 0:
                log.log(f"preview decoder step {step} lr {opt.param_groups[0]['lr']:.1e} loss {loss.item():.4f}")
        if step % args.eval_every == 0 or done:
            result = evaluate(model, ev)
            log.log(f"preview decoder step {step} eval PSNR {result['psnr']:.2f} dB (renders {result['psnr_renders']:.2f}, "
                    f"x0 {result['psnr_x0']:.2f})")
            log.status(step=step, **result, best=max(best, result["psnr"]), time=time.time())
            if result["psnr"] > best:
                best = result["psnr"]
                model.save(dest)
                write_info(dest, step=step, pool=len(latents), minutes=(time.time() - t_start) / 60, **result)
        if time.time() - t_ck > args.ckpt_minutes * 60 or done:
            state.atomic_torch_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "best": best,
                                     "rng": rng.getstate(), "config": model.config}, ck_path)
            t_ck = time.time()
        if done:
            log.log(f"preview decoder done at step {step}: best eval PSNR {best:.2f} dB, exported to {dest}")
            return


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--folder", type=Path, default=DEFAULT_DEST, help="the model folder (decoder goes to its preview_decoder/)")
    p.add_argument("--max-minutes", type=float, default=40.0, help="all of it: data and training")
    p.add_argument("--data-minutes", type=float, default=12.0, help="time spent adding training data first")
    p.add_argument("--data-only", action="store_true", help="only add training data (then stop)")
    p.add_argument("--max-steps", type=int, default=10**9)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--l1", type=float, default=0.5, help="weight of the L1 term (MSE has 1)")
    p.add_argument("--edge", type=float, default=0.5, help="weight of the gradient (edge) term")
    p.add_argument("--init-from", type=Path, default=None,
                   help="start from an exported decoder folder of the same config (e.g. the bundled one)")
    p.add_argument("--channels", type=int, default=48)
    p.add_argument("--head-kernel", type=int, default=1)
    p.add_argument("--out-kernel", type=int, default=3)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--fine-channels", type=int, default=16)
    p.add_argument("--fine-blocks", type=int, default=1)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--ckpt-minutes", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
