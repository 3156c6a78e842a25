"""``format_readable``: the listing ``studio info`` prints; it accepts any :class:`ImageMetadata` without raising."""

from __future__ import annotations

from typing import Any

from studio.engine.metadata.model import ImageMetadata

_SHOWN = {"Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "Model hash", "Denoising strength"}
# studio params shown when their A1111 spelling is not already listed
_STUDIO_ROWS = (("mode", "Mode", None), ("strength", "Strength", "Denoising strength"), ("inpaint_area", "Inpaint area", "Inpaint area"), ("mask_blur", "Mask blur", "Mask blur"))


def _text(value: Any) -> str:
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a value whose __str__ fails is shown by its type
        return f"<{type(value).__name__}>"


def _rows(md: ImageMetadata) -> list[tuple[str, Any]]:
    size = f"{md.width}x{md.height}" if md.width and md.height else None
    rows: list[tuple[str, Any]] = [
        ("Source", md.source),
        ("Prompt", md.prompt),
        ("Negative prompt", md.negative_prompt),
        ("Seed", md.seed),
        ("Steps", md.steps),
        ("CFG scale", md.cfg_scale),
        ("Sampler", md.sampler),
        ("Schedule type", md.schedule),
        ("Scheduler", md.scheduler),
        ("Size", size),
        ("Model", md.model),
        ("Model hash", md.model_hash),
        ("Denoising strength", md.denoise if md.denoise is not None and md.denoise < 1 else None),
    ]
    params = md.parameters if isinstance(md.parameters, dict) else {}
    listed = {_text(k) for k in params}
    rows += [(_text(k), v) for k, v in params.items() if _text(k) not in _SHOWN]
    if md.loras and "Lora hashes" not in listed:
        rows.append(("LoRAs", ", ".join(_text(x) for x in md.loras)))
    studio = md.studio if isinstance(md.studio, dict) else {}
    sparams = studio.get("params") if isinstance(studio.get("params"), dict) else {}
    mode = sparams.get("mode")
    for key, label, a1111 in _STUDIO_ROWS:
        if key not in sparams or (a1111 and (a1111 in listed or a1111 in _SHOWN)):
            continue
        if key == "mode" or mode != "txt2img":
            rows.append((label, sparams[key]))
    extra = md.extra if isinstance(md.extra, dict) else {}
    for key, label in (("prompts", "Other prompts"), ("characters", "Character prompts")):
        if isinstance(extra.get(key), list) and extra[key]:
            rows.append((label, "\n".join(_text(x) for x in extra[key])))
    post = studio.get("postprocess") if isinstance(studio.get("postprocess"), dict) else {}
    source = post.get("source") if isinstance(post.get("source"), dict) else {}
    if source.get("file"):
        rows.append(("Upscaled from", f"{_text(source['file'])} (x{_text(post.get('upscale_by'))}, {_text(post.get('upscaler'))})"))
    if studio.get("version"):
        rows.append(("Made by", studio["version"]))
    return rows


def format_readable(md: ImageMetadata) -> str:
    """A human-readable listing for ``studio info``."""
    rows = [(k, _text(v)) for k, v in _rows(md) if v is not None and _text(v) != ""]
    if not rows:
        return ""
    width = max(len(k) for k, _ in rows)
    lines = []
    for key, value in rows:
        text = value.replace("\n", "\n" + " " * (width + 2))
        lines.append(f"{key + ':':<{width + 1}} {text}")
    return "\n".join(lines)
