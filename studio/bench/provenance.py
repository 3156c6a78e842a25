"""``studio bench --only provenance``: milliseconds each provenance step adds to one export.

At 512 and 1024 px, PNG and JPEG: the plain encode (metadata writer) as the
baseline, then the invisible watermark, the XMP source type and the C2PA
signature, each as ms and as a share of the plain encode. Median of a few runs.
Credentials are made in a temporary STUDIO_HOME, so the user's are untouched.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import numpy as np


def _scene(size: int) -> np.ndarray:
    """A smooth picture with an edge (like generated images, unlike noise): a blue disc on a gradient."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = np.stack([160 * x + 40, 140 * y + 50, 100 * (1 - x) * y + 70], axis=-1)
    img[(x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.08] = (40, 70, 220)
    return np.clip(img, 0, 255).astype(np.uint8)


def _ms(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def run(report, quick: bool = False) -> None:
    from studio.engine import metadata
    from studio.engine.provenance import c2pa_signing, watermark
    from studio.engine.provenance.c2pa_signing import Record
    from studio.engine.provenance.sealing import confirm_mark
    from studio.engine.provenance.source_type import TRAINED, set_source_type

    repeat = 2 if quick else 5
    old = os.environ.get("STUDIO_HOME")
    with tempfile.TemporaryDirectory(prefix="studio-bench-prov-") as home:
        os.environ["STUDIO_HOME"] = home
        try:
            text = "a red circle\nSteps: 20, Sampler: Euler, CFG scale: 1.5, Seed: 1, Size: 512x512, Model: starter"
            studio = {"format": "studio", "params": {"prompt": "a red circle", "mode": "txt2img"}}
            record = Record(source_type=TRAINED, model_name="starter", model_hash="0123456789", title="bench.png")
            c2pa_signing.sign(metadata.encode_image(_scene(64), "png"), "png", record)  # first use: credentials, library load
            marking = watermark.available()
            if not marking:
                report("invisible-watermark is not installed (optional: pip install --no-deps invisible-watermark): "
                       "the watermark steps are left out below", None)
            for size in (512, 1024):
                pixels = _scene(size)
                embed_ms = check_ms = 0.0
                marked = pixels
                if marking:
                    embed_ms, marked = _ms(lambda: watermark.embed(pixels), repeat)
                    check_ms, det = _ms(lambda: watermark.detect(marked), repeat)
                    report(f"{size} px: watermark embed (dwtDct)", embed_ms, "ms")
                    report(f"{size} px: watermark read-back check", check_ms, "ms")
                    report(f"{size} px: watermark found after embedding: {det.matching_bits}/{watermark.BITS} bits", None)
                wm_ms = embed_ms + check_ms
                for fmt in ("png", "jpeg"):
                    enc_ms, data = _ms(lambda: metadata.encode_image(marked, fmt, text, studio), repeat)
                    confirm_ms, _ok = (_ms(lambda: confirm_mark(data, fmt, True), repeat) if marking  # lossy: read back
                                       else (0.0, None))
                    xmp_ms, tagged = _ms(lambda: set_source_type(data, TRAINED), repeat)
                    sign_ms, _signed = _ms(lambda: c2pa_signing.sign(tagged, fmt, record), repeat)
                    added = (wm_ms if fmt == "png" else embed_ms + confirm_ms) + xmp_ms + sign_ms
                    report(f"{size} px {fmt}: plain encode with metadata (baseline)", enc_ms, "ms")
                    if fmt != "png" and marking:
                        report(f"{size} px {fmt}: watermark read back from the encoded file", confirm_ms, "ms")
                    report(f"{size} px {fmt}: XMP source type", xmp_ms, "ms")
                    report(f"{size} px {fmt}: C2PA sign", sign_ms, "ms")
                    report(f"{size} px {fmt}: added per export (watermark + read-back + XMP + sign)", added, "ms")
                    report(f"{size} px {fmt}: export time with provenance / without", (enc_ms + added) / enc_ms, "x")
        finally:
            if old is None:
                os.environ.pop("STUDIO_HOME", None)
            else:
                os.environ["STUDIO_HOME"] = old
