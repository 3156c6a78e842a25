"""A small, bounded EXIF (TIFF) reader: the text tags generation tools use, and ``UserComment`` decoding.

Only IFD0 and the Exif sub-IFD are read, only ASCII, BYTE and UNDEFINED
values are kept; offsets and counts are checked against the block, so a
hostile block costs at most one pass over its bytes.
"""

from __future__ import annotations

import struct

from studio.engine.metadata.keys import _ASCII_PREFIX, _UNICODE_PREFIX, EXIF_IFD, USER_COMMENT

IMAGE_DESCRIPTION = 0x010E
MAKE = 0x010F
MODEL = 0x0110
SOFTWARE = 0x0131
ARTIST = 0x013B
_TEXT_TYPES = {1, 2, 7}  # BYTE, ASCII, UNDEFINED
_MAX_ENTRIES = 512


def parse_exif(block: bytes) -> dict[str, dict[int, bytes]]:
    """``{"0th": {tag: bytes}, "Exif": {tag: bytes}}`` for the text-like tags of an EXIF block.

    ``block`` may start with ``Exif\\0\\0``; a damaged block gives what could be read.
    """
    out: dict[str, dict[int, bytes]] = {"0th": {}, "Exif": {}, "order": {}}
    if block.startswith(b"Exif\x00\x00"):
        block = block[6:]
    if len(block) < 8 or block[:4] not in (b"II*\x00", b"MM\x00*"):
        return out
    order = "<" if block[:2] == b"II" else ">"
    out["order"] = {0: block[:2]}
    (first,) = struct.unpack(order + "I", block[4:8])
    exif_offset = _read_ifd(block, order, first, out["0th"])
    if exif_offset:
        _read_ifd(block, order, exif_offset, out["Exif"])
    return out


def _read_ifd(block: bytes, order: str, offset: int, into: dict[int, bytes]) -> int | None:
    """Read one IFD into ``into``; the Exif sub-IFD's offset when there is one."""
    if offset < 8 or offset + 2 > len(block):
        return None
    (count,) = struct.unpack(order + "H", block[offset : offset + 2])
    sub = None
    for i in range(min(count, _MAX_ENTRIES)):
        pos = offset + 2 + 12 * i
        if pos + 12 > len(block):
            break
        tag, kind, n = struct.unpack(order + "HHI", block[pos : pos + 8])
        if tag == EXIF_IFD and kind in (4, 13) and n == 1:
            (sub,) = struct.unpack(order + "I", block[pos + 8 : pos + 12])
            continue
        if kind not in _TEXT_TYPES:
            continue
        if n <= 4:
            into[tag] = block[pos + 8 : pos + 8 + n]
        else:
            (at,) = struct.unpack(order + "I", block[pos + 8 : pos + 12])
            if at + n <= len(block):
                into[tag] = block[at : at + n]
    return sub if sub != offset else None


def _utf16(body: bytes, order: bytes) -> str:
    """UTF-16 in either byte order: the order where ASCII's zero bytes fall wins, then the TIFF order."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16", "replace")
    high_first = body[0::2].count(0)
    low_first = body[1::2].count(0)
    if high_first == low_first:
        enc = "utf-16-le" if order == b"II" else "utf-16-be"
    else:
        enc = "utf-16-be" if high_first > low_first else "utf-16-le"
    return body[: len(body) // 2 * 2].decode(enc, "replace")


def decode_text(raw: bytes) -> str:
    """An ASCII/BYTE tag's text: UTF-8 when valid (what ComfyUI writes), else Latin-1."""
    raw = raw.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_user_comment(value: bytes | str | None, order: bytes = b"MM") -> str | None:
    """The text of an EXIF ``UserComment`` (``UNICODE``/``ASCII``/undefined prefix, or none)."""
    if isinstance(value, str):
        return value.strip("\x00") or None
    if not isinstance(value, (bytes, bytearray)):
        return None
    raw = bytes(value)
    if raw.startswith(_UNICODE_PREFIX):
        text = _utf16(raw[len(_UNICODE_PREFIX) :], order)
    elif raw[:8] in (_ASCII_PREFIX, b"\x00" * 8, b"JIS\x00\x00\x00\x00\x00"):
        text = decode_text(raw[8:])
    else:
        text = decode_text(raw)
    return text.strip("\x00") or None


def user_comment(tags: dict[str, dict[int, bytes]]) -> str | None:
    """The decoded ``UserComment`` of the Exif IFD (or, as some ComfyUI savers put it, of IFD0)."""
    order = tags.get("order", {}).get(0, b"MM")
    for ifd in ("Exif", "0th"):
        raw = tags.get(ifd, {}).get(USER_COMMENT)
        if raw:
            return decode_user_comment(raw, order)
    return None


def user_comment_exif(text: str) -> bytes:
    """A big-endian EXIF block holding ``text`` as ``UserComment``, the way A1111 (piexif) writes it.

    The tag is UNDEFINED (type 7), its value ``UNICODE\\0`` then UTF-16BE, in
    the Exif sub-IFD that IFD0 points to; piexif, exiftool and every reader of
    A1111 files read it. Returned without the ``Exif\\0\\0`` header (Pillow adds it).
    """
    value = _UNICODE_PREFIX + text.encode("utf-16-be")
    ifd0 = 8
    exif_ifd = ifd0 + 2 + 12 + 4
    data_at = exif_ifd + 2 + 12 + 4
    out = bytearray(b"MM\x00*" + struct.pack(">I", ifd0))
    out += struct.pack(">H", 1) + struct.pack(">HHII", EXIF_IFD, 4, 1, exif_ifd) + struct.pack(">I", 0)
    out += struct.pack(">H", 1) + struct.pack(">HHII", USER_COMMENT, 7, len(value), data_at) + struct.pack(">I", 0)
    out += value
    return bytes(out)
