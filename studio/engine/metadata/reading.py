"""Reading generation metadata back from any supported tool's file.

The metadata blocks are read straight from the file's bytes
(:mod:`.containers`), without decoding pixels, so an image over Pillow's pixel
limit still shows its text; only ``verify=True`` decodes the pixels (inside
Pillow's limits) to report a truncated or oversized file.
"""

from __future__ import annotations

import warnings
import zlib
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from studio.engine.errors import ImageLoadError
from studio.engine.metadata.containers import open_regular, read_container
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.readable import format_readable
from studio.engine.metadata.registry import read_sources
from studio.engine.metadata.sources import collect

__all__ = ["ImageMetadata", "format_readable", "read_metadata"]


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def _decode(path: Path) -> tuple[str, int, int]:
    """Open and decode ``path`` with Pillow inside its limits: ``(format, width, height)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.load()
                return im.format or "", im.width, im.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(f"{path} is too large to open safely (more than {Image.MAX_IMAGE_PIXELS} pixels).") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path} is not an image Studio can read (or the file is damaged).") from None
    except (OSError, ValueError, SyntaxError, EOFError, zlib.error) as exc:
        raise ImageLoadError(f"Could not read {path}: {_first_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a broken file to the user
        raise ImageLoadError(f"Could not read {path}: {type(exc).__name__}") from None


def read_metadata(path: str | Path, *, verify: bool = False) -> ImageMetadata:
    """Read generation metadata from a PNG, JPEG or WebP file of any supported tool.

    ``verify`` also decodes the pixels, so a truncated or oversized file is
    reported too. Any problem with the file raises
    :class:`~studio.engine.errors.ImageLoadError` (one line).
    """
    path = Path(path)
    with open_regular(path) as fh:
        try:
            box = read_container(fh)
        except OSError as exc:
            raise ImageLoadError(f"Could not read {path}: {_first_line(exc)}") from None
    if box is None:  # another format Pillow may know (GIF, BMP, TIFF): no generation metadata
        fmt, width, height = _decode(path)
        return ImageMetadata(width=width, height=height, format=fmt).normalise()
    if verify:
        _decode(path)
    base = ImageMetadata(width=box.width, height=box.height, format=box.format, notes=list(box.notes))
    src = collect(box)
    base.raw = src.raw
    return read_sources(src, base)
