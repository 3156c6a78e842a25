"""From a file's metadata blocks to one flat ``raw`` dict of PNG-chunk-like key/text pairs.

Whatever the container, a reader finds the same keys: ``parameters`` (A1111
text, from a PNG chunk or an EXIF ``UserComment``), ``prompt``/``workflow``
(ComfyUI graphs, also from its EXIF layouts: ``Model="prompt:{...}"``,
``Make="workflow:{...}"``, save-image-extended's ``Make="Prompt: {...}"`` /
``ImageDescription="Workflow: {...}"``, a ``UserComment`` JSON), ``studio``
(also from XMP), NovelAI's ``Comment``... The parsed XMP properties ride along.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from studio.engine.metadata.containers import Container
from studio.engine.metadata.exif import IMAGE_DESCRIPTION, MAKE, MODEL, SOFTWARE, decode_text, parse_exif, user_comment
from studio.engine.metadata.keys import A1111_CHUNK, STUDIO_CHUNK
from studio.engine.metadata.values import MAX_TEXT, clean_text, json_obj
from studio.engine.metadata.xmp import xmp_fields

XMP_KEY = "XML:com.adobe.xmp"
_PREFIXES = {"prompt:": "prompt", "workflow:": "workflow", "prompt: ": "prompt", "workflow: ": "workflow"}


@dataclass
class Sources:
    raw: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, str] = field(default_factory=dict)
    software: str = ""  # EXIF Software, when there is one


def is_comfy_graph(data: dict) -> bool:
    """True for a ComfyUI API graph: node ids mapping to ``{"class_type", "inputs"}``."""
    nodes = [v for v in data.values() if isinstance(v, dict)]
    return bool(nodes) and sum(1 for v in nodes if "class_type" in v) * 2 >= len(nodes)


def _put(raw: dict[str, str], key: str, value: str | None) -> None:
    if value and key not in raw and len(value) <= MAX_TEXT:
        raw[key] = clean_text(value)


def _from_comment(raw: dict[str, str], text: str) -> None:
    """Place a ``UserComment``'s text under the key of what it holds."""
    data = json_obj(text)
    if data is None:
        _put(raw, A1111_CHUNK, text)
        return
    if "sui_image_params" in data:
        _put(raw, A1111_CHUNK, text)
    elif is_comfy_graph(data):
        _put(raw, "prompt", text)
    elif isinstance(data.get("prompt"), dict) and is_comfy_graph(data["prompt"]):
        _put(raw, "prompt", json.dumps(data["prompt"]))
        if isinstance(data.get("workflow"), (dict, str)):
            wf = data["workflow"]
            _put(raw, "workflow", wf if isinstance(wf, str) else json.dumps(wf))
    elif isinstance(data.get("Comment"), str):  # NovelAI WebP: the PNG chunks as one JSON object
        for key, value in data.items():
            if isinstance(value, str):
                _put(raw, key, value)
    else:
        _put(raw, A1111_CHUNK, text)


def collect(box: Container) -> Sources:
    """The :class:`Sources` of one file's :class:`Container`."""
    out = Sources(raw={k: clean_text(v) for k, v in box.texts.items()})
    raw = out.raw
    if box.exif:
        tags = parse_exif(box.exif)
        comment = user_comment(tags)
        if comment:
            _from_comment(raw, comment)
        ifd0 = tags["0th"]
        for tag in (MODEL, MAKE, IMAGE_DESCRIPTION):
            if tag not in ifd0:
                continue
            text = decode_text(ifd0[tag])
            head = text[:10].lower()
            for prefix, key in _PREFIXES.items():
                if head.startswith(prefix) and text[len(prefix) :].lstrip().startswith("{"):
                    _put(raw, key, text[len(prefix) :].strip())
                    break
            else:
                if tag == MODEL and json_obj(text) is not None:  # SwarmUI's legacy layout: its JSON in Model
                    _from_comment(raw, text)
        if SOFTWARE in ifd0:
            out.software = decode_text(ifd0[SOFTWARE])
    if box.comment:
        _put(raw, "comment", box.comment)
    packet = box.xmp or (raw.get(XMP_KEY) or "").encode("utf-8")
    if packet:
        out.xmp = xmp_fields(packet)
        if out.xmp.get("params") and STUDIO_CHUNK not in raw:
            _put(raw, STUDIO_CHUNK, out.xmp["params"])
        elif box.xmp and json_obj(out.xmp.get("UserComment")):
            _put(raw, XMP_KEY, box.xmp.decode("utf-8", "replace"))
    return out
