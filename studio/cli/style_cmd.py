"""``studio style CONTENT STYLE``: neural style transfer without a window.

Exact mode optimises the picture (Gatys); fast mode runs Magenta's arbitrary
stylization network once. The result goes to the gallery (or ``--out``) with
the style metadata that ``studio info`` shows. ``--json`` prints one line per
image with the losses at the first and last iteration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    from studio.engine.style.settings import MODES, NETWORKS, OPTIMIZERS, StyleSettings

    d = StyleSettings()
    p = subparsers.add_parser(
        "style",
        help="neural style transfer: paint CONTENT in the style of STYLE",
        description="Neural style transfer. Without --out the result goes to the gallery under STUDIO_HOME.",
    )
    p.add_argument("content", type=Path, help="the picture to restyle")
    p.add_argument("style", type=Path, help="the picture whose style to take")
    p.add_argument("--out", type=Path, help="write the PNG into this folder instead of the gallery")
    p.add_argument("--mode", choices=MODES, default=d.mode, help="exact: optimise (slow, live); fast: one network pass")
    p.add_argument("--steps", type=int, default=d.steps, help=f"iterations in exact mode (default {d.steps})")
    p.add_argument("--style-weight", type=float, default=d.style_weight, help=f"weight of the style loss (default {d.style_weight:g})")
    p.add_argument("--content-weight", type=float, default=d.content_weight, help=f"weight of the content loss (default {d.content_weight:g})")
    p.add_argument("--tv-weight", type=float, default=d.tv_weight, help=f"weight of the total-variation (smoothness) loss (default {d.tv_weight:g})")
    p.add_argument("--size", type=int, default=d.size, help="long side in pixels to work at (0: the content's, at most 512)")
    p.add_argument("--preserve-colors", action="store_true", help="transfer luminance only: keep the content's colours")
    p.add_argument("--network", choices=NETWORKS, default=d.network,
                   help="features for exact mode: vgg19 (weights in STUDIO_HOME/models/style), random, auto")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--mask", type=Path, help="only stylize inside this mask (white); other pixels stay exactly as they are")
    p.add_argument("--json", action="store_true", help="one JSON object per image on stdout")
    p.set_defaults(func=run)


class _Progress:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, step) -> None:
        if self.tty:
            print(f"\riteration {step.iteration}/{step.total}  total loss {step.total_loss:.4g}  {step.elapsed:5.1f}s",
                  end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=sys.stderr, flush=True)


def _save(result, out: Path | None, content=None, style=None) -> dict:
    from studio.engine.style import meta

    if out is not None:
        return {"path": str(meta.save_to_folder(result, out, content, style).resolve())}
    from studio.library import Library
    from studio.library.add_file import add_png

    lib = Library.open()
    try:
        entry = add_png(lib, meta.encode_png(result, content, style), meta.file_stem(result))
        return {"id": entry.id, "path": str(entry.path)}
    finally:
        lib.close()


def run(args: argparse.Namespace) -> int:
    from studio.engine.errors import InvalidRequest
    from studio.engine.events import CancelFlag
    from studio.engine.imageio import load_mask, load_rgb
    from studio.engine.style import StyleSettings, stylize

    settings = StyleSettings(
        mode=args.mode, steps=args.steps, content_weight=args.content_weight, style_weight=args.style_weight,
        tv_weight=args.tv_weight, size=args.size, preserve_colors=args.preserve_colors,
        network=args.network, optimizer=args.optimizer,
    )  # validated before any image is read
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InvalidRequest(f"--out {args.out} is a file; give a folder.")
    content, style = load_rgb(args.content), load_rgb(args.style)
    mask = load_mask(args.mask) if args.mask else None
    progress, cancel = _Progress(), CancelFlag()
    try:
        result = stylize(content, style, settings, mask=mask, on_step=progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        progress.close()
    row = _save(result, args.out, content, style)
    first, last = result.first_losses, result.last_losses
    record = {
        **row,
        "mode": settings.mode,
        "network": result.network,
        "style_hash": result.style_hash,
        "width": int(result.image.shape[1]),
        "height": int(result.image.shape[0]),
        "iterations": max(0, len(result.history) - 1),
        "first": {k: first.get(k) for k in ("content_loss", "style_loss", "total_loss")},
        "last": {k: last.get(k) for k in ("content_loss", "style_loss", "total_loss")},
        "seconds": round(result.elapsed, 3),
    }
    if args.json:
        print(json.dumps(record), flush=True)
    else:
        print(record["path"], flush=True)
        print(f"total loss {first.get('total_loss', 0):.4g} -> {last.get('total_loss', 0):.4g}, {result.elapsed:.1f}s",
              file=sys.stderr)
    return 0
