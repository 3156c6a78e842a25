"""Parameters read from a file, made safe to put into the parameter panel (Qt-free).

"Reuse parameters" takes whatever an image's metadata says: steps of 2**40,
a strength of 1e300, a list where the mode belongs, a model named
``/etc/passwd`` or a hub id that the next Generate would download.
:func:`checked_params` keeps the values :class:`GenerationRequest` accepts,
clamps numbers into its ranges, and keeps a model only when it is installed;
every value it changes or drops is named in a note for the status bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from studio.engine.request import MAX_BATCH, MAX_CFG, MAX_SEED, MAX_SIZE, MAX_STEPS, Mode
from studio.engine.schedulers import SCHEDULER_NAMES

_INT_RANGES = {"steps": (1, MAX_STEPS), "batch_size": (1, MAX_BATCH), "width": (0, MAX_SIZE), "height": (0, MAX_SIZE)}
_FLOAT_RANGES = {"cfg_scale": (0.0, MAX_CFG), "strength": (0.0, 1.0)}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        out = float(value)
    except OverflowError:
        return math.copysign(math.inf, value)
    return None if math.isnan(out) else out


def checked_params(
    params: dict[str, Any], installed_model: Callable[[str], str | None] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """``(values the panel may take, notes)``. ``installed_model(spec)`` returns the picker's spec
    for an installed model or None; without it (trusted settings) the model is taken as is."""
    if not isinstance(params, dict):
        return {}, ["The parameters were not readable."]
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, (lo, hi) in {**_INT_RANGES, **_FLOAT_RANGES}.items():
        if key not in params:
            continue
        value = _number(params[key])
        if value is None or (key in _INT_RANGES and math.isfinite(value) and not value.is_integer()):
            notes.append(f"{key} {str(params[key])[:40]!r} ignored")
            continue
        clamped = min(hi, max(lo, value))
        if clamped != value:
            notes.append(f"{key} {str(params[key])[:40]} clamped to {clamped:g}")
        out[key] = int(clamped) if key in _INT_RANGES else clamped
    scheduler = params.get("scheduler")
    if scheduler is not None:
        if isinstance(scheduler, str) and scheduler in SCHEDULER_NAMES:
            out["scheduler"] = scheduler
        else:
            notes.append(f"unknown scheduler {str(scheduler)[:40]!r} ignored")
    if "seed" in params:
        seed = params["seed"]
        if isinstance(seed, int) and not isinstance(seed, bool) and -1 <= seed <= MAX_SEED:
            out["seed"] = seed
        else:
            notes.append(f"seed {str(seed)[:40]} ignored (not between 0 and {MAX_SEED})")
    mode = params.get("mode")
    if mode is not None:
        if isinstance(mode, str) and mode in {m.value for m in Mode}:
            out["mode"] = mode
        else:
            notes.append(f"mode {str(mode)[:40]!r} ignored")
    vae = params.get("vae")
    if vae is not None:
        if isinstance(vae, str) and len(vae) <= 4096 and "\0" not in vae:
            out["vae"] = vae  # the picker finds a name in models/VAE; the loader checks the file before use
        else:
            notes.append("vae ignored (not a file name)")
    if "model" in params:
        spec = params["model"]
        if spec is not None and not isinstance(spec, str):
            notes.append("model ignored (not a name)")
        elif installed_model is None or not spec:
            out["model"] = spec or None
        else:
            found = installed_model(spec)
            if found is None:
                notes.append(f"model {spec[:80]!r} is not installed; the current model is kept")
            else:
                out["model"] = found
    if "hires" in params:
        out["hires"], hires_notes = checked_hires(params["hires"])
        notes += hires_notes
    return out, notes


def checked_hires(hires: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """A hires fix's options (``scale``, ``denoise``, ``steps``, ``upscaler``, optional ``enabled``) in
    :class:`~studio.engine.hires.HiresOptions`' ranges; None (no hires fix) for anything not a dict."""
    from studio.engine.hires import MAX_SCALE

    if hires is None:
        return None, []
    if not isinstance(hires, dict):
        return None, ["hires fix options ignored (not readable)"]
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, lo, hi in (("scale", 1.05, MAX_SCALE), ("denoise", 0.01, 1.0), ("steps", 0, MAX_STEPS)):
        raw = hires.get(key)
        try:
            value = float(raw) if isinstance(raw, (int, float, str)) and not isinstance(raw, bool) else None
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            if raw is not None:
                notes.append(f"hires {key} {str(raw)[:40]!r} ignored")
            continue
        clamped = min(hi, max(lo, value))
        if clamped != value:
            notes.append(f"hires {key} {str(raw)[:40]} clamped to {clamped:g}")
        out[key] = round(clamped) if key == "steps" else clamped
    upscaler = hires.get("upscaler")
    if isinstance(upscaler, str) and 0 < len(upscaler) <= 200 and "\0" not in upscaler:
        out["upscaler"] = upscaler
    size = hires.get("first_pass_size")
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 8 <= v <= MAX_SIZE for v in size):
        out["first_pass_size"] = [int(size[0]), int(size[1])]  # a studio image's: the size its request ran at
    for flag in ("enabled", "expanded"):  # the panel's own, in saved settings
        if isinstance(hires.get(flag), bool):
            out[flag] = hires[flag]
    return out, notes


def find_installed(spec: str, listed: list[tuple[str, str | None]]) -> str | None:
    """The spec of the installed model named ``spec`` (by path or name): the picker's
    ``(text, spec)`` items first, then a fresh scan of the models folder; None when not installed.
    (The starter model's spec is None too: it is never named by a path in a file.)"""
    for text, data in listed:
        if data is not None and spec in (data, text):
            return data
    from studio.engine.models import list_models

    for choice in list_models():
        if choice.spec is not None and spec in (choice.spec, choice.name):
            return choice.spec
    return None
