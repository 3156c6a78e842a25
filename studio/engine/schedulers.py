"""Samplers by the names artists know, mapped to diffusers scheduler classes.

Importing this module is cheap (no diffusers import); :func:`make_scheduler`
imports diffusers when it builds one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.engine.errors import InvalidRequest


@dataclass(frozen=True)
class SchedulerSpec:
    name: str  # what the UI and CLI show
    class_name: str  # diffusers class
    options: dict[str, Any] = field(default_factory=dict)
    a1111_sampler: str = ""  # "Sampler:" in AUTOMATIC1111 metadata
    a1111_schedule: str = "Automatic"  # "Schedule type:" in AUTOMATIC1111 metadata


_SPECS = [
    SchedulerSpec("Euler", "EulerDiscreteScheduler", {}, "Euler"),
    SchedulerSpec("Euler a", "EulerAncestralDiscreteScheduler", {}, "Euler a"),
    SchedulerSpec(
        "DPM++ 2M",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": False},
        "DPM++ 2M",
    ),
    SchedulerSpec(
        "DPM++ 2M Karras",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
        "DPM++ 2M",
        "Karras",
    ),
    SchedulerSpec(
        "DPM++ 2M SDE Karras",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
        "DPM++ 2M SDE",
        "Karras",
    ),
    SchedulerSpec("DDIM", "DDIMScheduler", {"set_alpha_to_one": False}, "DDIM"),
    SchedulerSpec("UniPC", "UniPCMultistepScheduler", {}, "UniPC"),
    SchedulerSpec("LMS", "LMSDiscreteScheduler", {}, "LMS"),
    SchedulerSpec("LCM", "LCMScheduler", {}, "LCM"),
    # few-step distillations (SDXL-Lightning, Hyper-SD) sample with trailing timesteps
    SchedulerSpec("Euler trailing", "EulerDiscreteScheduler", {"timestep_spacing": "trailing"}, "Euler", "SGM Uniform"),
]

SCHEDULERS: dict[str, SchedulerSpec] = {spec.name: spec for spec in _SPECS}
SCHEDULER_NAMES: list[str] = [spec.name for spec in _SPECS]
DEFAULT_SCHEDULER = "Euler a"

_ALIASES = {
    "k_euler": "Euler",
    "k_euler_a": "Euler a",
    "k_euler_ancestral": "Euler a",
    "euler_ancestral": "Euler a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_karras": "DPM++ 2M Karras",
    "dpmpp_2m_sde_karras": "DPM++ 2M SDE Karras",
    "ddim": "DDIM",
    "unipc": "UniPC",
    "lms": "LMS",
    "lcm": "LCM",
}


def resolve_name(name: str) -> SchedulerSpec:
    """Find a scheduler by its name, case-insensitively, or by a common alias."""
    key = (name or "").strip()
    for spec in _SPECS:
        if spec.name.lower() == key.lower():
            return spec
    alias = _ALIASES.get(key.lower().replace(" ", "_").replace("+", "p"))
    if alias:
        return SCHEDULERS[alias]
    raise InvalidRequest(f"Unknown scheduler {name!r}. Choose one of: {', '.join(SCHEDULER_NAMES)}.")


def from_a1111(sampler: str, schedule_type: str = "") -> str | None:
    """The scheduler name for an AUTOMATIC1111 ``Sampler``/``Schedule type`` pair, if known."""
    sampler = sampler.strip()
    schedule = schedule_type.strip()
    if sampler.endswith(" Karras") and not schedule:  # older A1111 wrote "DPM++ 2M Karras"
        sampler, schedule = sampler[: -len(" Karras")], "Karras"
    for spec in _SPECS:
        if spec.a1111_sampler == sampler and (spec.a1111_schedule == schedule or not schedule):
            return spec.name
    for spec in _SPECS:
        if spec.a1111_sampler == sampler:
            return spec.name
    return None


def make_scheduler(name: str, base_config: dict[str, Any]):
    """A fresh scheduler of the named kind, built from a model's own scheduler config."""
    import diffusers

    spec = resolve_name(name)
    cls = getattr(diffusers, spec.class_name)
    config = dict(base_config)
    config.pop("_class_name", None)
    config.pop("_diffusers_version", None)
    return cls.from_config(config, **spec.options)
