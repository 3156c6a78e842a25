"""``studio generate`` options for previews and the VAE: --vae, --preview, --save-previews DIR."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from studio.settings import PREVIEW_METHODS as METHODS


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vae", default="", help="a VAE in place of the model's own: .safetensors file, diffusers folder, "
                                            "or a name in STUDIO_HOME/models/VAE")
    p.add_argument("--preview", choices=METHODS, default="auto",
                   help="preview method: auto, linear map, tiny decoder, full VAE every --preview-vae-every steps")
    p.add_argument("--preview-vae-every", type=int, default=5, help="with --preview vae: the full VAE every N steps")
    p.add_argument("--save-previews", type=Path, metavar="DIR",
                   help="write each step's preview as DIR/step-001.png ... (batch: 0-step-001.png ...)")


def engine_options(args: argparse.Namespace) -> dict:
    """EngineSettings keyword arguments for these options."""
    return {"preview_method": args.preview, "preview_vae_every": max(1, args.preview_vae_every)}


class PreviewSaver:
    """An event sink that writes every Progress preview as a PNG (atomically), then passes the event on."""

    def __init__(self, folder: Path, batch: int, forward=None):
        from studio.engine.errors import InvalidRequest

        if folder.exists() and not folder.is_dir():
            raise InvalidRequest(f"--save-previews {folder} is a file; give a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.batch = batch
        self.forward = forward
        self.written: list[Path] = []

    def __call__(self, event) -> None:
        from studio.engine.events import Progress

        if isinstance(event, Progress) and event.preview is not None:
            from PIL import Image

            from studio.fsutil import atomic_write_bytes

            prefix = f"{event.image_index}-" if self.batch > 1 else ""
            path = self.folder / f"{prefix}step-{event.step:03d}.png"
            buf = io.BytesIO()
            Image.fromarray(event.preview).save(buf, format="PNG")
            atomic_write_bytes(path, buf.getvalue())
            self.written.append(path)
        if self.forward is not None:
            self.forward(event)
