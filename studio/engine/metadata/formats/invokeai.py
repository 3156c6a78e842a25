"""InvokeAI: ``invokeai_metadata`` (3.x-6.x), ``sd-metadata`` (2.x) and ``Dream`` (1.x) chunks.

2.x and 1.x keep the negative prompt inside the prompt, in square brackets
(``a cat [blurry, ugly]``): it is split out.
"""

from __future__ import annotations

import re

from studio.engine.metadata.formats.common import lora_tags, model_name
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import from_invokeai
from studio.engine.metadata.sources import Sources
from studio.engine.metadata.values import json_obj

NAME = "invokeai"
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def split_negative(prompt: str) -> tuple[str, str]:
    """``("a cat", "blurry, ugly")`` from ``"a cat [blurry, ugly]"``."""
    negatives = [m.strip() for m in _BRACKETS.findall(prompt) if m.strip()]
    positive = " ".join(_BRACKETS.sub(" ", prompt).split())
    return positive, ", ".join(negatives)


def _scheduler(md: ImageMetadata, name: object) -> None:
    if isinstance(name, str):
        md.sampler = name
        md.scheduler, md.schedule = from_invokeai(name)


def _model(value: object) -> tuple[object, object]:
    if isinstance(value, dict):
        return value.get("name") or value.get("model_name"), value.get("hash")
    return value, None


def _v3(md: ImageMetadata, data: dict) -> None:
    md.prompt = data.get("positive_prompt") if isinstance(data.get("positive_prompt"), str) else data.get("prompt")
    md.negative_prompt = data.get("negative_prompt") if isinstance(data.get("negative_prompt"), str) else ""
    md.seed, md.steps, md.cfg_scale = data.get("seed"), data.get("steps"), data.get("cfg_scale")
    md.width, md.height = data.get("width"), data.get("height")
    _scheduler(md, data.get("scheduler"))
    md.model, md.model_hash = _model(data.get("model"))
    if "img2img" in str(data.get("generation_mode", "")) or data.get("strength") is not None:
        md.denoise = data.get("strength")
    loras = []
    for item in data.get("loras") if isinstance(data.get("loras"), list) else []:
        if isinstance(item, dict):
            name, _ = _model(item.get("model") or item.get("lora"))
            if isinstance(name, str):
                loras.append(name)
    md.loras = loras


def _v2(md: ImageMetadata, data: dict) -> None:
    image = data.get("image") if isinstance(data.get("image"), dict) else {}
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = " ".join(str(p.get("prompt", "")) for p in prompt if isinstance(p, dict))
    if isinstance(prompt, str):
        md.prompt, md.negative_prompt = split_negative(prompt)
    md.seed, md.steps, md.cfg_scale = image.get("seed"), image.get("steps"), image.get("cfg_scale")
    md.width, md.height = image.get("width"), image.get("height")
    _scheduler(md, image.get("sampler"))
    if image.get("type") == "img2img":
        md.denoise = image.get("strength")
    md.model = model_name(data.get("model_weights")) or None
    md.model_hash = data.get("model_hash") or None


_DREAM_OPTS = {"-s": "steps", "-S": "seed", "-W": "width", "-H": "height", "-C": "cfg_scale", "-A": "sampler", "-f": "denoise"}


def _dream(md: ImageMetadata, text: str) -> bool:
    text = text.strip()
    last = text.rfind('"')
    if text.startswith('"') and last > 0:  # options never hold a quote: the last one closes the prompt
        prompt, options = text[1:last], text[last + 1 :]
    else:
        cut = re.search(r"\s-[sSWHCA]\s", text)
        prompt, options = (text[: cut.start()], text[cut.start() :]) if cut else (text, "")
    md.prompt, md.negative_prompt = split_negative(prompt.replace('\\"', '"'))
    tokens = options.split()
    for i, token in enumerate(tokens[:-1]):
        name = _DREAM_OPTS.get(token)
        if name == "sampler":
            _scheduler(md, tokens[i + 1])
        elif name:
            setattr(md, name, tokens[i + 1])
    md.loras = lora_tags(md.prompt)
    return bool(md.prompt)


def read(src: Sources, md: ImageMetadata) -> bool:
    data = json_obj(src.raw.get("invokeai_metadata"))
    if data is not None:
        _v3(md, data)
    elif (legacy := json_obj(src.raw.get("sd-metadata"))) is not None:
        _v2(md, legacy)
    elif isinstance(src.raw.get("Dream"), str):
        if not _dream(md, src.raw["Dream"]):
            return False
    else:
        return False
    md.source = NAME
    return True
