"""The studio's own ``studio`` chunk (PNG) or XMP ``studio:params`` (JPEG/WebP), over its A1111 text."""

from __future__ import annotations

from studio.engine.metadata.formats import a1111_text
from studio.engine.metadata.keys import A1111_CHUNK, STUDIO_CHUNK
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj, looks_like_json
from studio.engine.schedulers import SCHEDULERS

NAME = "studio"


def read(src: Sources, md: ImageMetadata) -> bool:
    data = json_obj(src.raw.get(STUDIO_CHUNK))
    if not data or data.get("format") != "studio":
        return False
    text = src.raw.get(A1111_CHUNK)
    if text and not looks_like_json(text):
        a1111_text.fill(md, text)
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    md.studio = data
    md.prompt = params.get("prompt", md.prompt) if isinstance(params.get("prompt"), str) else md.prompt
    if isinstance(params.get("negative_prompt"), str):
        md.negative_prompt = params["negative_prompt"]
    md.seed = data.get("seed", params.get("seed", md.seed))
    md.steps = params.get("steps", md.steps)
    md.cfg_scale = params.get("cfg_scale", md.cfg_scale)
    scheduler = params.get("scheduler")
    if isinstance(scheduler, str):
        md.scheduler = scheduler if scheduler in SCHEDULERS else None
        md.sampler = scheduler
        md.schedule = None
    md.width = params.get("width") or md.width
    md.height = params.get("height") or md.height
    md.model = data.get("model_name") or params.get("model") or md.model
    md.model_hash = data.get("model_hash") or md.model_hash
    if params.get("mode") in ("img2img", "inpaint"):
        md.denoise = params.get("strength", md.denoise)
    md.source = NAME
    return True


def postprocess_record(src: Sources) -> dict | None:
    """The studio chunk of Studio's upscaled copy of an image from another tool (or none): only the
    ``postprocess`` record (upscale factor, upscaler, source file and hash); the parameters are the other tool's."""
    data = json_obj(src.raw.get(STUDIO_CHUNK))
    if not data or data.get("format") == "studio" or not isinstance(data.get("postprocess"), dict):
        return None
    return {"postprocess": data["postprocess"]}
