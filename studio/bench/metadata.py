"""``studio bench --only metadata``: 100,000 hostile inputs through every reader (inputs/s, crashes, slowest file)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from studio.engine.metadata.fuzz import run_fuzz

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"  # beside the checkout


def interop_files(folder: Path = INTEROP) -> list[bytes]:
    """The real files of ``../shared/interop`` (beside the checkout) when present."""
    if not folder.is_dir():
        return []
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")]


def run(report, n: int = 100_000) -> None:
    real = interop_files()
    report(f"corpus: synthetic layouts + {len(real)} real files from ../shared/interop", None)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        stats = run_fuzz(n, Path(tmp), extra=real)
        wall = time.perf_counter() - start
    report("inputs", stats.inputs)
    report("inputs per second", stats.inputs / wall if wall else 0.0, "/s")
    report("crashes (anything but a clean one-line error)", len(stats.crashes))
    report("clean errors (broken files refused)", stats.clean_errors)
    report("slowest input", stats.max_seconds * 1000, "ms")
    report("mean per input", stats.total_seconds / max(1, stats.inputs) * 1000, "ms")
    for crash in stats.crashes[:5]:
        report(f"crash: {crash}", None)
