"""Save the canvas image to a file of the user's choice, keeping its generation metadata (Qt-free).

Runs off the GUI thread (the window awaits it through the asyncio executor).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.engine import metadata, provenance
from studio.engine.events import GeneratedImage
from studio.engine.provenance import watermark
from studio.fsutil import atomic_write_bytes

SUFFIX_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def export_image(
    dest: str | Path,
    pixels: np.ndarray,
    generated: GeneratedImage | None = None,
    source: str | Path | None = None,
    options: provenance.Options | None = None,
) -> Path:
    """Write ``pixels`` to ``dest`` (format from the suffix, PNG when unknown) with metadata.

    The metadata comes from ``generated`` when the image was just made, else
    from the ``source`` file; a source file of the same format is copied byte
    for byte, so nothing in it is lost (unless the watermark has to be added).
    Studio's images get the invisible watermark (``options``, on by default),
    the XMP source type and C2PA Content Credentials, signed last.
    """
    dest = Path(dest)
    if dest.suffix.lower() not in SUFFIX_FORMATS:
        dest = dest.with_name(dest.name + ".png")
    fmt = SUFFIX_FORMATS[dest.suffix.lower()]
    options = options or provenance.Options.for_export(watermark=_watermark_setting())
    src = Path(source) if source else None
    src_ok = src is not None and src.is_file()
    md = metadata.read_metadata(src) if src_ok else None
    ours = md is not None and md.source == "studio"
    marks = options.watermark and pixels.ndim == 3 and watermark.skip_note(pixels) is None
    same = src_ok and SUFFIX_FORMATS.get(src.suffix.lower()) == fmt and src.resolve() != dest.resolve()
    if same and options.keep is provenance.Keep.ALL and not (marks and (ours or generated is not None)):
        data = src.read_bytes()
        if ours:
            data = provenance.sealed_copy(data, fmt, md.studio, dest.name, options)
    elif generated is not None:
        data, _notes = provenance.encode_generated(generated, fmt, dest.name, options, pixels=pixels)
    elif ours:
        marked, watermarked, _note = provenance.mark(pixels, options, fmt)
        if options.metadata:
            text = md.a1111_text() if (md.prompt or md.raw) else None
            data = metadata.encode_image(marked, fmt, text, md.studio)
        else:
            data = metadata.encode_image(marked, fmt, strip=True)
        watermarked, _note = provenance.confirm_mark(data, fmt, watermarked)
        record = provenance.record_from_studio(md.studio, dest.name, parent=src, watermarked=watermarked, options=options)
        data = provenance.seal(data, fmt, record, options)
    elif md is not None and options.metadata:  # another tool's image: its metadata, no claims of ours
        text = md.a1111_text() if (md.prompt or md.raw) else None
        data = metadata.encode_image(pixels, fmt, text, md.studio)
    else:
        data = metadata.encode_image(pixels, fmt)
    return atomic_write_bytes(dest, data)


def _watermark_setting() -> bool:
    from studio.settings import Settings

    return bool(getattr(Settings.load(), "watermark_exports", True))
