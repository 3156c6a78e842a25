"""A small run of the gallery benchmarks: prints the figures, checks behaviour (never wall-clock time).

The full-size run (10,000 library images, 20,000 in the gallery view) is ``python -m studio.bench.library`` and
``python -m studio.bench.gallery`` (or ``studio bench``).
"""

from __future__ import annotations

import pytest

N = 600


def _printer(results):
    def report(name: str, value: float, unit: str) -> None:
        results[name] = (value, unit)
        print(f"{name:40} {value:10.2f} {unit}")

    return report


def test_library_bench_small(tmp_path):
    from studio.bench import library as bench

    results: dict = {}
    out = bench.run(_printer(results), n=N, root=tmp_path / "lib")
    assert out["library.images"] == N
    for key in ("library.first_index", "library.reconcile_startup", "library.search_p50", "library.search_max"):
        assert key in results and results[key][0] >= 0


def test_gallery_view_bench_small(qapp, tmp_path):
    pytest.importorskip("PySide6")
    from studio.bench import gallery as bench

    results: dict = {}
    out = bench.run(_printer(results), n=N, root=tmp_path / "lib")
    assert results["gallery.images"][0] == N
    for key in (
        "gallery.open",
        "gallery.first_paint",
        "gallery.search_cjk",
        "gallery.first_screen_thumbnails_cold",
        "gallery.search_p50",
        "gallery.scroll_frame_p50",
        "gallery.scroll_frame_p95",
    ):
        assert key in out and out[key] >= 0
    # only what was on screen (plus the scrolled-past cells) got a thumbnail
    assert 0 < out["gallery.thumbnails_loaded"] < N
