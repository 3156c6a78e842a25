"""Typed, range-checked values from untrusted files: anything out of range or of the wrong type is unknown (None).

Readers never pass a file's value on as is: a seed is an ``int`` in ``[0, 2**64)``
(ComfyUI seeds go up to 2**64-1, so a seed may exceed SQLite's signed 64-bit
range: consumers that store it must allow for that), steps an ``int`` in
``[1, 10000]``, CFG a finite float in ``[0, 100]``, a size ``[1, 10**6]``, a
denoise strength ``[0, 1]``, and a text is a ``str`` (never a dict or a list),
with lone surrogates replaced and at most :data:`MAX_TEXT` characters.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_TEXT = 1_000_000  # characters kept of one text; a chunk longer than that is dropped
MAX_JSON = 4_000_000  # characters of JSON parsed at most
MAX_SEED = 2**64 - 1
RANGES: dict[str, tuple[float, float]] = {
    "seed": (0, MAX_SEED),
    "steps": (1, 10_000),
    "cfg_scale": (0.0, 100.0),
    "width": (1, 1_000_000),
    "height": (1, 1_000_000),
    "denoise": (0.0, 1.0),
}


def as_int(value: Any, lo: int | None = None, hi: int | None = None) -> int | None:
    """An int from an int, an integral float or a number string, inside ``[lo, hi]``; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        out = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        out = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            return None
        try:
            out = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            if not math.isfinite(number) or not number.is_integer():
                return None
            out = int(number)
    else:
        return None
    if (lo is not None and out < lo) or (hi is not None and out > hi):
        return None
    return out


def as_float(value: Any, lo: float | None = None, hi: float | None = None) -> float | None:
    """A finite float inside ``[lo, hi]``; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        if len(value) > 40:
            return None
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    if not math.isfinite(out) or (lo is not None and out < lo) or (hi is not None and out > hi):
        return None
    return out


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` with lone surrogates replaced (so it encodes as UTF-8) and cut to ``limit`` characters."""
    if len(value) > limit:
        value = value[:limit]
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def as_str(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A text when ``value`` is a string (numbers are not names); None otherwise or when empty."""
    if not isinstance(value, str):
        return None
    value = clean_text(value, limit).replace("\x00", "")
    return value if value.strip() else None


def field_value(name: str, value: Any) -> Any:
    """``value`` checked for the :class:`ImageMetadata` field ``name`` (see :data:`RANGES`)."""
    lo, hi = RANGES[name]
    if isinstance(lo, int):
        return as_int(value, int(lo), int(hi))
    return as_float(value, lo, hi)


def json_value(text: Any) -> Any:
    """The JSON value in ``text`` (bytes or str), or None when it is not JSON or too large."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    if not isinstance(text, str) or len(text) > MAX_JSON:
        return None
    text = text.strip().strip("\x00")
    if not text or text[0] not in "{[":
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def json_obj(text: Any) -> dict | None:
    """Like :func:`json_value`, but only a JSON object counts."""
    value = json_value(text)
    return value if isinstance(value, dict) else None


_JSON_START = re.compile(r'\s*\{\s*"')


def looks_like_json(text: str) -> bool:
    """True for text that is (or starts as) a JSON object: never shown as a prompt.

    A dynamic-prompts prompt (``{red|blue} cat``) is not JSON: an object starts
    with a quoted key.
    """
    return _JSON_START.match(text) is not None or json_obj(text) is not None


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as strict JSON (no NaN/inf, str keys, clean strings); deep structures are cut."""
    if depth > 50:
        return None
    if isinstance(value, dict):
        return {clean_text(str(k)): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (int, bool)) or value is None:
        return value
    return clean_text(str(value))
