"""Small runs of the mask benchmarks (figures printed; behaviour checked, never wall-clock time)."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.filterwarnings("ignore")


def test_brush_stroke_latency_bench_small(qapp, capsys):
    from studio.bench.mask import stroke_latency

    res = stroke_latency(size=2048, events=30, brush=48, zoom=1.0)
    with capsys.disabled():
        print(f"\nbrush latency 2048x2048 @100%: median {res['median_ms']:.2f} ms, p95 {res['p95_ms']:.2f} ms/event")
    assert res["events"] == 30
    assert res["events_without_repaint"] == 0, "every mouse event must lead to a repaint"
    assert res["painted_pixels"] > 30 * 20


def test_only_masked_vs_whole_bench_small(tiny_sd_dir, capsys):
    from studio.bench.inpaint import mask_maths, only_masked_vs_whole

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res = only_masked_vs_whole(str(tiny_sd_dir), size=192, steps=3)
    finally:
        torch.set_num_threads(threads)
    maths = mask_maths(512)
    with capsys.disabled():
        print(
            f"\ninpaint 192x192, small mask: whole {res['whole_s']:.3f} s at {res['whole_gen_size']}, "
            f"only masked {res['only_masked_s']:.3f} s at {res['only_masked_gen_size']} ({res['speedup']:.1f}x); "
            f"feather 512px {maths['feather_ms']:.1f} ms"
        )
    assert res["whole_gen_size"] == "192x192" and res["only_masked_gen_size"] == "64x64"
    assert set(maths) == {"feather_ms", "grow16_ms", "plan_ms"}
