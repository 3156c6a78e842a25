"""The UI benchmark on a tiny pipeline: it runs end to end and its figures are sane.

Wall-clock targets (start-up <= 1.5 s, stall <= 16 ms) are what ``studio bench``
reports; tests never bound a time. Here: the window starts, the figures are
produced and finite, previews reach the screen.
"""

from __future__ import annotations

import math



def test_ui_bench_runs_and_reports(qapp, tiny_sd_dir):
    from studio.bench import ui as bench

    lines: list[tuple] = []

    def report(name, value, unit=""):
        lines.append((name, value, unit))
        print(f"{name:70} {value if value is None else round(value, 3)} {unit}")

    out = bench.run(report, quick=True, model=str(tiny_sd_dir))
    for key in ("startup_s", "max_stall_ms", "preview_latency_median_ms", "preview_latency_max_ms"):
        assert math.isfinite(out[key]) and out[key] >= 0, key
    assert out["previews"] >= 1 and out["preview_latency_median_ms"] <= out["preview_latency_max_ms"]
    names = [n for n, _, _ in lines]
    assert any("window shown" in n for n in names) and any("stall" in n for n in names)
    assert any("preview-to-screen" in n for n in names)
