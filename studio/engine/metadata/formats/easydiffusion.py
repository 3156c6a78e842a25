"""Easy Diffusion: one PNG text chunk per field (``prompt``, ``negative_prompt``, ``seed``... in either spelling), or the same keys as JSON."""

from __future__ import annotations

from studio.engine.metadata.formats.common import lowered, model_name
from studio.engine.metadata.keys import A1111_CHUNK
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_comfy
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj, looks_like_json

NAME = "easydiffusion"
# Easy Diffusion's two spellings: the request keys, and the "nice" labels of its metadata option
_KEYS = {
    "prompt": ("prompt",),
    "negative": ("negative_prompt", "negative prompt"),
    "seed": ("seed",),
    "steps": ("num_inference_steps", "steps"),
    "cfg": ("guidance_scale", "guidance scale"),
    "width": ("width",),
    "height": ("height",),
    "sampler": ("sampler_name", "sampler"),
    "model": ("use_stable_diffusion_model", "stable diffusion model"),
    "denoise": ("prompt_strength", "prompt strength"),
}


def _get(low: dict, name: str):
    return next((low[k] for k in _KEYS[name] if k in low), None)


def read(src: Sources, md: ImageMetadata) -> bool:
    low = lowered(src.raw)
    per_key = isinstance(_get(low, "prompt"), str) and not looks_like_json(_get(low, "prompt"))
    if not per_key:
        data = json_obj(src.raw.get(A1111_CHUNK))
        low = lowered(data) if data else {}
    prompt = _get(low, "prompt")
    if not isinstance(prompt, str) or looks_like_json(prompt):
        return False
    # per-key chunks need a second field of theirs; JSON needs Easy Diffusion's own model key
    if _get(low, "model") is None and not (per_key and _get(low, "negative") is not None):
        return False
    md.prompt = prompt
    md.negative_prompt = _get(low, "negative") if isinstance(_get(low, "negative"), str) else ""
    md.seed, md.steps, md.cfg_scale = _get(low, "seed"), _get(low, "steps"), _get(low, "cfg")
    md.width, md.height = _get(low, "width"), _get(low, "height")
    sampler = _get(low, "sampler")
    if isinstance(sampler, str):
        md.sampler = sampler
        md.scheduler, md.schedule = from_comfy(sampler, None)
    md.model = model_name(_get(low, "model"))
    md.source = NAME
    return True
