"""Generation metadata: write it into images, read it back from any of the common tools.

Written by the studio (:mod:`.writing`):

* PNG: a text chunk ``parameters`` in the AUTOMATIC1111 layout (so every other
  tool understands it) and a chunk ``studio`` holding the complete JSON needed
  to reproduce the image exactly (tEXt, or iTXt when the text is not Latin-1).
* JPEG/WebP: the same AUTOMATIC1111 text in EXIF ``UserComment`` (UNDEFINED,
  ``UNICODE\\0`` + UTF-16, as A1111/piexif write it) and the studio JSON in an
  XMP packet (``studio:params``).

Read back (:func:`read_metadata`): the file's metadata blocks are read from its
bytes (:mod:`.containers`, :mod:`.exif`, :mod:`.xmp`), gathered into PNG-like
key/text pairs (:mod:`.sources`), and handed to one reader per tool's format
(:mod:`.formats`: studio, AUTOMATIC1111/Forge/SD.Next/Civitai, ComfyUI,
InvokeAI 1.x-6.x, NovelAI, SwarmUI, Fooocus/RuinedFooocus, Easy Diffusion,
Draw Things, other JSON), tried in :mod:`.registry` order. Every reader
returns the same :class:`ImageMetadata`, typed and range-checked
(:mod:`.values`). A broken file raises
:class:`~studio.engine.errors.ImageLoadError` with a one-line message.

Qt-free.
"""

from studio.engine.metadata.a1111 import a1111_parameters, format_a1111, parse_a1111
from studio.engine.metadata.keys import (
    A1111_CHUNK,
    EXIF_IFD,
    EXTENSIONS,
    FORMATS,
    STUDIO_CHUNK,
    USER_COMMENT,
    studio_version,
)
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.readable import format_readable
from studio.engine.metadata.reading import read_metadata
from studio.engine.metadata.writing import encode_image, encode_png, studio_metadata

__all__ = [
    "A1111_CHUNK",
    "EXIF_IFD",
    "EXTENSIONS",
    "FORMATS",
    "STUDIO_CHUNK",
    "USER_COMMENT",
    "ImageMetadata",
    "a1111_parameters",
    "encode_image",
    "encode_png",
    "format_a1111",
    "format_readable",
    "parse_a1111",
    "read_metadata",
    "studio_metadata",
    "studio_version",
]
