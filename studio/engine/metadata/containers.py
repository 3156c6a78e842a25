"""The metadata blocks of a PNG, JPEG or WebP file, read from its bytes without decoding any pixel.

Only regular files are opened (a FIFO or device would block). Every block is
bounded: a text over :data:`~.values.MAX_TEXT` characters (or one that inflates
past it) is skipped with a note, so neither a huge chunk nor a huge image costs
more than a pass over the file's headers.
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from studio.engine.errors import ImageLoadError
from studio.engine.metadata.values import MAX_TEXT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_CHUNKS = 100_000
_MAX_COMPRESSED = 16 * MAX_TEXT
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


@dataclass
class Container:
    format: str = ""
    width: int | None = None
    height: int | None = None
    texts: dict[str, str] = field(default_factory=dict)  # PNG text chunks (first of each name)
    exif: bytes | None = None
    xmp: bytes | None = None
    comment: str | None = None  # JPEG COM segment
    notes: list[str] = field(default_factory=list)


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, refusing anything but a regular file with one clean line."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ImageLoadError(f"No such image: {path}") from None
    except OSError as exc:
        raise ImageLoadError(f"Could not read {path}: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageLoadError(f"{path} is a folder, not an image.")
    if not stat.S_ISREG(st.st_mode):
        raise ImageLoadError(f"{path} is not a regular file (a pipe or device); not opened.")
    try:
        return open(path, "rb")
    except OSError as exc:
        raise ImageLoadError(f"Could not read {path}: {exc.strerror or type(exc).__name__}") from None


def read_container(fh: BinaryIO) -> Container | None:
    """The metadata blocks of an open file, or None when it is not PNG, JPEG or WebP."""
    head = fh.read(16)
    fh.seek(0)
    if head.startswith(PNG_SIGNATURE):
        box = _png(fh)
    elif head.startswith(b"\xff\xd8"):
        box = _jpeg(fh)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        box = _webp(fh)
    else:
        return None
    return box if box.width and box.height else None  # no image header: let the decoder say what is wrong


def _text(raw: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8 (Stability Matrix writes it into tEXt), else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _inflate(data: bytes) -> bytes | None:
    """zlib data inflated to at most MAX_TEXT bytes; None when damaged or larger."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_TEXT + 1)
    except zlib.error:
        return None
    return None if len(out) > MAX_TEXT or d.unconsumed_tail else out


def _png_text(kind: bytes, body: bytes) -> tuple[str, str] | None:
    key, sep, rest = body.partition(b"\x00")
    if not sep or not key:
        return None
    name = key.decode("latin-1")
    if kind == b"tEXt":
        return name, _text(rest)
    if kind == b"zTXt":
        data = _inflate(rest[1:]) if rest[:1] == b"\x00" else None
        return None if data is None else (name, _text(data))
    if len(rest) < 2:
        return None
    compressed, _method, rest = rest[0], rest[1], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if compressed:
        data = _inflate(text)
        if data is None:
            return None
        text = data
    return name, text.decode("utf-8", "replace")


def _png(fh: BinaryIO) -> Container:
    out = Container(format="PNG")
    fh.seek(8)
    for _ in range(_MAX_CHUNKS):
        header = fh.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            break
        wanted = kind == b"IHDR" or kind == b"eXIf" or kind in _TEXT_CHUNKS
        limit = _MAX_COMPRESSED if kind in (b"zTXt", b"iTXt", b"eXIf") else MAX_TEXT + 200
        if not wanted or length > limit:
            if wanted:
                out.notes.append(f"A {kind.decode('latin-1')} chunk of {length} bytes was skipped (too large).")
            fh.seek(length + 4, os.SEEK_CUR)
            continue
        body = fh.read(length)
        fh.seek(4, os.SEEK_CUR)  # CRC: damaged text only reads as damaged text
        if len(body) < length:
            out.notes.append("The file ends inside a chunk.")
            break
        if kind == b"IHDR" and length >= 8:
            out.width, out.height = struct.unpack(">II", body[:8])
        elif kind == b"eXIf":
            out.exif = out.exif or body
        else:
            found = _png_text(kind, body)
            if found is None:
                out.notes.append(f"A damaged or oversized {kind.decode('latin-1')} chunk was skipped.")
            elif found[0] not in out.texts:
                out.texts[found[0]] = found[1]
    return out


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(fh: BinaryIO) -> Container:
    out = Container(format="JPEG")
    fh.seek(2)
    for _ in range(_MAX_CHUNKS):
        byte = fh.read(1)
        if not byte:
            break
        if byte != b"\xff":
            continue  # garbage between segments: look for the next marker
        marker = fh.read(1)
        while marker == b"\xff":
            marker = fh.read(1)
        if not marker:
            break
        code = marker[0]
        if code in (0x01, 0x00) or 0xD0 <= code <= 0xD7:
            continue
        if code in (0xD9, 0xDA):  # end of image, start of scan: no metadata after this
            break
        size = fh.read(2)
        if len(size) < 2:
            break
        (length,) = struct.unpack(">H", size)
        body = fh.read(max(0, length - 2))
        if code == 0xE1 and body.startswith(b"Exif\x00\x00") and out.exif is None:
            out.exif = body
        elif code == 0xE1 and body.startswith(_XMP_APP1) and out.xmp is None:
            out.xmp = body[len(_XMP_APP1) :]
        elif code == 0xFE and out.comment is None:
            out.comment = _text(body.rstrip(b"\x00"))
        elif code in _SOF and len(body) >= 5 and out.width is None:
            out.height, out.width = struct.unpack(">HH", body[1:5])
    return out


def _webp(fh: BinaryIO) -> Container:
    out = Container(format="WEBP")
    fh.seek(12)
    for _ in range(_MAX_CHUNKS):
        header = fh.read(8)
        if len(header) < 8:
            break
        kind, length = struct.unpack("<4sI", header)
        padded = length + (length & 1)
        if kind in (b"EXIF", b"XMP ") and length <= _MAX_COMPRESSED:
            body = fh.read(length)
            fh.seek(padded - length, os.SEEK_CUR)
            if kind == b"EXIF" and out.exif is None:
                out.exif = body
            elif kind == b"XMP " and out.xmp is None:
                out.xmp = body
            continue
        if kind in (b"VP8X", b"VP8 ", b"VP8L") and out.width is None:
            body = fh.read(min(length, 30))
            fh.seek(padded - len(body), os.SEEK_CUR)
            _webp_size(out, kind, body)
            continue
        if kind in (b"EXIF", b"XMP "):
            out.notes.append(f"A {kind.decode('latin-1').strip()} chunk of {length} bytes was skipped (too large).")
        fh.seek(padded, os.SEEK_CUR)
    return out


def _webp_size(out: Container, kind: bytes, body: bytes) -> None:
    if kind == b"VP8X" and len(body) >= 10:
        out.width = 1 + int.from_bytes(body[4:7], "little")
        out.height = 1 + int.from_bytes(body[7:10], "little")
    elif kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        out.width = struct.unpack("<H", body[6:8])[0] & 0x3FFF
        out.height = struct.unpack("<H", body[8:10])[0] & 0x3FFF
    elif kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        out.width = (bits & 0x3FFF) + 1
        out.height = ((bits >> 14) & 0x3FFF) + 1
