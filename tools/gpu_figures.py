"""The GPU figures of issue 25, measured in one run (one device call, well under 10 minutes on one GPU).

    python tools/gpu_figures.py --out "$OUT"            # on a CUDA machine
    python tools/gpu_figures.py --smoke --out /tmp/gf   # the same code on CPU with a tiny pipeline

An SD1.5-architecture pipeline with random weights is built from
``resources/configs/sd1`` (no download: speed does not depend on the weights)
and saved in fp16, so the engine loads it through its real loader. Measured,
at 512x512, 25 steps, fp16:

* ``engine_vs_bare``: the engine with a preview every step vs a bare diffusers
  call with the same scheduler (target ratio <= 1.02);
* ``batch4``: a batch of 4 in one forward pass (one CPU generator per seed, so
  each image keeps its seed's noise) vs 4 single runs; the largest pixel
  difference between batch image i and the single run of seed i;
* ``compile``: ``torch.compile`` of the UNet: first-call cost and steady speed-up;
* ``vae_tiling``: peak memory of a 2048x2048 generation (2 steps) with and without VAE tiling;
* ``server``: throughput of 8 concurrent clients through ``studio serve`` on loopback vs in-process.

Every section's figures are written to ``<out>/gpu_figures.json`` as soon as
they exist, so a run cut short keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402

PROMPT = "a lighthouse on a cliff at sunset, oil painting"


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def build_sd15(folder: Path, device: str) -> Path:
    """SD1.5's UNet, VAE and CLIP text encoder from the bundled configs, random weights, saved in fp16."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    cfg = ROOT / "resources" / "configs" / "sd1"
    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(cfg / "unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(cfg / "vae"))
        text = CLIPTextModel(CLIPTextConfig.from_pretrained(cfg / "text_encoder"))
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text, tokenizer=CLIPTokenizer.from_pretrained(cfg / "tokenizer", model_max_length=77),
        unet=unet, scheduler=EulerDiscreteScheduler.from_pretrained(cfg / "scheduler"),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.to(torch.float16).save_pretrained(folder)
    return folder


def timed(fn, device: str) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def median_time(fn, device: str, runs: int) -> float:
    return statistics.median(timed(fn, device) for _ in range(runs))


class Figures:
    def __init__(self, out: Path):
        self.out = out
        self.data: dict = {"torch": torch.__version__}
        if torch.cuda.is_available():
            self.data["gpu"] = torch.cuda.get_device_name(0)
        out.mkdir(parents=True, exist_ok=True)

    def put(self, section: str, values: dict) -> None:
        self.data[section] = values
        (self.out / "gpu_figures.json").write_text(json.dumps(self.data, indent=2))
        print(section, json.dumps(values), flush=True)


def section_engine_vs_bare(engine, pipe, model_dir, size, steps, runs, device):
    from studio.engine import schedulers
    from studio.engine.request import GenerationRequest

    request = GenerationRequest(prompt=PROMPT, model=str(model_dir), steps=steps, seed=1, width=size, height=size,
                                scheduler="Euler a")
    base_config = dict(pipe.scheduler.config)

    def bare():
        pipe.scheduler = schedulers.make_scheduler("Euler a", base_config)
        pipe(PROMPT, num_inference_steps=steps, width=size, height=size, guidance_scale=7.0,
             generator=torch.Generator("cpu").manual_seed(1), output_type="np")

    def eng():
        engine.generate(request)

    bare(), eng()  # warm-up
    t_bare, t_engine = median_time(bare, device, runs), median_time(eng, device, runs)
    return {"bare_s": t_bare, "engine_previews_every_step_s": t_engine, "ratio": t_engine / t_bare,
            "target": "<= 1.02", "steps": steps, "size": size}


def section_batch4(pipe, size, steps, device):
    import numpy as np

    seeds = [11, 12, 13, 14]

    def gens():
        return [torch.Generator("cpu").manual_seed(s) for s in seeds]

    def batch():
        return pipe([PROMPT] * 4, num_inference_steps=steps, width=size, height=size, generator=gens(),
                    output_type="np").images

    def singles():
        return [pipe(PROMPT, num_inference_steps=steps, width=size, height=size,
                     generator=torch.Generator("cpu").manual_seed(s), output_type="np").images[0] for s in seeds]

    batch(), singles()  # warm-up
    out = {}
    sync(device)
    t0 = time.perf_counter()
    b = batch()
    sync(device)
    t1 = time.perf_counter()
    s = singles()
    sync(device)
    t2 = time.perf_counter()
    diff = max(float(np.abs(np.nan_to_num(b[i]) - np.nan_to_num(s[i])).max()) for i in range(4))
    out.update(batch_of_4_s=t1 - t0, four_single_runs_s=t2 - t1, speedup=(t2 - t1) / (t1 - t0),
               max_pixel_diff_batch_vs_single_0_1=diff,
               note="bare diffusers with one CPU generator per seed; the engine itself still runs a batch image by image")
    return out


def section_compile(pipe, size, steps, device, runs):
    def call():
        pipe(PROMPT, num_inference_steps=steps, width=size, height=size,
             generator=torch.Generator("cpu").manual_seed(1), output_type="np")

    call()
    eager = median_time(call, device, runs)
    original = pipe.unet
    pipe.unet = torch.compile(original)
    try:
        first = timed(call, device)
        steady = median_time(call, device, runs)
    finally:
        pipe.unet = original
    return {"eager_s": eager, "compiled_first_call_s": first, "compile_cost_s": first - steady,
            "compiled_s": steady, "speedup": eager / steady}


def section_vae_tiling(pipe, size, device):
    out = {}
    for tiled in (False, True):
        pipe.vae.enable_tiling() if tiled else pipe.vae.disable_tiling()
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        try:
            t = timed(lambda: pipe(PROMPT, num_inference_steps=2, width=size, height=size,
                                   generator=torch.Generator("cpu").manual_seed(1), output_type="np"), device)
            peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
            out["tiled" if tiled else "untiled"] = {"peak_gib": peak, "seconds": t}
        except torch.OutOfMemoryError:
            out["tiled" if tiled else "untiled"] = {"peak_gib": "out of memory"}
    pipe.vae.disable_tiling()
    out["size"] = size
    return out


def section_server(model_dir, size, steps, device, clients, jobs_each, engine):
    from studio.engine.request import GenerationRequest
    from studio.server.client import RemoteEngine
    from studio.server.serve import BackgroundServer, local_app

    request = GenerationRequest(prompt=PROMPT, model=str(model_dir), steps=steps, seed=3, width=size, height=size)
    total = clients * jobs_each
    sync(device)
    start = time.perf_counter()
    for i in range(total):
        engine.generate(request.replace(seed=i))
    sync(device)
    here = total / (time.perf_counter() - start)
    token = "gpu-figures-token"
    dtype = "float16" if device != "cpu" else "float32"
    with BackgroundServer(local_app(str(model_dir), token, device=device, dtype=dtype)) as srv:
        RemoteEngine(srv.url, token).generate(request.replace(steps=2))  # load + warm-up
        errors, latencies = [], []

        def client(k):
            remote = RemoteEngine(srv.url, token)
            try:
                for j in range(jobs_each):
                    remote.generate(request.replace(seed=100 + k * jobs_each + j))
                latencies.extend(remote.frame_latencies)
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                remote.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        there = total / (time.perf_counter() - start)
    latencies.sort()
    p = (lambda q: 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]) if latencies else (lambda q: None)
    return {"clients": clients, "images": total, "in_process_images_per_s": here, "server_images_per_s": there,
            "ratio": there / here, "preview_p50_ms": p(0.5), "preview_p95_ms": p(0.95), "errors": errors[:3]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--smoke", action="store_true", help="tiny pipeline on CPU: check the script, not the GPU")
    ap.add_argument("--sections", default="engine_vs_bare,batch4,compile,vae_tiling,server")
    args = ap.parse_args(argv)
    wanted = set(args.sections.split(","))
    figs = Figures(args.out)
    if args.smoke:
        from tiny_models import build_tiny_sd

        device, dtype, size, big, steps, runs = "cpu", "float32", 64, 128, 3, 1
        tmp = Path(tempfile.mkdtemp())
        model_dir = build_tiny_sd(tmp / "tiny-sd")
    else:
        if not torch.cuda.is_available():
            print("no CUDA device: run with --smoke to check the script on CPU", file=sys.stderr)
            return 2
        device, dtype, size, big, steps, runs = "cuda", "float16", 512, 2048, 25, 5
        tmp = Path(tempfile.mkdtemp())
        t = time.perf_counter()
        model_dir = build_sd15(tmp / "sd15-random", device)
        figs.put("build", {"seconds": time.perf_counter() - t, "folder": str(model_dir)})
    from studio.engine.generator import Engine, EngineSettings

    engine = Engine(EngineSettings(device=device, dtype=dtype, preview_every=1))
    loaded = engine._loaded(str(model_dir), None)
    pipe = loaded.base  # the engine's own modules: one copy in memory
    sections = [
        ("engine_vs_bare", lambda: section_engine_vs_bare(engine, pipe, model_dir, size, steps, runs, device)),
        ("batch4", lambda: section_batch4(pipe, size, steps, device)),
        ("vae_tiling", lambda: section_vae_tiling(pipe, big, device)),
        ("server", lambda: section_server(model_dir, size, steps, device, 8, 2 if not args.smoke else 1, engine)),
        ("compile", lambda: section_compile(pipe, size, steps, device, runs)),  # last: it may take longest
    ]
    for name, fn in sections:
        if name not in wanted:
            continue
        try:
            figs.put(name, fn())
        except Exception as exc:
            traceback.print_exc()
            figs.put(name, {"failed": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
