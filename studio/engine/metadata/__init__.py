"""Generation metadata: write it into images, read it back from any of the common tools.

Written by the studio:

* PNG: a text chunk ``parameters`` in the AUTOMATIC1111 layout (so every other
  tool understands it) and a chunk ``studio`` holding the complete JSON needed
  to reproduce the image exactly (tEXt, or iTXt when the text is not Latin-1).
* JPEG/WebP: the same AUTOMATIC1111 text in EXIF ``UserComment`` (unicode) and
  the studio JSON in an XMP packet (``studio:params``).

Read back (:func:`read_metadata`): files from this studio, AUTOMATIC1111/Forge,
ComfyUI (API ``prompt`` graph) and InvokeAI (``invokeai_metadata``). Untrusted
files are read inside Pillow's limits; a broken file raises
:class:`~studio.engine.errors.ImageLoadError` with a one-line message.

Qt-free. The package: :mod:`.keys` (where metadata lives in a file),
:mod:`.a1111` (the parameters text), :mod:`.writing` (studio JSON, encoding),
:mod:`.reading` (:func:`read_metadata`) and :mod:`.foreign` (ComfyUI, InvokeAI).
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
from studio.engine.metadata.reading import ImageMetadata, format_readable, read_metadata
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
