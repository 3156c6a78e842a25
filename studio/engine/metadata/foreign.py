"""Other tools' metadata: ComfyUI (the API ``prompt`` graph) and InvokeAI (v3+ and the old ``sd-metadata``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.engine.metadata.a1111 import _float, _int

if TYPE_CHECKING:
    from studio.engine.metadata.reading import ImageMetadata


_COMFY_SAMPLERS = {
    "euler": "Euler",
    "euler_ancestral": "Euler a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_sde": "DPM++ 2M SDE Karras",
    "ddim": "DDIM",
    "uni_pc": "UniPC",
    "uni_pc_bh2": "UniPC",
    "lms": "LMS",
    "lcm": "LCM",
}


def _comfy_scheduler(sampler: str, schedule: str) -> str | None:
    if sampler == "dpmpp_2m" and schedule == "karras":
        return "DPM++ 2M Karras"
    if sampler == "dpmpp_2m_sde" and schedule != "karras":
        return None
    return _COMFY_SAMPLERS.get(sampler)


def _comfy_text(graph: dict, link: Any, depth: int = 0) -> str:
    """Follow a conditioning link back to the text that made it."""
    if depth > 20 or not (isinstance(link, list) and link):
        return ""
    node = graph.get(str(link[0]))
    if not isinstance(node, dict):
        return ""
    inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
    for key in ("text", "text_g", "prompt", "string", "value"):
        value = inputs.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            found = _comfy_text(graph, value, depth + 1)
            if found:
                return found
    texts = []
    for key in ("conditioning", "conditioning_1", "conditioning_2", "conditioning_to", "conditioning_from", "positive", "negative"):
        if key in inputs:
            found = _comfy_text(graph, inputs[key], depth + 1)
            if found:
                texts.append(found)
    return ", ".join(texts)


def _comfy_value(graph: dict, value: Any, key: str, depth: int = 0) -> Any:
    """A widget value, following a link to a primitive node when there is one."""
    if isinstance(value, list) and value and depth < 10:
        node = graph.get(str(value[0]))
        if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
            inputs = node["inputs"]
            for candidate in (key, "value", "seed", "noise_seed", "int", "float"):
                if candidate in inputs:
                    return _comfy_value(graph, inputs[candidate], key, depth + 1)
        return None
    return value


def _from_comfyui(md: ImageMetadata, graph: dict) -> None:
    samplers = [
        (nid, n)
        for nid, n in graph.items()
        if isinstance(n, dict) and isinstance(n.get("inputs"), dict) and "KSampler" in str(n.get("class_type", ""))
    ]
    if not samplers:
        md.source = "comfyui"
        return
    samplers.sort(key=lambda item: _int(item[0]) if _int(item[0]) is not None else 0)
    _nid, node = samplers[0]
    inputs = node["inputs"]
    md.seed = _int(_comfy_value(graph, inputs.get("seed", inputs.get("noise_seed")), "seed"))
    md.steps = _int(_comfy_value(graph, inputs.get("steps"), "steps"))
    md.cfg_scale = _float(_comfy_value(graph, inputs.get("cfg"), "cfg"))
    sampler = _comfy_value(graph, inputs.get("sampler_name"), "sampler_name")
    schedule = _comfy_value(graph, inputs.get("scheduler"), "scheduler")
    if isinstance(sampler, str):
        md.sampler = sampler if not isinstance(schedule, str) or schedule == "normal" else f"{sampler} {schedule}"
        md.scheduler = _comfy_scheduler(sampler, schedule if isinstance(schedule, str) else "")
    md.prompt = _comfy_text(graph, inputs.get("positive"))
    md.negative_prompt = _comfy_text(graph, inputs.get("negative"))
    for n in graph.values():
        if not isinstance(n, dict) or not isinstance(n.get("inputs"), dict):
            continue
        kind = str(n.get("class_type", ""))
        if "CheckpointLoader" in kind and isinstance(n["inputs"].get("ckpt_name"), str) and not md.model:
            md.model = re.sub(r"\.(safetensors|ckpt|pt|bin)$", "", Path(n["inputs"]["ckpt_name"].replace("\\", "/")).name)
        if kind.startswith("EmptyLatentImage") or kind == "EmptySD3LatentImage":
            md.width = _int(_comfy_value(graph, n["inputs"].get("width"), "width")) or md.width
            md.height = _int(_comfy_value(graph, n["inputs"].get("height"), "height")) or md.height
    md.source = "comfyui"


_INVOKE_SCHEDULERS = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_k": "DPM++ 2M Karras",
    "dpmpp_2m_sde_k": "DPM++ 2M SDE Karras",
    "ddim": "DDIM",
    "unipc": "UniPC",
    "lms": "LMS",
    "lcm": "LCM",
}


def _from_invokeai(md: ImageMetadata, data: dict) -> None:
    md.prompt = str(data.get("positive_prompt") or data.get("prompt") or "")
    md.negative_prompt = str(data.get("negative_prompt") or "")
    md.seed = _int(data.get("seed"))
    md.steps = _int(data.get("steps"))
    md.cfg_scale = _float(data.get("cfg_scale"))
    scheduler = data.get("scheduler")
    if isinstance(scheduler, str):
        md.sampler = scheduler
        md.scheduler = _INVOKE_SCHEDULERS.get(scheduler)
    md.width = _int(data.get("width"))
    md.height = _int(data.get("height"))
    model = data.get("model")
    if isinstance(model, dict):
        md.model = model.get("name") or model.get("model_name")
        md.model_hash = model.get("hash")
    elif isinstance(model, str):
        md.model = model
    md.source = "invokeai"


def _from_invokeai_v2(md: ImageMetadata, data: dict) -> None:
    image = data.get("image") if isinstance(data.get("image"), dict) else {}
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = " ".join(str(p.get("prompt", "")) for p in prompt if isinstance(p, dict))
    md.prompt = str(prompt or "")
    md.seed = _int(image.get("seed"))
    md.steps = _int(image.get("steps"))
    md.cfg_scale = _float(image.get("cfg_scale"))
    if isinstance(image.get("sampler"), str):
        md.sampler = image["sampler"]
        md.scheduler = _INVOKE_SCHEDULERS.get(image["sampler"].removeprefix("k_"))
    md.width = _int(image.get("width"))
    md.height = _int(image.get("height"))
    md.model = data.get("model_weights") or None
    md.model_hash = data.get("model_hash") or None
    md.source = "invokeai"
