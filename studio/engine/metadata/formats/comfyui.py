"""ComfyUI: the API ``prompt`` graph (PNG chunk, or one of the EXIF layouts gathered by :mod:`..sources`).

The sampler read is the first pass of the chain that makes the image
(KSampler, KSamplerAdvanced, SamplerCustom, SamplerCustomAdvanced with its
RandomNoise / CFGGuider / KSamplerSelect / BasicScheduler inputs). When that
pass is an area composition (several prompts combined), the prompt is the one
that feeds the later single-prompt pass; every other prompt of the graph is
kept in ``extra["prompts"]``.
"""

from __future__ import annotations

from typing import Any

from studio.engine.metadata.formats import comfy_graph as cg
from studio.engine.metadata.formats.common import first, model_name
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.samplers import comfy_schedule, from_comfy
from studio.engine.metadata.sources import Sources, is_comfy_graph
from studio.engine.metadata.values import as_int, json_obj

NAME = "comfyui"
_MAX_SAMPLERS = 200
_LOADER_KEYS = ("ckpt_name", "unet_name", "model_name", "gguf_name", "base_ckpt_name", "model")
_SCHEDULER_CLASSES = {"KarrasScheduler": "karras", "ExponentialScheduler": "exponential", "PolyexponentialScheduler": "polyexponential", "BetaSamplingScheduler": "beta"}


def _is_sampler(kind: str, inputs: dict) -> bool:
    if kind == "KSamplerSelect" or "Select" in kind:
        return False
    if "KSampler" in kind or kind in ("SamplerCustom", "SamplerCustomAdvanced"):
        return True
    if "latent_image" in inputs and ("positive" in inputs or "guider" in inputs) and "Sampler" in kind:
        return True
    # detailers and other sampling passes: conditioning in, a seed and steps of their own
    return cg.link(inputs.get("positive")) is not None and "steps" in inputs and ("seed" in inputs or "noise_seed" in inputs)


def _linked(graph: dict, value: Any) -> dict:
    found = cg.link(value)
    return cg.inputs_of(graph, found[0]) if found else {}


def sampler_fields(graph: dict, node_id: str) -> dict[str, Any]:
    """Seed, steps, CFG, sampler, schedule, denoise and the conditioning/model links of one sampler node."""
    inputs = cg.inputs_of(graph, node_id)
    noise, guider, chooser = _linked(graph, inputs.get("noise")), _linked(graph, inputs.get("guider")), _linked(graph, inputs.get("sampler"))
    sigmas_link = cg.link(inputs.get("sigmas"))
    sigmas = cg.inputs_of(graph, sigmas_link[0]) if sigmas_link else {}

    def value(key: str, *places: dict) -> Any:
        for place in places:
            if key in place:
                return cg.resolve_value(graph, place[key], key)
        return None

    schedule = value("scheduler", inputs, sigmas)
    if schedule is None and sigmas_link:
        schedule = _SCHEDULER_CLASSES.get(cg.kind_of(graph, sigmas_link[0]))
    return {
        "seed": _seed(value("seed", inputs, noise), value("noise_seed", inputs, noise)),
        "steps": value("steps", inputs, sigmas),
        "cfg": value("cfg", inputs, guider),
        "sampler_name": value("sampler_name", inputs, chooser),
        "scheduler": schedule,
        "denoise": value("denoise", inputs, sigmas),
        "positive": first(inputs, "positive") or first(guider, "positive", "conditioning"),
        "negative": first(inputs, "negative") or first(guider, "negative"),
        "model": first(inputs, "model") or first(guider, "model"),
        "latent": first(inputs, "latent_image", "latent", "samples", "image", "images", "pixels"),
    }


def _seed(seed: Any, noise_seed: Any) -> Any:
    return seed if seed is not None else noise_seed


def _chain(graph: dict, samplers: list[str]) -> list[str]:
    """Samplers ordered first pass first: a pass whose latent comes from another sampler follows it."""
    known = set(samplers)
    depth: dict[str, int] = {}
    parents: dict[str, list[str]] = {}
    for sid in samplers:
        latent = sampler_fields(graph, sid)["latent"]
        parents[sid] = [n for n in cg.upstream(graph, latent, stop=known) if n in known and n != sid]
    for sid in samplers:  # longest path from a first pass, iteratively
        stack, seen = [(sid, 0)], {sid}
        best = 0
        while stack:
            node, d = stack.pop()
            best = max(best, d)
            for p in parents.get(node, ()):
                if p not in seen and d < len(samplers):
                    seen.add(p)
                    stack.append((p, d + 1))
        depth[sid] = best
    return sorted(samplers, key=lambda s: (depth[s], as_int(s) if as_int(s) is not None else 1 << 62, s))


def _model_and_loras(graph: dict, model_link: Any) -> tuple[str | None, list[str]]:
    name, loras = None, []
    for node_id in cg.upstream(graph, model_link, names=("model", "MODEL", "base_model", "unet")):
        inputs = cg.inputs_of(graph, node_id)
        lora = inputs.get("lora_name")
        if isinstance(lora, str):
            loras.append(model_name(lora) or lora)
        for value in inputs.values():
            if isinstance(value, dict) and value.get("on") is not False and isinstance(value.get("lora"), str):
                loras.append(model_name(value["lora"]) or value["lora"])
        if name is None:
            name = next((model_name(inputs[k]) for k in _LOADER_KEYS if isinstance(inputs.get(k), str)), None)
    return name, loras


def _size(graph: dict, latent_link: Any) -> tuple[Any, Any]:
    """The size of the empty latent the pass starts from (else of the first node upstream with a size)."""
    fallback: tuple[Any, Any] = (None, None)
    for node_id in cg.upstream(graph, latent_link):
        inputs = cg.inputs_of(graph, node_id)
        if "width" not in inputs or "height" not in inputs:
            continue
        size = cg.resolve_value(graph, inputs["width"], "width"), cg.resolve_value(graph, inputs["height"], "height")
        if "Latent" in cg.kind_of(graph, node_id):
            return size
        if fallback == (None, None) and all(isinstance(v, int) for v in size):
            fallback = size
    return fallback


def fill(md: ImageMetadata, graph: dict) -> bool:
    """Fill ``md`` from an API graph; False when the graph holds no sampler."""
    samplers = [nid for nid in list(graph)[: 100_000] if _is_sampler(cg.kind_of(graph, nid), cg.inputs_of(graph, nid))][:_MAX_SAMPLERS]
    if not samplers:
        return False
    chain = _chain(graph, samplers)
    positives = {sid: cg.texts(graph, sampler_fields(graph, sid)["positive"]) for sid in chain}
    chosen = next((sid for sid in chain if len(positives[sid]) == 1), chain[0])
    fields = sampler_fields(graph, chosen)
    md.prompt = ", ".join(t.strip() for t in positives[chosen])
    md.negative_prompt = ", ".join(t.strip() for t in cg.texts(graph, fields["negative"], "negative"))
    md.seed = fields["seed"]
    md.steps = fields["steps"]
    md.cfg_scale = fields["cfg"]
    md.denoise = fields["denoise"]
    if isinstance(fields["sampler_name"], str):
        md.sampler = fields["sampler_name"]
    md.scheduler, md.schedule = from_comfy(fields["sampler_name"], fields["scheduler"])
    if md.schedule is None and isinstance(fields["scheduler"], str):
        md.schedule = comfy_schedule(fields["scheduler"])
    md.model, md.loras = _model_and_loras(graph, fields["model"])
    width, height = _size(graph, fields["latent"])
    md.width, md.height = width or md.width, height or md.height
    others = [t for sid in chain for t in positives[sid] if t not in positives[chosen]]
    if others:
        md.extra["prompts"] = list(dict.fromkeys(others))
    return True


def read(src: Sources, md: ImageMetadata) -> bool:
    graph = json_obj(src.raw.get("prompt"))
    if graph is None or not is_comfy_graph(graph):
        return False
    md.source = NAME
    fill(md, graph)
    extra = json_obj(graph.get("extraMetadata"))  # Civitai's generator puts its form here
    if extra and not md.prompt and isinstance(extra.get("prompt"), str):
        md.prompt = extra["prompt"]
        md.negative_prompt = extra.get("negativePrompt") if isinstance(extra.get("negativePrompt"), str) else md.negative_prompt
        md.seed = extra.get("seed", md.seed)
        md.steps = extra.get("steps", md.steps)
        md.cfg_scale = extra.get("cfgScale", md.cfg_scale)
        md.source = "civitai"
    return True
