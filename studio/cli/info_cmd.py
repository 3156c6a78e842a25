"""``studio info IMAGE [--json]``: the generation parameters stored in an image."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "info",
        help="show how an image was made",
        description="Print the generation parameters stored in a PNG, JPEG or WebP file "
        "(written by Studio, AUTOMATIC1111/Forge/SD.Next, ComfyUI, InvokeAI, NovelAI, SwarmUI, Fooocus, "
        "Easy Diffusion, Draw Things or Civitai). Only the metadata is read: no pixel is decoded.",
    )
    p.add_argument("image", type=Path, help="image file")
    p.add_argument("--json", action="store_true", help="print one strict JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.engine.metadata import format_readable, read_metadata

    meta = read_metadata(args.image)  # ImageLoadError (a StudioError) for broken files, FIFOs, folders
    if args.json:
        out = {"path": str(Path(args.image).absolute()), **meta.to_json()}
        print(json.dumps(out, ensure_ascii=False, allow_nan=False))
        return 0
    print(f"{'File:':<{16}} {args.image}")
    if meta.source == "unknown" and not meta.prompt:
        if meta.width and meta.height:
            print(f"{'Size:':<16} {meta.width}x{meta.height}")
        print("No generation metadata in this image.")
    else:
        print(format_readable(meta))
    for note in meta.notes:
        if not note.startswith("internal:"):
            print(f"Note: {note}")
    return 0
