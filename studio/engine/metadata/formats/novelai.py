"""NovelAI: the ``Comment`` JSON (PNG chunk, or inside the WebP ``UserComment``) beside ``Description``/``Source``.

V4 keeps the base prompt in ``v4_prompt.caption.base_caption`` and one
prompt per character in ``char_captions`` (kept in ``extra["characters"]``).
"""

from __future__ import annotations

from studio.engine.metadata.formats.common import size_pair
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_comfy
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj

NAME = "novelai"


def _is_novelai(src: Sources, data: dict) -> bool:
    marks = (src.raw.get("Software", ""), src.raw.get("Source", ""), src.software)
    if any(isinstance(m, str) and m.startswith("NovelAI") for m in marks):
        return True
    return "uc" in data and ("scale" in data or "noise_schedule" in data)


def _caption(value: object) -> tuple[str | None, list[str]]:
    caption = value.get("caption") if isinstance(value, dict) else None
    if not isinstance(caption, dict):
        return None, []
    chars = [c.get("char_caption") for c in caption.get("char_captions") or [] if isinstance(c, dict)]
    base = caption.get("base_caption")
    return (base if isinstance(base, str) else None), [c for c in chars if isinstance(c, str) and c.strip()]


def read(src: Sources, md: ImageMetadata) -> bool:
    data = json_obj(src.raw.get("Comment"))
    if data is None or not _is_novelai(src, data):
        return False
    base, characters = _caption(data.get("v4_prompt"))
    negative, _ = _caption(data.get("v4_negative_prompt"))
    prompt = data.get("prompt") if isinstance(data.get("prompt"), str) else base
    md.prompt = prompt if isinstance(prompt, str) else src.raw.get("Description", "")
    md.negative_prompt = data.get("uc") if isinstance(data.get("uc"), str) else (negative or "")
    md.seed, md.steps, md.cfg_scale = data.get("seed"), data.get("steps"), data.get("scale")
    md.width, md.height = data.get("width"), data.get("height")
    if md.width is None:
        md.width, md.height = size_pair(data.get("resolution"))
    if isinstance(data.get("sampler"), str):
        md.sampler = data["sampler"]
        md.scheduler, md.schedule = from_comfy(data["sampler"], data.get("noise_schedule") if isinstance(data.get("noise_schedule"), str) else None)
    if data.get("strength") is not None and data.get("image") is not None:
        md.denoise = data.get("strength")
    source = src.raw.get("Source")
    md.model = source if isinstance(source, str) else None
    if characters:
        md.extra["characters"] = characters
    md.source = NAME
    return True
