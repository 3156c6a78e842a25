"""XMP packets parsed with a real XML parser: a size cap, and no DTD (so no entity expansion) at all."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

MAX_XMP = 1_000_000  # bytes; a larger packet is not read
_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def xmp_fields(packet: bytes | str | None) -> dict[str, str]:
    """``{local name: text}`` of the leaf properties in an XMP packet (``params``, ``UserComment``...).

    A property whose value is an ``rdf:Alt``/``Seq``/``Bag`` gets its first item's
    text; attributes of ``rdf:Description`` count too. Anything malformed, over
    :data:`MAX_XMP` or declaring a DTD gives ``{}``.
    """
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if not isinstance(packet, (bytes, bytearray)) or not packet or len(packet) > MAX_XMP:
        return {}
    data = bytes(packet)
    if _DTD_RE.search(data):
        return {}
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        start = data.find(b"<rdf:RDF")
    if start < 0:
        return {}
    end_tag = b"</x:xmpmeta>" if data.startswith(b"<x:xmpmeta", start) else b"</rdf:RDF>"
    end = data.find(end_tag, start)
    if end < 0:
        return {}
    try:
        root = ET.fromstring(data[start : end + len(end_tag)])
    except (ET.ParseError, ValueError, RecursionError):
        return {}
    out: dict[str, str] = {}
    for desc in root.iter(_RDF + "Description"):
        for key, value in desc.attrib.items():
            out.setdefault(_local(key), value)
        for prop in desc:
            name = _local(prop.tag)
            items = [li for li in prop.iter(_RDF + "li")]
            text = (items[0].text if items else prop.text) or ""
            if text.strip() and name not in out:
                out[name] = text
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag.split(":")[-1]
