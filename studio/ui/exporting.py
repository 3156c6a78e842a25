"""Save the canvas image to a file of the user's choice, keeping its generation metadata (Qt-free).

Runs off the GUI thread (the window awaits it through the asyncio executor).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.engine import metadata
from studio.engine.events import GeneratedImage
from studio.fsutil import atomic_write_bytes

SUFFIX_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def export_image(
    dest: str | Path,
    pixels: np.ndarray,
    generated: GeneratedImage | None = None,
    source: str | Path | None = None,
) -> Path:
    """Write ``pixels`` to ``dest`` (format from the suffix, PNG when unknown) with metadata.

    The metadata comes from ``generated`` when the image was just made, else
    from the ``source`` file; a source file of the same format is copied byte
    for byte, so nothing in it is lost.
    """
    dest = Path(dest)
    if dest.suffix.lower() not in SUFFIX_FORMATS:
        dest = dest.with_name(dest.name + ".png")
    fmt = SUFFIX_FORMATS[dest.suffix.lower()]
    src = Path(source) if source else None
    if src is not None and src.is_file() and SUFFIX_FORMATS.get(src.suffix.lower()) == fmt and src.resolve() != dest.resolve():
        data = src.read_bytes()
    elif generated is not None:
        data = metadata.encode_image(pixels, fmt, metadata.a1111_parameters(generated), metadata.studio_metadata(generated))
    elif src is not None and src.is_file():
        md = metadata.read_metadata(src)
        text = md.a1111_text() if (md.prompt or md.raw) else None
        data = metadata.encode_image(pixels, fmt, text, md.studio)
    else:
        data = metadata.encode_image(pixels, fmt)
    return atomic_write_bytes(dest, data)
