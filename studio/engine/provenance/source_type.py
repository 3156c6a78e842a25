"""The IPTC digital source type in XMP: put it into PNG, JPEG and WebP bytes, read it back.

Works on encoded bytes (no re-encode, so pixels and the other metadata stay as
written): PNG gets an iTXt chunk ``XML:com.adobe.xmp``, JPEG an APP1 XMP
segment, WebP an ``XMP `` chunk (with the VP8X flag). An XMP packet already in
the file (the studio JSON of JPEG/WebP) is kept: the source type is added to
it as one more ``rdf:Description``.
"""

from __future__ import annotations

import re
import struct
import zlib

IPTC_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC_BASE + "trainedAlgorithmicMedia"
COMPOSITE = IPTC_BASE + "compositeWithTrainedAlgorithmicMedia"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
PNG_XMP_KEY = b"XML:com.adobe.xmp"
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_MAX_JPEG_SEGMENT = 65533

_DESCRIPTION = (
    f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{IPTC_EXT_NS}">'
    "<Iptc4xmpExt:DigitalSourceType>{url}</Iptc4xmpExt:DigitalSourceType>"
    "</rdf:Description>"
)
_OLD_DESCRIPTION = re.compile(r"<rdf:Description[^>]*Iptc4xmpExt[^>]*>\s*<Iptc4xmpExt:DigitalSourceType>.*?</rdf:Description>", re.S)
_SOURCE_RE = re.compile(r"<Iptc4xmpExt:DigitalSourceType>([^<]*)</Iptc4xmpExt:DigitalSourceType>|Iptc4xmpExt:DigitalSourceType=\"([^\"]*)\"")


class ContainerError(ValueError):
    """The bytes are not a PNG, JPEG or WebP this module can edit."""


def source_type_for(mode: str | None) -> str:
    """The IPTC code for a generation mode: txt2img makes, anything else changes an existing image."""
    return TRAINED if (mode or "txt2img") == "txt2img" else COMPOSITE


def xmp_with_source_type(packet: str | None, url: str) -> str:
    """``packet`` (or a new one) with the digital source type set to ``url``."""
    description = _DESCRIPTION.format(url=url)
    if packet and "<rdf:RDF" in packet:
        packet = _OLD_DESCRIPTION.sub("", packet)
        start = packet.index("<rdf:RDF")
        end = packet.index(">", start) + 1
        return packet[:end] + description + packet[end:]
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{description}</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )


def source_type_in_xmp(packet: str | None) -> str | None:
    if not packet:
        return None
    m = _SOURCE_RE.search(packet)
    return (m.group(1) or m.group(2)).strip() if m else None


def container_of(data: bytes) -> str:
    if data.startswith(_PNG_SIG):
        return "png"
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise ContainerError("not a PNG, JPEG or WebP file")


# -- PNG ---------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], len(_PNG_SIG)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise ContainerError("truncated PNG chunk")
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_itxt_text(body: bytes) -> tuple[bytes, str | None]:
    key, _, rest = body.partition(b"\x00")
    if len(rest) < 2:
        return key, None
    compressed, rest = rest[0], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _tkey, _, text = rest.partition(b"\x00")
    try:
        raw = zlib.decompress(text) if compressed else text
        return key, raw.decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return key, None


def _png_xmp(chunks) -> str | None:
    for kind, body in chunks:
        if kind == b"iTXt" and body.startswith(PNG_XMP_KEY + b"\x00"):
            return _png_itxt_text(body)[1]
    return None


def _png_set(data: bytes, url: str) -> bytes:
    chunks = _png_chunks(data)
    packet = xmp_with_source_type(_png_xmp(chunks), url)
    itxt = PNG_XMP_KEY + b"\x00\x00\x00\x00\x00" + packet.encode("utf-8")
    out = [_PNG_SIG]
    placed = False
    for kind, body in chunks:
        if kind == b"iTXt" and body.startswith(PNG_XMP_KEY + b"\x00"):
            continue
        if kind == b"IDAT" and not placed:
            out.append(_png_chunk(b"iTXt", itxt))
            placed = True
        out.append(_png_chunk(kind, body))
    return b"".join(out)


# -- JPEG --------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The marker segments before the scan, and the rest (SOS onwards)."""
    segments, pos = [], 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ContainerError("broken JPEG marker")
        marker = data[pos + 1]
        if marker == 0xDA or marker == 0xD9:
            return segments, data[pos:]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    raise ContainerError("JPEG without image data")


def _jpeg_xmp(segments) -> str | None:
    for marker, body in segments:
        if marker == 0xE1 and body.startswith(JPEG_XMP_HEADER):
            return body[len(JPEG_XMP_HEADER) :].decode("utf-8", "replace")
    return None


def _jpeg_set(data: bytes, url: str) -> bytes:
    segments, rest = _jpeg_segments(data)
    packet = xmp_with_source_type(_jpeg_xmp(segments), url).encode("utf-8")
    body = JPEG_XMP_HEADER + packet
    if len(body) > _MAX_JPEG_SEGMENT:  # a huge studio packet: keep only the source type
        body = JPEG_XMP_HEADER + xmp_with_source_type(None, url).encode("utf-8")
    kept = [(m, b) for m, b in segments if not (m == 0xE1 and b.startswith(JPEG_XMP_HEADER))]
    at = 0
    while at < len(kept) and (kept[at][0] == 0xE0 or (kept[at][0] == 0xE1)):
        at += 1  # after JFIF and EXIF
    kept.insert(at, (0xE1, body))
    out = [b"\xff\xd8"]
    for marker, seg in kept:
        out.append(bytes([0xFF, marker]) + struct.pack(">H", len(seg) + 2) + seg)
    out.append(rest)
    return b"".join(out)


# -- WebP --------------------------------------------------------------------------------


def _webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append((kind, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return chunks


def _webp_size(chunks) -> tuple[int, int]:
    for kind, body in chunks:
        if kind == b"VP8 " and len(body) >= 10:
            w, h = struct.unpack("<HH", body[6:10])
            return w & 0x3FFF, h & 0x3FFF
        if kind == b"VP8L" and len(body) >= 5:
            bits = int.from_bytes(body[1:5], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise ContainerError("WebP without image data")


def _webp_xmp(chunks) -> str | None:
    for kind, body in chunks:
        if kind == b"XMP ":
            return body.decode("utf-8", "replace")
    return None


def _webp_set(data: bytes, url: str) -> bytes:
    chunks = _webp_chunks(data)
    packet = xmp_with_source_type(_webp_xmp(chunks), url).encode("utf-8")
    chunks = [(k, b) for k, b in chunks if k != b"XMP "]
    if chunks and chunks[0][0] == b"VP8X":
        flags = bytearray(chunks[0][1])
        flags[0] |= 0x04
        chunks[0] = (b"VP8X", bytes(flags))
    else:
        w, h = _webp_size(chunks)
        alpha = 0x10 if any(k == b"VP8L" and len(b) > 4 and b[4] & 0x10 for k, b in chunks) else 0
        vp8x = bytes([0x04 | alpha, 0, 0, 0]) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
        chunks.insert(0, (b"VP8X", vp8x))
    chunks.append((b"XMP ", packet))
    body = b"".join(k + struct.pack("<I", len(b)) + b + (b"\x00" if len(b) & 1 else b"") for k, b in chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


# -- public ------------------------------------------------------------------------------


def set_source_type(data: bytes, url: str) -> bytes:
    """``data`` (PNG, JPEG or WebP bytes) with the XMP digital source type set to ``url``."""
    kind = container_of(data)
    return {"png": _png_set, "jpeg": _jpeg_set, "webp": _webp_set}[kind](data, url)


def read_xmp(data: bytes) -> str | None:
    """The file's XMP packet, or None."""
    try:
        kind = container_of(data)
        if kind == "png":
            return _png_xmp(_png_chunks(data))
        if kind == "jpeg":
            return _jpeg_xmp(_jpeg_segments(data)[0])
        return _webp_xmp(_webp_chunks(data))
    except (ContainerError, struct.error):
        return None


def read_source_type(data: bytes) -> str | None:
    """The IPTC digital source type URL in the file's XMP, or None."""
    return source_type_in_xmp(read_xmp(data))
