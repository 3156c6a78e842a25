"""The UI benchmark on a tiny pipeline: it runs end to end and its figures are sane.

Wall-clock targets (start-up <= 1.5 s, stall <= 16 ms) are what ``studio bench``
reports; here only the hard limits are checked (a loaded CI box must not flake):
the window starts, the GUI thread never stalls 100 ms, previews reach the screen.
"""

from __future__ import annotations




def test_ui_bench_runs_and_reports(qapp, tiny_sd_dir):
    from studio.ui import bench

    lines: list[tuple] = []

    def report(name, value, unit=""):
        lines.append((name, value, unit))
        print(f"{name:70} {value if value is None else round(value, 3)} {unit}")

    out = bench.run(report, quick=True, model=str(tiny_sd_dir))
    assert 0 < out["startup_s"] < 10
    assert out["max_stall_ms"] <= 100
    assert out["previews"] >= 1 and 0 <= out["preview_latency_median_ms"] <= out["preview_latency_max_ms"] < 1000
    names = [n for n, _, _ in lines]
    assert any("window shown" in n for n in names) and any("stall" in n for n in names)
    assert any("preview-to-screen" in n for n in names)
