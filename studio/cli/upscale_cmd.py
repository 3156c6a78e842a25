"""``studio upscale FILE... --scale 2|4``: GAN upscaling, saved to the gallery or a folder with metadata kept."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "upscale", help="upscale images with a GAN upscaler",
        description="Upscale images x2 or x4 with the bundled compact GAN upscaler or an ESRGAN-family file "
        "(STUDIO_HOME/models/ESRGAN/). The result keeps the source's metadata and records the upscale.")
    p.add_argument("files", nargs="+", type=Path, help="PNG, JPEG or WebP images")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument("--model", default=None, help="upscaler name (see 'studio models') or file")
    p.add_argument("--out", type=Path, default=None, help="write PNGs here instead of adding them to the gallery")
    p.add_argument("--tile", type=int, default=192, help="input tile size in pixels (0: the whole image at once)")
    p.add_argument("--allow-pickle", action="store_true", help="load a .pth upscaler (weights-only)")
    p.add_argument("--no-watermark", action="store_true", help="--out files without the invisible watermark")
    p.add_argument("--json", action="store_true", help="one JSON line per image")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.engine.errors import StudioError
    from studio.engine.metadata.writing import encode_image
    from studio.engine.provenance import GALLERY, Options, confirm_mark, mark
    from studio.engine.provenance.derived import seal_derived
    from studio.engine.upscale import models
    from studio.engine.upscale.run import upscale_file
    from studio.fsutil import atomic_write_bytes

    upscaler = models.load(args.model, args.scale, allow_pickle=args.allow_pickle)
    failures = 0
    library = None
    for path in args.files:
        try:
            result = upscale_file(upscaler, path, args.scale, tile=args.tile)
        except StudioError as exc:
            failures += 1
            print(f"studio: error: {path}: {exc}", file=sys.stderr)
            continue
        name = f"{path.stem}-x{args.scale}.png"
        options = GALLERY if args.out is None else Options.for_export(watermark=not args.no_watermark)
        pixels, marked, note = mark(result.pixels, options)
        png = encode_image(pixels, "png", result.text, result.studio)
        marked, note2 = confirm_mark(png, "png", marked)
        for line in (note, note2):
            if line and not args.json:
                print(f"{name}: {line}", file=sys.stderr)
        png = seal_derived(png, "png", tool=upscaler.name, title=name, parent=result.source,
                           parent_title=path.name, keeps_content=True, watermarked=marked, options=options)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            dest = args.out / name
            n = 1
            while dest.exists():
                dest, n = args.out / f"{path.stem}-x{args.scale}-{n}.png", n + 1
            atomic_write_bytes(dest, png)
            saved = str(dest)
        else:
            from studio.library import Library

            library = library or Library.open()
            with tempfile.TemporaryDirectory(prefix="studio-upscale-") as tmp:
                staged = Path(tmp) / name
                staged.write_bytes(png)
                report = library.import_files([staged])
            entry = library.get(report.added[0]) if report.added else None
            saved = str(entry.path) if entry else "(already in the gallery)"
        h, w = result.pixels.shape[:2]
        if args.json:
            print(json.dumps({"source": str(path), "path": saved, "width": w, "height": h, "scale": args.scale,
                              "upscaler": upscaler.name, "seconds": round(result.seconds, 3)}))
        else:
            print(f"{path} -> {saved} ({w}x{h}, {upscaler.name}, {result.seconds:.1f}s)")
    if library is not None:
        library.close()
    return 1 if failures else 0
