"""The row-insert boundary: any metadata value a file may hold becomes something SQLite stores.

Metadata comes from untrusted files (and from readers that pass their values
through): integers past 2**63 (ComfyUI seeds reach 2**64-1), dicts where a
string belongs, lone surrogates, NaN, megabyte-long prompts. :func:`clean_row`
maps every column to its SQL type and a size cap, so an insert never fails on
what a file says:

* an integer outside SQLite's 64-bit range is stored as NULL and its exact
  value kept as text in the row's params JSON (under ``"out_of_range"``);
* a non-finite or overflowing float is NULL;
* text is capped (prompts at :data:`MAX_PROMPT_CHARS`, so a 1 MB chunk is not
  indexed whole), lone surrogates become U+FFFD, NUL characters are dropped,
  and a dict or list where text belongs is stored as its JSON.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

MAX_PROMPT_CHARS = 32_000  # ~6,000 tokens: more than any model reads; the file keeps the rest
MAX_SHORT_CHARS = 512  # sampler, model, model hash, source
MAX_PARAMS_CHARS = 64_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

INT_COLUMNS = {"id", "file_size", "file_mtime_ns", "width", "height", "seed", "steps", "favourite", "broken"}
REAL_COLUMNS = {"created", "cfg_scale", "trashed"}
SHORT_TEXT = {"sampler", "model", "model_hash", "source", "content_hash"}
PATH_COLUMNS = {"path", "trash_path", "mask_path"}
PROMPT_COLUMNS = {"prompt", "negative_prompt"}
COLUMNS = INT_COLUMNS | REAL_COLUMNS | SHORT_TEXT | PATH_COLUMNS | PROMPT_COLUMNS | {"params"}


def clean_text(value: Any, cap: int) -> str:
    """``value`` as text SQLite can bind: at most ``cap`` characters, valid UTF-8, no NUL."""
    if isinstance(value, bytes):
        value = value[: cap * 4].decode("utf-8", "replace")
    elif not isinstance(value, str):
        if isinstance(value, (dict, list, tuple)):
            value = _dumps(value, cap)
        else:
            try:
                value = str(value)
            except Exception:  # noqa: BLE001 - a value whose str() fails is just unreadable
                value = ""
    value = value[:cap]
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (e.g. undecodable bytes): U+FFFD, pairs kept
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def clean_int(value: Any) -> int | None:
    """A 64-bit integer, or None for anything else (big, fractional, not a number)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    elif not isinstance(value, int):
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                return None
        except ImportError:  # pragma: no cover - numpy is a dependency
            return None
    return value if INT64_MIN <= value <= INT64_MAX else None


def clean_real(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            import numpy as np

            if not isinstance(value, (np.integer, np.floating)):
                return None
        except ImportError:  # pragma: no cover
            return None
    try:
        out = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return out if math.isfinite(out) else None


def _plain(value: Any, depth: int = 0) -> Any:
    """Strict-JSON data: NaN/inf become None, keys text, bytes and other objects text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 32:
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        return value[:4096].decode("utf-8", "replace")
    try:
        return str(value)[:4096]
    except Exception:  # noqa: BLE001
        return None


def _dumps(value: Any, cap: int) -> str:
    try:
        text = json.dumps(_plain(value), ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return "{}" if isinstance(value, dict) else ""
    return text


def clean_params(params: Any, out_of_range: dict[str, str]) -> str:
    """The params JSON: a dict, at most :data:`MAX_PARAMS_CHARS`, exact big integers kept as text."""
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except (ValueError, RecursionError):
            params = {}
    if not isinstance(params, dict):
        params = {}
    if out_of_range:
        params = {**params, "out_of_range": dict(out_of_range)}
    text = _dumps(params, MAX_PARAMS_CHARS)
    if len(text) > MAX_PARAMS_CHARS:  # keep the short scalar settings, drop the bulk
        small = {
            str(k): (v[:1000] if isinstance(v, str) else v)
            for k, v in params.items()
            if isinstance(v, (str, int, float, bool)) or v is None
        }
        text = _dumps(small, MAX_PARAMS_CHARS)
        if len(text) > MAX_PARAMS_CHARS:
            text = "{}"
    return clean_text(text, MAX_PARAMS_CHARS + 1000)


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with every value of its SQL type (unknown keys dropped)."""
    out: dict[str, Any] = {}
    out_of_range: dict[str, str] = {}
    for key, value in row.items():
        if key not in COLUMNS or key == "params":
            continue
        if key in INT_COLUMNS:
            cleaned = clean_int(value)
            if cleaned is None and value is not None and isinstance(value, int):
                out_of_range[key] = str(value)
            out[key] = cleaned
        elif key in REAL_COLUMNS:
            out[key] = clean_real(value)
        elif key in PROMPT_COLUMNS:
            out[key] = clean_text("" if value is None else value, MAX_PROMPT_CHARS)
        elif key in SHORT_TEXT:
            out[key] = None if value is None else clean_text(value, MAX_SHORT_CHARS)
        else:  # paths: made by the library, never truncated
            out[key] = None if value is None else clean_text(value, 1 << 16)
    if "params" in row or out_of_range:
        out["params"] = clean_params(row.get("params", "{}"), out_of_range)
    for key in ("file_size", "file_mtime_ns", "favourite", "broken"):
        if key in out and out[key] is None:
            out[key] = 0
    if "created" in out and out["created"] is None:
        out["created"] = time.time()
    if "source" in out and out["source"] is None:
        out["source"] = "unknown"
    return out
