"""``studio bench``: the speed and memory figures of every part, measured in one run."""

from __future__ import annotations

import importlib
import inspect
import sys
import time

SECTIONS = {
    # name: (module, description)
    "startup": ("studio.bench.startup", "cold start: CLI first image and window engine-ready, as ratios to import torch"),
    "engine": ("studio.bench.engine", "preview overhead and cancel latency"),
    "preview": ("studio.bench.preview", "preview fidelity (linear map vs tiny decoder) and cost"),
    "inpaint": ("studio.bench.inpaint", "only-masked vs whole-picture inpainting"),
    "library": ("studio.bench.library", "10,000-image library: search, reconcile"),
    "gallery-fuzz": ("studio.bench.gallery_fuzz", "100,000 hostile metadata inputs through the row insert: crashes"),
    "ui": ("studio.bench.ui", "window start-up, GUI stalls, preview-to-screen latency"),
    "gallery": ("studio.bench.gallery", "20,000-image gallery: open, first paint, search, scroll frames"),
    "mask": ("studio.bench.mask", "brush stroke latency on a 2048x2048 canvas"),
    "live": ("studio.bench.live", "live painting: strokes at 60 Hz, stroke-to-image latency, stale jobs, GUI stall"),
    "upscale": ("studio.bench.upscale", "GAN upscaler vs bicubic/Lanczos/L1-only on held-out renders; speed, memory"),
    "metadata": ("studio.bench.metadata", "100,000 hostile files through every metadata reader"),
    "provenance": ("studio.bench.provenance", "ms added per export: watermark, XMP source type, C2PA sign"),
    "starter": ("studio.bench.starter", "starter model: adherence on 200 held-out prompts, speed, size"),
    "server": ("studio.bench.server", "the server vs in-process: per-step overhead, preview delivery, cancel"),
    "style": ("studio.bench.style", "style transfer: s/iteration (exact), s/image (fast), loss drop"),
}


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="run the benchmarks and print figures")
    p.add_argument("--only", default="", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    p.add_argument("--model", default=None, help="model for engine figures (default: starter model)")
    p.add_argument("--quick", action="store_true", help="smaller runs (for tests)")
    p.set_defaults(func=run)


def _report(name: str, value: float | None, unit: str = "") -> None:
    """Print one figure; ``value=None`` prints a note line."""
    if value is None:
        print(f"  {name}", flush=True)
    else:
        print(f"  {name:58} {value:10.4g} {unit}", flush=True)


def _options(func, args) -> dict:
    """The options a section's ``run`` takes: ``quick`` and ``model``, or a size ``n``."""
    params = inspect.signature(func).parameters
    kwargs = {}
    if "quick" in params:
        kwargs["quick"] = args.quick
    elif "n" in params and args.quick:
        kwargs["n"] = 1_000
    if "model" in params and args.model:
        kwargs["model"] = args.model
    return kwargs


def run(args) -> int:
    import os

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless box: Qt sections still run
    wanted = [s.strip() for s in args.only.split(",") if s.strip()] or list(SECTIONS)
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        from studio.engine.errors import InvalidRequest

        raise InvalidRequest(f"Unknown bench section(s): {', '.join(unknown)}. Choose from {', '.join(SECTIONS)}.")
    failures = 0
    for name in wanted:
        module_name, description = SECTIONS[name]
        print(f"[{name}] {description}", flush=True)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                print("  not available in this build", flush=True)
                continue
            raise
        start = time.perf_counter()
        try:
            module.run(_report, **_options(module.run, args))
        except Exception as exc:  # one broken section must not hide the others' figures
            failures += 1
            print(f"  FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        print(f"  ({time.perf_counter() - start:.1f}s)", flush=True)
    return 1 if failures else 0
