"""Draw Things: a JSON object in the XMP ``exif:UserComment`` (``c`` prompt, ``uc`` negative, ``scale``, ``size``...)."""

from __future__ import annotations

from studio.engine.metadata.formats.common import model_name, size_pair
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_a1111
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj

NAME = "drawthings"


def read(src: Sources, md: ImageMetadata) -> bool:
    data = json_obj(src.xmp.get("UserComment"))
    if data is None or not isinstance(data.get("c"), str):
        return False
    md.prompt = data["c"]
    md.negative_prompt = data.get("uc") if isinstance(data.get("uc"), str) else ""
    md.seed, md.steps, md.cfg_scale = data.get("seed"), data.get("steps"), data.get("scale")
    md.width, md.height = size_pair(data.get("size"))
    if isinstance(data.get("sampler"), str):
        md.sampler = data["sampler"]
        md.scheduler, md.schedule = from_a1111(data["sampler"])
    md.model = model_name(data.get("model"))
    if data.get("strength") is not None and data.get("strength") != 1:
        md.denoise = data.get("strength")
    loras = data.get("lora")
    if isinstance(loras, list):
        md.loras = [model_name(x.get("file")) or "" for x in loras if isinstance(x, dict)]
    md.source = NAME
    return True
