"""Other tools' sampler/schedule names mapped to the studio's scheduler, only when exactly equivalent."""

from __future__ import annotations

from studio.engine.schedulers import SCHEDULERS

_AUTOMATIC = ("", "automatic", "normal", "default", "simple")


def from_a1111(sampler: str, schedule: str | None = "") -> tuple[str | None, str | None]:
    """``(studio scheduler or None, schedule type or None)`` for an A1111 ``Sampler``/``Schedule type`` pair.

    ``Euler a`` with ``Karras`` has no studio equivalent: the scheduler is then
    None and the schedule stays "Karras" rather than being dropped.
    """
    sampler = sampler.strip() if isinstance(sampler, str) else ""
    schedule = schedule.strip() if isinstance(schedule, str) else ""
    if sampler.endswith(" Karras") and not schedule:  # older A1111 wrote "DPM++ 2M Karras"
        sampler, schedule = sampler[: -len(" Karras")], "Karras"
    wanted = "Automatic" if schedule.lower() in _AUTOMATIC else schedule
    for spec in SCHEDULERS.values():
        if spec.a1111_sampler == sampler and spec.a1111_schedule.lower() == wanted.lower():
            return spec.name, (None if wanted == "Automatic" else schedule)
    if wanted == "Automatic":  # the sampler's own default schedule (A1111: DPM++ 2M SDE is Karras)
        for spec in SCHEDULERS.values():
            if spec.a1111_sampler == sampler:
                return spec.name, None
    return None, (None if wanted == "Automatic" else schedule)


_COMFY = {
    "euler": "Euler",
    "euler_ancestral": "Euler a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_2m_sde_gpu": "DPM++ 2M SDE",
    "ddim": "DDIM",
    "uni_pc": "UniPC",
    "uni_pc_bh2": "UniPC",
    "lms": "LMS",
    "lcm": "LCM",
}
_COMFY_SCHEDULES = {"karras": "Karras", "exponential": "Exponential", "sgm_uniform": "SGM Uniform", "beta": "Beta", "ddim_uniform": "DDIM Uniform"}


def comfy_schedule(schedule: str | None) -> str | None:
    """A ComfyUI scheduler name as an A1111-style schedule type (None for the default ones)."""
    if not isinstance(schedule, str) or schedule.lower() in _AUTOMATIC:
        return None
    return _COMFY_SCHEDULES.get(schedule.lower(), schedule)


def from_comfy(sampler: str | None, schedule: str | None) -> tuple[str | None, str | None]:
    """``(studio scheduler, schedule type)`` for ComfyUI's ``sampler_name``/``scheduler`` (also k-diffusion names)."""
    if not isinstance(schedule, str):
        schedule = None
    if not isinstance(sampler, str):
        return None, comfy_schedule(schedule)
    key = sampler.lower().removeprefix("k_").removeprefix("sample_")
    for suffix, sched in (("_karras", "karras"), ("_exponential", "exponential")):
        if key.endswith(suffix) and not (schedule and schedule.lower() not in _AUTOMATIC):
            key, schedule = key[: -len(suffix)], sched
    kind = comfy_schedule(schedule)
    a1111 = _COMFY.get(key)
    if a1111 is None:
        return None, kind
    name, _ = from_a1111(a1111, kind or "")
    if kind is None and a1111 == "DPM++ 2M SDE":
        return None, None  # plain-sigma SDE: no exact equivalent
    return name, kind


_INVOKE = {
    "euler": ("euler", None),
    "euler_a": ("euler_ancestral", None),
    "euler_k": ("euler", "karras"),
    "dpmpp_2m": ("dpmpp_2m", None),
    "dpmpp_2m_k": ("dpmpp_2m", "karras"),
    "dpmpp_2m_sde_k": ("dpmpp_2m_sde", "karras"),
    "dpmpp_2m_sde": ("dpmpp_2m_sde", None),
    "ddim": ("ddim", None),
    "unipc": ("uni_pc", None),
    "unipc_k": ("uni_pc", "karras"),
    "lms": ("lms", None),
    "lms_k": ("lms", "karras"),
    "lcm": ("lcm", None),
}


def from_invokeai(name: str | None) -> tuple[str | None, str | None]:
    """``(studio scheduler, schedule type)`` for an InvokeAI scheduler name (``dpmpp_2m_k``, ``k_lms``...)."""
    if not isinstance(name, str):
        return None, None
    key = name.lower().removeprefix("k_")
    sampler, schedule = _INVOKE.get(key, (key, None))
    return from_comfy(sampler, schedule)
