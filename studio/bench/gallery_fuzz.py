"""``studio bench --only gallery-fuzz``: hostile metadata values through the row insert, crashes counted.

Each input is an :class:`~studio.engine.metadata.ImageMetadata` whose fields
hold what untrusted files can carry (integers past 2**63, NaN, dicts and lists
where text belongs, lone surrogates, bytes, megabyte strings). It goes through
the same path an import takes: ``Library._row_from_metadata`` then the row
insert. A crash is any exception. Runs against any checkout (``python -m
studio.bench.gallery_fuzz N`` with that checkout on PYTHONPATH).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.engine.metadata import ImageMetadata
from studio.library import Library

Report = Callable[[str, float, str], None]

FIELDS = ("prompt", "negative_prompt", "seed", "steps", "cfg_scale", "sampler", "scheduler", "width", "height", "model", "model_hash", "source")


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(14)
    if kind == 0:
        return rng.choice([2**63, 2**64 - 1, -(2**63) - 1, 10**23, 2**200, -(10**30)])
    if kind == 1:
        return rng.randint(-(2**31), 2**31)
    if kind == 2:
        return rng.choice([float("inf"), float("-inf"), float("nan"), 1e308, -1e-308, 1e300 * 10])
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind == 4:
        return "".join(chr(rng.choice([0xD800, 0xDFFF, 0xDBFF, 0, 0x1F98A, 0xFFFF, rng.randrange(32, 0x3000)])) for _ in range(rng.randrange(1, 40)))
    if kind == 5:
        return "x" * rng.choice([10_000, 200_000, 1_100_000])
    if kind == 6 and depth < 3:
        return {str(rng.randrange(5)): hostile_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    if kind == 7 and depth < 3:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 8:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(20)))
    if kind == 9:
        return None
    if kind == 10:
        return rng.choice([True, False])
    if kind == 11:
        return rng.choice(["", " ", "Euler a", "a cat", "\x00\x00", "caf\udce9"])
    if kind == 12:
        return (1, 2)
    return object()


def hostile_metadata(rng: random.Random) -> ImageMetadata:
    md = ImageMetadata()
    for name in rng.sample(FIELDS, rng.randrange(1, len(FIELDS) + 1)):
        setattr(md, name, hostile_value(rng))
    if rng.random() < 0.4:
        md.studio = {"format": "studio", "params": hostile_value(rng) if rng.random() < 0.3 else {"seed": hostile_value(rng), "prompt": hostile_value(rng)}, "seed": hostile_value(rng)}
    if rng.random() < 0.3:
        md.parameters = {"Denoising strength": hostile_value(rng)}
    return md


def fuzz(lib: Library, n: int, seed: int = 0) -> Counter:
    """Insert ``n`` hostile rows; a Counter of exception type names (empty: no crash)."""
    rng = random.Random(seed)
    crashes: Counter = Counter()
    for i in range(n):
        md = hostile_metadata(rng)
        try:
            row = {"path": f"gallery/fuzz/{seed}-{i}.png", "created": 1.0, "file_size": 1, "file_mtime_ns": 1, **lib._row_from_metadata(md)}
            lib._insert_row(row)
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            crashes[type(exc).__name__] += 1
    return crashes


def run(report: Report, *, n: int = 100_000, root: Path | None = None) -> dict[str, float]:
    """Fuzz ``n`` inputs into a fresh library and report crashes (and inputs per second)."""
    with tempfile.TemporaryDirectory(prefix="studio-fuzz-") as tmp:
        with Library.open(Path(root) if root is not None else Path(tmp)) as lib:
            t0 = time.perf_counter()
            crashes = fuzz(lib, n)
            seconds = time.perf_counter() - t0
            rows = lib.count()
    report("gallery_fuzz.inputs", float(n), "inputs")
    report("gallery_fuzz.crashes", float(sum(crashes.values())), "crashes")
    for name, count in sorted(crashes.items()):
        report(f"gallery_fuzz.crashes.{name}", float(count), "crashes")
    report("gallery_fuzz.rows", float(rows), "rows")
    report("gallery_fuzz.inputs_per_s", n / seconds, "inputs/s")
    return {"crashes": float(sum(crashes.values())), "rows": float(rows)}


if __name__ == "__main__":
    import sys

    run(lambda name, value, unit: print(f"{name:40} {value:12.6g} {unit}"), n=int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
