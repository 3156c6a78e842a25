"""SwarmUI: ``{"sui_image_params": {...}, "sui_models": [...]}`` in ``parameters`` or the EXIF ``UserComment``."""

from __future__ import annotations

from studio.engine.metadata.formats.common import model_name
from studio.engine.metadata.keys import A1111_CHUNK
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_comfy
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj

NAME = "swarmui"


def read(src: Sources, md: ImageMetadata) -> bool:
    data = json_obj(src.raw.get(A1111_CHUNK))
    params = data.get("sui_image_params") if data else None
    if not isinstance(params, dict):
        return False
    md.prompt = params.get("prompt") if isinstance(params.get("prompt"), str) else ""
    md.negative_prompt = params.get("negativeprompt") if isinstance(params.get("negativeprompt"), str) else ""
    md.seed, md.steps, md.cfg_scale = params.get("seed"), params.get("steps"), params.get("cfgscale")
    md.width, md.height = params.get("width"), params.get("height")
    sampler = params.get("sampler")
    if isinstance(sampler, str):
        md.sampler = sampler
    md.scheduler, md.schedule = from_comfy(sampler, params.get("scheduler") if isinstance(params.get("scheduler"), str) else None)
    md.model = model_name(params.get("model"))
    if params.get("initimagecreativity") is not None:
        md.denoise = params.get("initimagecreativity")
    loras = params.get("loras")
    md.loras = [model_name(x) or x for x in loras if isinstance(x, str)] if isinstance(loras, list) else []
    for item in data.get("sui_models") or [] if isinstance(data.get("sui_models"), list) else []:
        if isinstance(item, dict) and item.get("param") == "model" and isinstance(item.get("hash"), str):
            md.model_hash = item["hash"]
    md.source = NAME
    return True
