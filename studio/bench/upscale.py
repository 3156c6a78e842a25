"""Upscaler benchmark (``studio bench --only upscale``): quality on held-out renders, speed, memory.

100 held-out starter-domain renders (a seed training never uses), bicubic-downscaled
x4 and upscaled back by bicubic, Lanczos, the L1-only generator (when its
training snapshot is on this machine) and the bundled GAN upscaler: PSNR, SSIM,
edge sharpness (mean gradient magnitude over the original's) and seconds per
output megapixel; the same at x2 (the bundled x2 generator, or x4 scaled down
where there is none). Then the peak memory of a tiled 1024 -> 4096 upscale in a
child process. Target: the GAN >= +3 dB PSNR over bicubic at x4.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

Report = Callable[..., None]
TARGET_GAIN_DB = 3.0

_MEMORY_CHILD = """
import resource, numpy as np, torch
from studio.engine.upscale import models
from studio.engine.upscale.run import upscale
up = models.load(None, 4)
image = (np.random.default_rng(0).random((1024, 1024, 3)) * 255).astype(np.uint8)
out = upscale(up, image, 4, tile=192)
print(out.shape[0], out.shape[1], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(report: Report, quick: bool = False) -> dict:
    from studio.upscaler.evaluate import evaluate

    count = 10 if quick else 100
    table = evaluate(count=count, scale=4)
    for name, row in table.items():
        report(f"x4 {name}: PSNR (dB)", row["psnr"], "dB")
        report(f"x4 {name}: SSIM", row["ssim"])
        report(f"x4 {name}: edge sharpness (1 = original)", row["sharpness"])
        report(f"x4 {name}: seconds per output megapixel", row["seconds_per_mp"], "s")
    gan = next(v for k, v in table.items() if k.startswith("GAN"))
    gain = gan["psnr"] - table["bicubic"]["psnr"]
    report(f"GAN gain over bicubic, {count} held-out images (target >= +{TARGET_GAIN_DB} dB)", gain, "dB")
    out = {"table": table, "gain_db": gain}
    table2 = evaluate(count=count, scale=2)
    for name, row in table2.items():
        report(f"x2 {name}: PSNR (dB) / SSIM / edge sharpness", row["psnr"], "dB")
        report(f"x2 {name}: SSIM {row['ssim']:.4f}, edge sharpness {row['sharpness']:.3f}, "
               f"{row['seconds_per_mp']:.3f} s per output MP", None)
    gan2 = next(v for k, v in table2.items() if k.startswith("GAN"))
    report(f"x2 GAN gain over bicubic, {count} held-out images", gan2["psnr"] - table2["bicubic"]["psnr"], "dB")
    out["table_x2"] = table2
    if not quick:
        proc = subprocess.run([sys.executable, "-c", _MEMORY_CHILD], capture_output=True, text=True, timeout=1800)
        if proc.returncode == 0:
            h, w, rss_kb = proc.stdout.split()
            out["peak_rss_mib"] = int(rss_kb) / 1024
            report(f"tiled upscale 1024x1024 -> {w}x{h}: peak process memory", out["peak_rss_mib"], "MiB")
        else:
            report(f"tiled 4096 upscale failed: {proc.stderr.strip()[-200:]}", None)
    return out
