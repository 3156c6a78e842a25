"""Train the starter text encoder + UNet jointly from scratch on VAE latents.

Data: a ring buffer ("pool") of encoded training scenes. It is filled once at
the start (VAE encoding is the slow part on a CPU) and then refreshed with a
few newly rendered and encoded scenes every step, so the data never goes stale.
Captions are generated anew every time a scene is drawn (10% empty for
classifier-free guidance).

Objective: v-prediction on the SD 1.5 betas rescaled to zero terminal SNR
(model_configs.scheduler_config says why), min-SNR-style weighting, offset noise (helps flat backgrounds of any brightness), EMA of all weights.
Part of every batch draws its timesteps from the noisy half of the schedule,
where the layout (which colour goes where) is decided; the last minutes of a
timed run decay the learning rate.
State is checkpointed atomically every few minutes and training resumes from it.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import random
import signal
import time

import torch
import torch.nn.functional as F

from . import state
from .unet_args import add_args  # noqa: F401  (train_unet.add_args)
from .recipe import COMMON_ARGS, LAYOUT_STAGE, MAIN_STAGE, PAIRS_STAGE  # noqa: F401  (train_unet.MAIN_STAGE...)
from .captions import caption, sample_scene
from .data import to_tensor
from .model_configs import scheduler_config, text_encoder_config, unet_config
from .palette import SceneSpec
from .render import render
from .tokenizer import MAX_LENGTH, load_tokenizer, write_tokenizer


def ensure_tokenizer():
    """The state dir's tokenizer is the source of truth (the text encoder's ids depend on it)."""
    folder = state.tokenizer_dir()
    if not (folder / "vocab.json").exists():
        write_tokenizer(folder)
    return load_tokenizer(folder)


def load_vae():
    from diffusers import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(state.vae_final_dir())
    vae.eval().requires_grad_(False)
    return vae


def build_models(tok):
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    te_cfg = text_encoder_config(len(tok), tok.bos_token_id, tok.eos_token_id, tok.pad_token_id)
    te = CLIPTextModel(CLIPTextConfig(**te_cfg))
    unet = UNet2DConditionModel(**unet_config(te_cfg["hidden_size"]))
    return te, unet


def adopt_vae(folder) -> None:
    """On a machine with no training state, take the VAE (as fp32) of an exported starter folder
    as vae_final, so a warm-started run trains in the same latent space as the model it continues."""
    import json
    from pathlib import Path

    from diffusers import AutoencoderKL

    from .train_vae import save_final

    folder = Path(folder)
    vae = AutoencoderKL.from_pretrained(folder, subfolder="vae", local_files_only=True).float()
    try:
        info = json.loads((folder / "studio_train_info.json").read_text())
    except (OSError, ValueError):
        info = {}
    save_final(vae, info.get("vae_psnr_db") or 0.0, info.get("vae_step") or 0, info.get("vae_judge_ceiling"),
               train_hours=info.get("vae_train_hours"))


def warm_start(te, unet, folder) -> None:
    """Initialise the text encoder and UNet from an exported starter folder (e.g. the bundled model)."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel

    src_te = CLIPTextModel.from_pretrained(folder, subfolder="text_encoder", local_files_only=True)
    src_unet = UNet2DConditionModel.from_pretrained(folder, subfolder="unet", local_files_only=True)
    te.load_state_dict({k: v.float() for k, v in src_te.state_dict().items()})
    unet.load_state_dict({k: v.float() for k, v in src_unet.state_dict().items()})


def prior_training(folder) -> dict:
    """What an exported model's own training was (its studio_train_info.json), so a warm-started
    run's model card can tell the whole history."""
    import json
    from pathlib import Path

    path = Path(folder) / "studio_train_info.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    prior = {k: info.get(k) for k in ("unet_step", "samples_seen", "unet_train_hours", "train_runs", "prior")}
    prior["prediction_type"] = info.get("prediction_type", "epsilon")
    return prior


# The three UNet stages of the recipe (the card's retrain commands and `all` are built from these).
def sample_timesteps(n: int, total: int, high_frac: float, high_min: int) -> torch.Tensor:
    """Uniform timesteps, except a high_frac share drawn from [high_min, total) (layout-deciding noise)."""
    t = torch.randint(0, total, (n,))
    high = torch.rand(n) < high_frac
    t[high] = torch.randint(high_min, total, (int(high.sum()),))
    return t


def learning_rate(args, step: int, minutes_run: float) -> float:
    """Warm-up, constant, then (timed runs) a cosine decay to 10% over the last --decay-minutes."""
    lr = args.lr * min(1.0, (step + 1) / args.warmup)
    if args.decay_minutes > 0 and args.max_minutes != float("inf"):
        start = args.max_minutes - args.decay_minutes
        if minutes_run > start:
            frac = min(1.0, (minutes_run - start) / args.decay_minutes)
            lr *= 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac))
    return lr


def make_scheduler():
    from diffusers import DDPMScheduler

    cfg = {k: v for k, v in scheduler_config().items() if not k.startswith("_")}
    return DDPMScheduler.from_config(cfg)


def loss_target(sched, z0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, gamma: float):
    """(target, per-sample weight) for the scheduler's prediction type.

    epsilon: min-SNR-gamma weights. v_prediction: the plain v loss where SNR <= gamma
    (it stays finite at zero terminal SNR, where v = -x0 and the model must draw the
    layout from the text alone) and gamma/SNR above, the min-SNR cut for clean steps.
    """
    acp = sched.alphas_cumprod[t]
    snr = acp / (1 - acp)
    if sched.config.prediction_type == "v_prediction":
        w = torch.where(snr > gamma, gamma / snr.clamp(min=1e-8), torch.ones_like(snr))
        return sched.get_velocity(z0, noise, t), w
    return noise, torch.clamp(snr, max=gamma) / snr


@torch.no_grad()
def encode_scenes(vae, scenes: list[SceneSpec], chunk: int = 64) -> torch.Tensor:
    out = []
    for i in range(0, len(scenes), chunk):
        x = to_tensor([render(s) for s in scenes[i:i + chunk]])
        out.append(vae.encode(x).latent_dist.mode())
    return torch.cat(out)


class Pool:
    """Ring buffer of (scene spec, unscaled latent)."""

    def __init__(self, latents: torch.Tensor, specs: list[dict], scaling_factor: float, pos: int = 0):
        self.latents = latents  # N x 4 x 16 x 16, float16
        self.specs = specs
        self.scaling_factor = scaling_factor
        self.pos = pos

    @classmethod
    def create(cls, vae, size: int, rng: random.Random, log) -> "Pool":
        scenes, lat = [], []
        t0 = time.time()
        for start in range(0, size, 256):
            batch = [sample_scene(rng) for _ in range(min(256, size - start))]
            scenes += batch
            lat.append(encode_scenes(vae, batch).half())
            log.log(f"pool: encoded {len(scenes)}/{size} ({len(scenes) / (time.time() - t0):.1f} img/s)")
        lat = torch.cat(lat)
        sf = float(1.0 / lat.float().std())
        log.log(f"pool ready: latent mean {lat.float().mean():.4f} std {lat.float().std():.4f} -> scaling_factor {sf:.5f}")
        return cls(lat, [s.to_dict() for s in scenes], sf)

    def state(self) -> dict:
        return {"latents": self.latents, "specs": self.specs, "scaling_factor": self.scaling_factor, "pos": self.pos}

    def refresh(self, vae, n: int, rng: random.Random) -> None:
        if n <= 0:
            return
        scenes = [sample_scene(rng) for _ in range(n)]
        lat = encode_scenes(vae, scenes).half()
        for s, z in zip(scenes, lat):
            self.latents[self.pos] = z
            self.specs[self.pos] = s.to_dict()
            self.pos = (self.pos + 1) % len(self.specs)

    def batch(self, n: int, rng: random.Random, one_object_frac: float = 0.0,
              two_object_frac: float = 0.0) -> tuple[list[SceneSpec], torch.Tensor]:
        """n random scenes; about one_object_frac of them from the one-object scenes and
        two_object_frac from the two-object scenes (the rest: the pool's own mix)."""
        idx = [rng.randrange(len(self.specs)) for _ in range(n)]
        if one_object_frac > 0 or two_object_frac > 0:
            by_count: dict[int, list[int]] = {1: [], 2: []}
            for i, s in enumerate(self.specs):
                by_count.setdefault(len(s["objects"]), []).append(i)
            for k, i in enumerate(idx):
                r = rng.random()
                if r < one_object_frac and by_count[1]:
                    idx[k] = rng.choice(by_count[1])
                elif one_object_frac <= r < one_object_frac + two_object_frac and by_count[2]:
                    idx[k] = rng.choice(by_count[2])
        return [SceneSpec.from_dict(self.specs[i]) for i in idx], self.latents[idx].float()


def tokenize(tok, texts: list[str]) -> torch.Tensor:
    return tok(texts, padding="max_length", max_length=MAX_LENGTH, truncation=True, return_tensors="pt").input_ids


class EMA:
    def __init__(self, params: list[torch.Tensor], shadow: list[torch.Tensor] | None = None):
        self.params = params
        self.shadow = shadow if shadow is not None else [p.detach().clone() for p in params]

    @torch.no_grad()
    def update(self, step: int, max_decay: float) -> None:
        d = min(max_decay, (1 + step) / (10 + step))
        torch._foreach_mul_(self.shadow, d)
        torch._foreach_add_(self.shadow, [p.detach() for p in self.params], alpha=1 - d)


def ema_state_dicts(te, unet, ema: EMA) -> tuple[dict, dict]:
    """State dicts of te and unet with EMA values substituted for the parameters."""
    names = [("te", n) for n, _ in te.named_parameters()] + [("unet", n) for n, _ in unet.named_parameters()]
    te_sd, unet_sd = dict(te.state_dict()), dict(unet.state_dict())
    for (which, n), v in zip(names, ema.shadow):
        (te_sd if which == "te" else unet_sd)[n] = v.clone()
    return te_sd, unet_sd


def save_checkpoint(path, te, unet, ema, opt, step, rng, pool, extra) -> None:
    state.atomic_torch_save(pool.state(), state.latents_pool())
    state.atomic_torch_save(
        {
            "te": te.state_dict(), "unet": unet.state_dict(), "ema": ema.shadow, "opt": opt.state_dict(),
            "step": step, "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
            "scaling_factor": pool.scaling_factor, "te_config": te.config.to_dict(),
            "unet_config": dict(unet.config), **extra,
        },
        path,
    )


@contextlib.contextmanager
def stop_requested():
    """SIGTERM/SIGINT set the yielded flag (the loop ends after its step and writes the checkpoint)."""
    stop: list[bool] = []
    previous = {sig: signal.signal(sig, lambda *_: stop.append(True)) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def train(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    log = state.Logger("unet")
    tok = ensure_tokenizer()
    if args.init_from is not None and not state.vae_final_dir().exists():
        adopt_vae(args.init_from)
        log.log(f"vae_final taken from {args.init_from}/vae (no VAE training state on this machine)")
    vae = load_vae()
    te, unet = build_models(tok)
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.999))
    rng = random.Random(args.seed)
    step, samples_seen = 0, 0
    prior: dict = {}
    ck = state.load_ckpt(state.unet_ckpt())
    pool_state = state.load_ckpt(state.latents_pool())
    fingerprint = state.vae_encoder_fingerprint()
    sched_cfg = scheduler_config()
    if ck is not None and "vae_encoder_sha256" in ck:
        vae_ok = ck["vae_encoder_sha256"] == fingerprint
    else:  # older checkpoints stored the hash of the whole VAE file
        vae_ok = ck is None or ck.get("vae_sha256") in (None, state.vae_fingerprint())
    if ck is not None and ck.get("prediction_type", "epsilon") != sched_cfg["prediction_type"]:
        raise SystemExit(f"unet_ckpt.pt was trained for {ck.get('prediction_type', 'epsilon')} prediction, the "
                         f"schedule now is {sched_cfg['prediction_type']}: move unet_ckpt.pt and latent_pool.pt "
                         "away and start a new run (--init-from the bundled model keeps what it learned).")
    if not vae_ok:
        raise SystemExit("the VAE in vae_final/ changed since this UNet checkpoint was made: its latents no longer "
                         "match. Move unet_ckpt.pt and latent_pool.pt away to start the UNet afresh.")
    if ck is not None and pool_state is not None:
        te.load_state_dict(ck["te"])
        unet.load_state_dict(ck["unet"])
        opt.load_state_dict(ck["opt"])
        ema = EMA(params, ck["ema"])
        step, samples_seen = ck["step"], ck.get("samples_seen", 0)
        prior = ck.get("prior", {})
        rng.setstate(ck["rng"])
        torch.set_rng_state(ck["torch_rng"])
        pool = Pool(pool_state["latents"], pool_state["specs"], pool_state["scaling_factor"], pool_state["pos"])
        log.log(f"resumed at step {step} (pool {len(pool.specs)}, scaling_factor {pool.scaling_factor:.5f})")
    else:
        if args.init_from is not None:
            warm_start(te, unet, args.init_from)
            prior = prior_training(args.init_from)
            log.log(f"warm start from {args.init_from} ({prior.get('unet_train_hours', 0)} h, step {prior.get('unet_step')})")
        ema = EMA(params)
        log.log(f"new run: text encoder {sum(p.numel() for p in te.parameters()) / 1e6:.2f}M, "
                f"unet {sum(p.numel() for p in unet.parameters()) / 1e6:.2f}M params; args {vars(args)}")
        pool = Pool.create(vae, args.pool_size, rng, log)
    # every start or resume with its settings, so the model card can tell the whole story
    runs = (ck or {}).get("runs") or ([{"from_step": 0, "args": ck["args"]}] if ck and "args" in ck else [])
    runs = runs + [{"from_step": step, "args": {k: v for k, v in vars(args).items() if v != float("inf")}}]
    sched = make_scheduler()

    def checkpoint_extra() -> dict:
        return {"samples_seen": samples_seen, "args": vars(args), "runs": runs, "vae_encoder_sha256": fingerprint,
                "prediction_type": sched_cfg["prediction_type"], "prior": prior}

    te.train()
    unet.train()
    t_ck, t_log, losses = time.time(), time.time(), []
    t_run = time.time()
    with stop_requested() as stop:
        while not stop and step < args.max_steps and (time.time() - t_run) / 60 < args.max_minutes:
            pool.refresh(vae, args.refresh, rng)
            scenes, z0 = pool.batch(args.batch, rng, args.one_object_frac, args.two_object_frac)
            texts = ["" if rng.random() < args.p_empty else caption(s, rng, drop=rng.random() >= args.full_caption_frac)
                     for s in scenes]
            ids = tokenize(tok, texts)
            z0 = z0 * pool.scaling_factor
            noise = torch.randn_like(z0) + args.offset_noise * torch.randn(z0.shape[0], z0.shape[1], 1, 1)
            t = sample_timesteps(z0.shape[0], sched.config.num_train_timesteps, args.high_t_frac, args.high_t_min)
            zt = sched.add_noise(z0, noise, t)
            lr = learning_rate(args, step, (time.time() - t_run) / 60)
            for g in opt.param_groups:
                g["lr"] = lr
            h = te(ids)[0]
            pred = unet(zt, t, h).sample
            target, w = loss_target(sched, z0, noise, t, args.min_snr)
            loss = (F.mse_loss(pred, target, reduction="none").mean(dim=(1, 2, 3)) * w).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            samples_seen += z0.shape[0]
            ema.update(step, args.ema_decay)
            losses.append(loss.item())
            if step % args.log_every == 0:
                _apply_control(log)
                dt = (time.time() - t_log) / args.log_every
                avg = sum(losses) / len(losses)
                log.log(f"step {step} loss {avg:.4f} lr {lr:.2e} {dt:.2f} s/step samples {samples_seen}")
                log.status(step=step, loss=avg, s_per_step=dt, samples_seen=samples_seen, time=time.time())
                losses, t_log = [], time.time()
            if time.time() - t_ck > args.ckpt_minutes * 60:
                save_checkpoint(state.unet_ckpt(), te, unet, ema, opt, step, rng, pool, checkpoint_extra())
                t_ck = time.time()
                log.log(f"checkpoint at step {step}")
    save_checkpoint(state.unet_ckpt(), te, unet, ema, opt, step, rng, pool, checkpoint_extra())
    log.log(f"stopped at step {step}; checkpoint written")


def _apply_control(log) -> None:
    """``unet_control.json`` in the state dir (e.g. {"threads": 1}) adjusts a running job: give a core to another job."""
    path = state.state_dir() / "unet_control.json"
    if not path.exists():
        return
    try:
        import json

        threads = int(json.loads(path.read_text()).get("threads", 0))
    except (ValueError, OSError, AttributeError):
        return
    if threads > 0 and threads != torch.get_num_threads():
        torch.set_num_threads(threads)
        log.log(f"now {threads} torch thread(s) ({path.name})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    add_args(ap)
    train(ap.parse_args())
