"""Small helpers the format readers share."""

from __future__ import annotations

import re
from typing import Any

_MODEL_EXT = re.compile(r"\.(safetensors|ckpt|pt|pth|bin|gguf|sft)$", re.I)
LORA_TAG = re.compile(r"<(?:lora|lyco):([^:<>]{1,200})(?::[^<>]{0,50})?>", re.I)


def model_name(value: Any) -> str | None:
    """A checkpoint's display name: the file name without folders or extension."""
    if not isinstance(value, str) or not value.strip():
        return None
    name = value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return _MODEL_EXT.sub("", name) or None


def lora_tags(prompt: str) -> list[str]:
    """LoRA names from ``<lora:name:weight>`` tags in a prompt."""
    return list(dict.fromkeys(m.group(1).strip() for m in LORA_TAG.finditer(prompt or "")))


def size_pair(value: Any) -> tuple[Any, Any]:
    """``(width, height)`` from ``"1024x768"``, ``"1024 x 768"``, ``"(1024, 768)"`` or ``[1024, 768]``."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, str):
        m = re.fullmatch(r"\s*\(?\s*(\d{1,6})\s*[x×,*]\s*(\d{1,6})\s*\)?\s*", value)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None, None


def first(data: dict, *keys: str) -> Any:
    """The first of ``keys`` present (not None) in ``data``."""
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def lowered(data: dict) -> dict:
    """``data`` with lower-case keys (first spelling wins), for tools that changed their key case."""
    out: dict = {}
    for key, value in data.items():
        out.setdefault(str(key).lower(), value)
    return out


def text_of(value: Any) -> str | None:
    """A prompt text: a string, or a list of strings joined (Fooocus' expanded prompts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return None
