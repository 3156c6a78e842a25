"""Any other JSON object of generation settings in ``parameters`` (Hugging Face Spaces, scripts...).

Common key spellings are read; the JSON itself is never taken for a prompt.
"""

from __future__ import annotations

from studio.engine.metadata.formats.common import first, lowered, model_name, size_pair, text_of
from studio.engine.metadata.keys import A1111_CHUNK
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_a1111, from_comfy
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj

NAME = "json"


def read(src: Sources, md: ImageMetadata) -> bool:
    data = json_obj(src.raw.get(A1111_CHUNK))
    if data is None:
        return False
    low = lowered(data)
    prompt = text_of(first(low, "prompt", "positive_prompt", "positive", "caption"))
    if prompt is None:
        return False
    md.prompt = prompt
    md.negative_prompt = text_of(first(low, "negative_prompt", "negativeprompt", "negative", "uc")) or ""
    md.seed = first(low, "seed", "noise_seed")
    md.steps = first(low, "steps", "num_inference_steps", "num_steps")
    md.cfg_scale = first(low, "cfg_scale", "guidance_scale", "cfgscale", "cfg", "scale")
    md.width, md.height = first(low, "width"), first(low, "height")
    if md.width is None:
        md.width, md.height = size_pair(first(low, "resolution", "size"))
    sampler = first(low, "sampler", "sampler_name", "scheduler")
    if isinstance(sampler, str):
        md.sampler = sampler
        name, schedule = from_a1111(sampler)
        md.scheduler, md.schedule = (name, schedule) if name else from_comfy(sampler, first(low, "schedule", "schedule_type"))
    md.model = model_name(first(low, "model", "model_name", "checkpoint"))
    md.model_hash = first(low, "model hash", "model_hash")
    md.denoise = first(low, "strength", "denoising_strength", "denoise")
    md.source = NAME
    return True
