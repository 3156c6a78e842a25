"""AUTOMATIC1111 / Forge / SD.Next / Civitai text: the ``parameters`` chunk or EXIF ``UserComment``."""

from __future__ import annotations

from studio.engine.metadata.a1111 import parse_a1111
from studio.engine.metadata.formats.common import lora_tags, size_pair
from studio.engine.metadata.keys import A1111_CHUNK
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_a1111, from_comfy
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_value, looks_like_json

NAME = "a1111"


def fill(md: ImageMetadata, text: str) -> None:
    """Fill ``md`` from A1111 text (also used under the studio's own JSON)."""
    parsed = parse_a1111(text)
    md.prompt = parsed.pop("prompt")
    md.negative_prompt = parsed.pop("negative_prompt")
    md.parameters = {k: str(v) for k, v in parsed.items()}
    md.seed = parsed.get("Seed")
    md.steps = parsed.get("Steps")
    md.cfg_scale = parsed.get("CFG scale")
    sampler = parsed.get("Sampler")
    if sampler:
        md.sampler = sampler
        md.scheduler, md.schedule = from_a1111(sampler, parsed.get("Schedule type", ""))
        if md.scheduler is None and md.schedule is None:  # ComfyUI savers write their own names here
            md.scheduler, md.schedule = from_comfy(sampler, None)
    md.width, md.height = size_pair(parsed.get("Size", ""))
    md.model = parsed.get("Model") or None
    md.model_hash = parsed.get("Model hash") or None
    md.denoise = parsed.get("Denoising strength")
    if md.model is None and isinstance(parsed.get("Civitai resources"), str):  # Civitai's generator
        resources = json_value(parsed["Civitai resources"])
        for item in resources if isinstance(resources, list) else []:
            if isinstance(item, dict) and item.get("type") == "checkpoint" and isinstance(item.get("modelName"), str):
                md.model = item["modelName"]
                break
    loras = lora_tags(md.prompt)
    hashes = parsed.get("Lora hashes")
    if isinstance(hashes, str):
        loras += [pair.split(":")[0].strip() for pair in hashes.split(",") if ":" in pair]
    md.loras = list(dict.fromkeys(x for x in loras if x))


def read(src: Sources, md: ImageMetadata) -> bool:
    text = src.raw.get(A1111_CHUNK)
    if not text or not text.strip() or looks_like_json(text):
        return False
    fill(md, text)
    caption = "\n" not in text.strip() and "," not in text and len(text) <= 40
    if not md.parameters and not md.negative_prompt and caption:
        # one short line and no parameters: a caption (a screenshot tool's "Screenshot"), not a prompt
        md.prompt = ""
        return False
    md.source = NAME
    return True
