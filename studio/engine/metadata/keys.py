"""Where the metadata lives in a file: PNG chunk names, EXIF tags, the XMP namespace, format names."""

from __future__ import annotations

from studio import __version__

STUDIO_CHUNK = "studio"
A1111_CHUNK = "parameters"
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
_UNICODE_PREFIX = b"UNICODE\x00"
_ASCII_PREFIX = b"ASCII\x00\x00\x00"
_XMP_NS = "https://studio.invalid/ns/1.0/"
# A JPEG APP1 segment holds at most 64 KiB; keep a margin for the XMP wrapper.
_MAX_XMP_BYTES = 60_000

FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def studio_version() -> str:
    return f"studio {__version__}"
