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
        "(written by Studio, AUTOMATIC1111/Forge, ComfyUI or InvokeAI).",
    )
    p.add_argument("image", type=Path, help="image file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.engine.metadata import format_readable, read_metadata

    meta = read_metadata(args.image)  # ImageLoadError (a StudioError) for broken files
    if args.json:
        out = {"path": str(Path(args.image).resolve()), **meta.to_json()}
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"{'File:':<{16}} {args.image}")
    if meta.source == "unknown" and not meta.prompt:
        print(f"{'Size:':<16} {meta.width}x{meta.height}")
        print("No generation metadata in this image.")
        return 0
    print(format_readable(meta))
    return 0
