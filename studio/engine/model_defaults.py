"""A model's recommended settings: ``studio_defaults.json`` in its diffusers folder.

Like InvokeAI's per-model default settings: a model that works best at, say,
CFG 2 says so, and the app and the CLI start from that when the model is chosen
(the user can still change every value). The file is optional and small, e.g.
``{"cfg_scale": 2.0, "steps": 20, "scheduler": "Euler"}``; a value that is out
of range or unknown is ignored (with a log line), never fatal.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.fsutil import atomic_write_text

from .request import MAX_CFG, MAX_STEPS
from .schedulers import SCHEDULER_NAMES

DEFAULTS_FILE = "studio_defaults.json"
FALLBACK_CFG = 7.0
FALLBACK_STEPS = 20

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelDefaults:
    """Recommended values; None where the model has no recommendation."""

    cfg_scale: float | None = None
    steps: int | None = None
    scheduler: str | None = None

    def as_params(self) -> dict:
        """The recommended values as request/panel parameters (only those the model sets)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        parts = {"cfg_scale": "CFG {}", "steps": "{} steps", "scheduler": "{}"}
        return ", ".join(parts[k].format(v) for k, v in self.as_params().items())


def _valid(key: str, value):
    if key == "cfg_scale" and isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_CFG:
        return float(value)
    if key == "steps" and isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_STEPS:
        return value
    if key == "scheduler" and value in SCHEDULER_NAMES:
        return value
    return None


def read_defaults(folder: str | Path | None) -> ModelDefaults:
    """The recommended settings stored in ``folder`` (empty when there are none or the file is broken)."""
    if folder is None:
        return ModelDefaults()
    path = Path(folder) / DEFAULTS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ModelDefaults()
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return ModelDefaults()
    if not isinstance(raw, dict):
        log.warning("ignoring %s: not a JSON object", path)
        return ModelDefaults()
    values = {}
    for key in ("cfg_scale", "steps", "scheduler"):
        if key in raw:
            values[key] = _valid(key, raw[key])
            if values[key] is None:
                log.warning("ignoring %s=%r in %s", key, raw[key], path)
    return ModelDefaults(**values)


def write_defaults(folder: str | Path, defaults: ModelDefaults) -> Path:
    return atomic_write_text(Path(folder) / DEFAULTS_FILE, json.dumps(defaults.as_params(), indent=2) + "\n")


def defaults_of(source) -> ModelDefaults:
    """Recommended settings of a resolved ``models.ModelSource`` (a folder's file; none for single files or the hub)."""
    return read_defaults(source.location) if source.kind == "folder" else ModelDefaults()


