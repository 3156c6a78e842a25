"""Fooocus (``parameters`` JSON with ``fooocus_scheme``, or the older ``Comment`` JSON) and RuinedFooocus."""

from __future__ import annotations

from studio.engine.metadata.formats.common import first, lowered, model_name, size_pair, text_of
from studio.engine.metadata.keys import A1111_CHUNK
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_comfy
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj

NAME = "fooocus"


def _is_fooocus(src: Sources, low: dict) -> bool:
    if src.raw.get("fooocus_scheme") or str(low.get("metadata_scheme", "")).lower() == "fooocus":
        return True
    marks = (str(low.get("version", "")), str(low.get("software", "")), src.software)
    return any("fooocus" in m.lower() for m in marks)


def read(src: Sources, md: ImageMetadata) -> bool:
    for key in (A1111_CHUNK, "Comment", "comment"):
        data = json_obj(src.raw.get(key))
        if data is not None and _is_fooocus(src, lowered(data)):
            break
    else:
        return False
    low = lowered(data)
    md.prompt = text_of(first(low, "prompt")) or ""
    md.negative_prompt = text_of(first(low, "negative_prompt", "negative prompt", "negative")) or ""
    if "full_prompt" in low and text_of(low["full_prompt"]):
        md.extra["full_prompt"] = text_of(low["full_prompt"])
    md.seed = first(low, "seed")
    md.steps = first(low, "steps")
    md.cfg_scale = first(low, "guidance_scale", "guidance scale", "cfg")
    sampler = first(low, "sampler", "sampler_name")
    schedule = first(low, "scheduler")
    if isinstance(sampler, str):
        md.sampler = sampler
    md.scheduler, md.schedule = from_comfy(sampler, schedule if isinstance(schedule, str) else None)
    md.width, md.height = first(low, "width"), first(low, "height")
    if md.width is None:
        md.width, md.height = size_pair(first(low, "resolution"))
    md.model = model_name(first(low, "base_model", "base model", "base_model_name"))
    md.model_hash = first(low, "base_model_hash")
    md.denoise = first(low, "denoise", "denoising_strength")
    loras = low.get("loras")
    if isinstance(loras, list):
        md.loras = [model_name(x[0] if isinstance(x, (list, tuple)) and x else x) or "" for x in loras if isinstance(x, (str, list, tuple))]
    md.source = NAME
    return True
