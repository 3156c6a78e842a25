"""Library benchmark (Qt-free): build a library of N images, time start-up reconcile and search.

``run(report)`` is what ``studio bench`` calls; ``report(name, value, unit)``
receives each figure. :func:`build_library` is shared with the gallery view's
benchmark and the UI tests: it writes real PNGs with studio metadata into
dated folders, then indexes them through the real :meth:`Library.reconcile`.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from studio.engine import metadata as md
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.library.library import Library

Report = Callable[[str, float, str], None]

SUBJECTS = ["fox", "lighthouse", "castle", "robot", "cat", "forest", "dragon", "city", "ship", "garden", "owl", "mountain"]
STYLES = ["watercolor", "oil painting", "pixel art", "photograph", "ink sketch", "low poly", "neon", "pastel"]
MOODS = ["at dusk", "in the rain", "under the stars", "in autumn", "at noon", "in fog", "by the sea"]
COLOURS = [(230, 90, 70), (70, 150, 230), (250, 200, 60), (90, 200, 120), (170, 90, 220), (240, 140, 40), (60, 200, 200), (220, 80, 160)]
MODELS = ["starter", "sd15-dreamy", "sdxl-base"]


def sample_image(i: int, size: int = 64) -> np.ndarray:
    """A small picture: a two-colour gradient sky, a ground band and a shape."""
    rng = random.Random(i)
    top, bottom = rng.choice(COLOURS), rng.choice(COLOURS)
    t = np.linspace(0.0, 1.0, size)[:, None, None]
    arr = (np.array(top) * (1 - t) + np.array(bottom) * t).repeat(size, axis=1).astype(np.uint8)
    im = Image.fromarray(arr)
    draw = ImageDraw.Draw(im)
    ground = rng.choice(COLOURS)
    draw.rectangle([0, int(size * 0.72), size, size], fill=tuple(c // 2 for c in ground))
    c = rng.choice(COLOURS)
    x, y, r = rng.randint(size // 5, size * 4 // 5), rng.randint(size // 5, size * 3 // 5), rng.randint(size // 8, size // 4)
    kind = i % 3
    if kind == 0:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=c)
    elif kind == 1:
        draw.rectangle([x - r, y - r, x + r, y + r], fill=c)
    else:
        draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=c)
    return np.asarray(im)


def sample_generated(i: int, size: int = 64) -> GeneratedImage:
    rng = random.Random(i * 7919)
    prompt = f"{rng.choice(STYLES)} of a {rng.choice(SUBJECTS)} {rng.choice(MOODS)}, detailed, image {i}"
    req = GenerationRequest(
        prompt=prompt,
        negative_prompt=rng.choice(["", "blurry", "lowres, watermark"]),
        seed=rng.randrange(0, 2**32 - 1),
        steps=rng.choice([12, 20, 30]),
        cfg_scale=rng.choice([5.0, 7.0, 7.5]),
        scheduler=rng.choice(["Euler a", "DPM++ 2M Karras", "Euler"]),
        width=size,
        height=size,
    )
    return GeneratedImage(sample_image(i, size), req.seed, 0, req, rng.choice(MODELS), "0123abcd", 0.8)


def write_sample_files(root: Path, n: int, *, size: int = 64, days: int = 60, start: int = 0) -> list[Path]:
    """N studio PNGs under ``root/gallery/<date>/`` named like :meth:`Library.add_generated` names them.

    A benchmark/test fixture: plain writes without fsync, so 10,000 files take seconds.
    """
    now = time.time()
    paths = []
    for i in range(start, start + n):
        img = sample_generated(i, size)
        when = now - (n - i) * (days * 86400 / max(n, 1))
        tm = time.localtime(when)
        folder = root / "gallery" / time.strftime("%Y-%m-%d", tm)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.strftime('%H%M%S', tm)}-{int((when % 1) * 1000):03d}-{img.seed}-{i}.png"
        path.write_bytes(md.encode_png(img))
        paths.append(path)
    return paths


def build_library(root: Path, n: int, *, size: int = 64) -> tuple[Library, float]:
    """A library with N indexed images; returns it and the seconds the first index took."""
    write_sample_files(root, n, size=size)
    lib = Library.open(root)
    t0 = time.perf_counter()
    lib.reconcile()
    return lib, time.perf_counter() - t0


QUERIES = ["fox", "light", "castle dusk", "watercolor owl", '"pixel art"', "drag", "robot -neon", "image 4", "zzz-nothing", "sea"]


def time_search(lib: Library, repeats: int = 3) -> list[float]:
    """Seconds per query for a mix of typed queries and filters (what the search box runs)."""
    times = []
    for _ in range(repeats):
        for q in QUERIES:
            t0 = time.perf_counter()
            lib.query_ids(q)
            times.append(time.perf_counter() - t0)
        for filters in ({"model": "sdxl-base"}, {"favourite": True}, {"sort": "random", "random_seed": 3}):
            t0 = time.perf_counter()
            lib.query_ids("fox", **filters)
            times.append(time.perf_counter() - t0)
    return times


def run(report: Report, *, n: int = 10_000, root: Path | None = None) -> dict[str, float]:
    """Build an N-image library and report index, reconcile and search figures."""
    results: dict[str, float] = {}

    def put(name: str, value: float, unit: str) -> None:
        results[name] = value
        report(name, value, unit)

    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        base = Path(root) if root is not None else Path(tmp)
        t0 = time.perf_counter()
        write_sample_files(base, n)
        put("library.write_files", time.perf_counter() - t0, "s")
        lib = Library.open(base)
        try:
            t0 = time.perf_counter()
            first = lib.reconcile()
            put("library.first_index", time.perf_counter() - t0, "s")
            put("library.images", float(len(first.added)), "images")
            t0 = time.perf_counter()
            again = lib.reconcile()
            put("library.reconcile_startup", (time.perf_counter() - t0) * 1000, "ms")
            assert not again.changed
            times = time_search(lib)
            put("library.search_p50", statistics.median(times) * 1000, "ms")
            put("library.search_max", max(times) * 1000, "ms")
            t0 = time.perf_counter()
            ids = lib.query_ids()
            put("library.list_all_ids", (time.perf_counter() - t0) * 1000, "ms")
            t0 = time.perf_counter()
            lib.get_many(ids[:256])
            put("library.fetch_page_256", (time.perf_counter() - t0) * 1000, "ms")
        finally:
            lib.close()
    return results


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    run(lambda name, value, unit: print(f"{name:32} {value:10.2f} {unit}"), n=count)
