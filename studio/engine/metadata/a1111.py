"""The AUTOMATIC1111 ``parameters`` text: write it for an image, parse it back.

Also the lenient number parsing the readers share (values from untrusted files).
"""

from __future__ import annotations

import json
import re
from typing import Any

from studio.engine.events import GeneratedImage
from studio.engine.metadata.keys import studio_version
from studio.engine.schedulers import resolve_name


def _fmt_number(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _a1111_value(value: Any) -> str:
    text = _fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    if any(ch in text for ch in ",:\n\r") or (text.startswith('"') and text.endswith('"') and len(text) > 1):
        return json.dumps(text, ensure_ascii=False)
    return text


def format_a1111(prompt: str, negative_prompt: str, pairs: list[tuple[str, Any]]) -> str:
    """The AUTOMATIC1111 ``parameters`` text from a prompt, a negative and ordered key/value pairs."""
    lines = [prompt or ""]
    if negative_prompt:
        lines.append(f"Negative prompt: {negative_prompt}")
    rendered = [f"{key}: {_a1111_value(value)}" for key, value in pairs if value is not None and value != ""]
    lines.append(", ".join(rendered))
    return "\n".join(lines)


def _scheduler_pair(name: str) -> tuple[str, str]:
    try:
        spec = resolve_name(name)
    except Exception:  # an unknown name from an old file: write it as is
        return name, "Automatic"
    return spec.a1111_sampler or spec.name, spec.a1111_schedule


def a1111_parameters(img: GeneratedImage) -> str:
    """The image's parameters in the exact AUTOMATIC1111 layout (one prompt block, "Negative prompt:", a key: value line)."""
    req = img.request
    sampler, schedule = _scheduler_pair(req.scheduler)
    pairs: list[tuple[str, Any]] = [
        ("Steps", req.steps),
        ("Sampler", sampler),
        ("Schedule type", schedule),
        ("CFG scale", req.cfg_scale),
        ("Seed", img.seed),
        ("Size", img.extra.get("a1111_size") or f"{img.width}x{img.height}"),
        ("Model hash", img.model_hash or None),
        ("Model", img.model_name or None),
        ("VAE hash", img.extra.get("vae_hash") or None),  # a user VAE in place of the model's own
        ("VAE", img.extra.get("vae") or None),
    ]
    mode = req.mode.value
    if mode in ("img2img", "inpaint"):
        pairs.append(("Denoising strength", req.strength))
    if mode == "inpaint":
        pairs += [
            ("Mask blur", req.mask_blur),
            ("Inpaint area", "Only masked" if req.inpaint_area.value == "only_masked" else "Whole picture"),
            ("Masked area padding", req.inpaint_padding),
            ("Masked content", "original" if req.masked_content.value == "original" else "latent noise"),
        ]
    for key, label in (("lora_hashes", "Lora hashes"), ("ti_hashes", "TI hashes")):
        found = img.extra.get(key)
        if isinstance(found, dict) and found:  # the tags stay in the prompt, as in A1111
            pairs.append((label, ", ".join(f"{name}: {digest}" for name, digest in found.items())))
    if req.batch_size > 1:
        pairs += [("Batch size", req.batch_size), ("Batch pos", img.index)]
    for key, value in (img.extra.get("a1111_extra") or {}).items():  # e.g. the hires fix's keys
        pairs.append((key, value))
    pairs.append(("Version", studio_version()))
    return format_a1111(req.prompt, req.negative_prompt, pairs)


def hires_params(hires: Any) -> dict[str, Any]:
    """``{"hires": options}`` for a hires-fixed image's params (from its studio ``extra``): the
    options that made it big and ``first_pass_size``, the size its request ran at before."""
    if not isinstance(hires, dict) or not isinstance(hires.get("first_pass_size"), list):
        return {}
    return {"hires": {k: hires.get(k) for k in ("scale", "denoise", "steps", "upscaler", "first_pass_size")}}


_PAIR_RE = re.compile(r'\s*([\w][\w \-/+().\[\]]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            decoded = json.loads(value)
            if isinstance(decoded, str):
                return decoded
        except json.JSONDecodeError:
            pass
    return value


def _bracket_end(line: str, start: int) -> int:
    """The index after the bracket that closes the one at ``start`` (JSON strings skipped); -1 if none."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(line)):
        ch = line[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _parse_pairs(line: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    scan = True  # one unclosed bracket ends the scanning: the line stays linear to parse
    while pos < len(line):
        m = _PAIR_RE.match(line, pos)
        if not m or m.end() == pos:
            break
        value, end = m.group(2), m.end()
        if scan and value[:1] in ("[", "{"):  # unquoted JSON (Civitai resources: [{...}, {...}])
            close = _bracket_end(line, m.start(2))
            scan = close > 0
            if close > 0:
                value = line[m.start(2) : close]
                end = close + 1 if line[close : close + 1] == "," else close
        out[m.group(1).strip()] = _unquote(value)
        pos = end
    return out


def parse_a1111(text: str) -> dict[str, Any]:
    """Split AUTOMATIC1111 text into ``prompt``, ``negative_prompt`` and the parameter pairs.

    The last line counts as parameters only when it holds at least 3 pairs;
    JSON-quoted values are unquoted. Pair keys keep the A1111 spelling
    (``Steps``, ``CFG scale``...).
    """
    lines = (text or "").replace("\r\n", "\n").strip("\n").split("\n")
    params: dict[str, str] = {}
    if lines:
        pairs = _parse_pairs(lines[-1].strip())
        if len(pairs) >= 3:
            params = pairs
            lines = lines[:-1]
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    in_negative = False
    for line in lines:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:") :].lstrip(" ")
        (negative_lines if in_negative else prompt_lines).append(line)
    out: dict[str, Any] = {"prompt": "\n".join(prompt_lines).strip(), "negative_prompt": "\n".join(negative_lines).strip()}
    out.update(params)
    return out
