"""The live-painting benchmark on a tiny pipeline: strokes through the real window, figures produced.

Targets (p50 <= 250 ms, stall <= 16 ms) are what ``studio bench --only live`` reports; tests never bound a time.
"""

from __future__ import annotations

import math


def test_live_bench_runs_and_reports(qapp, tiny_sd_dir):
    from studio.bench import live as bench

    lines: list[tuple] = []

    def report(name, value, unit=""):
        lines.append((name, value, unit))

    out = bench.run(report, quick=True, model=str(tiny_sd_dir))
    assert out["events"] > 0 and out["unserved_events"] == 0  # every paint event reached the screen
    for key in ("latency_p50_ms", "latency_p95_ms", "frames_per_s", "max_stall_ms", "max_stall_live_off_ms"):
        assert math.isfinite(out[key]) and out[key] >= 0, key
    assert out["latency_p50_ms"] <= out["latency_p95_ms"] and out["frames_per_s"] > 0
    names = [n for n, _, _ in lines]
    assert any("stroke -> updated image" in n for n in names) and any("stale" in n for n in names)
