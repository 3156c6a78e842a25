""":class:`ImageMetadata`: what every format reader returns, typed and range-checked."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from studio.engine.metadata.a1111 import _scheduler_pair, format_a1111, hires_params
from studio.engine.metadata.keys import A1111_CHUNK
from studio.engine.metadata.values import RANGES, as_str, field_value, jsonable, looks_like_json

SOURCES = ("studio", "a1111", "comfyui", "invokeai", "novelai", "swarmui", "fooocus", "easydiffusion", "drawthings", "civitai", "json", "unknown")


@dataclass
class ImageMetadata:
    """Generation parameters read from one image; every field is checked by :meth:`normalise`.

    ``seed`` is an ``int`` in ``[0, 2**64)``: it may exceed 2**63 (ComfyUI), so
    a store with signed 64-bit integers must keep it another way. Out-of-range
    or mistyped values read as None (unknown). ``extra`` holds what has no field
    of its own (other prompts of a ComfyUI graph, a NovelAI character prompt...).
    """

    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    cfg_scale: float | None = None
    sampler: str | None = None  # the tool's own sampler name
    schedule: str | None = None  # the schedule type (Karras, Exponential...) when the tool names one
    scheduler: str | None = None  # the studio's scheduler name, only when it is an exact equivalent
    width: int | None = None
    height: int | None = None
    model: str | None = None
    model_hash: str | None = None
    denoise: float | None = None
    loras: list[str] = field(default_factory=list)
    source: str = "unknown"  # see SOURCES
    format: str = ""  # PNG, JPEG, WEBP
    raw: dict[str, str] = field(default_factory=dict)  # the metadata as PNG-chunk-like key/text pairs
    studio: dict[str, Any] | None = None
    parameters: dict[str, str] = field(default_factory=dict)  # every A1111 key/value
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was skipped while reading (oversized chunk...)

    def normalise(self) -> ImageMetadata:
        """Coerce every field to its type and range; wrong or out-of-range values become unknown."""
        for name in ("prompt", "negative_prompt"):
            value = as_str(getattr(self, name))
            setattr(self, name, value.strip() if value else "")
        for name in ("sampler", "schedule", "scheduler", "model", "model_hash"):
            value = as_str(getattr(self, name), 1000)
            setattr(self, name, value.strip() if value else None)
        for name in RANGES:
            setattr(self, name, field_value(name, getattr(self, name)))
        self.loras = [s for s in (as_str(x, 1000) for x in self.loras if isinstance(x, str)) if s][:100] if isinstance(self.loras, list) else []
        self.source = self.source if self.source in SOURCES else "unknown"
        self.raw = {str(k): v for k, v in self.raw.items() if isinstance(v, str)} if isinstance(self.raw, dict) else {}
        self.parameters = {as_str(str(k), 200) or "?": as_str(v, 100_000) or "" for k, v in self.parameters.items()} if isinstance(self.parameters, dict) else {}
        self.studio = jsonable(self.studio) if isinstance(self.studio, dict) else None
        self.extra = jsonable(self.extra) if isinstance(self.extra, dict) else {}
        return self

    def to_json(self) -> dict[str, Any]:
        """The fields as strict JSON-ready data (no NaN, no surrogates), without the raw chunks."""
        out = asdict(self)
        out.pop("raw")
        return jsonable(out)

    def a1111_text(self) -> str:
        """AUTOMATIC1111 text for these parameters (the original text when there was one)."""
        original = self.raw.get(A1111_CHUNK)
        if isinstance(original, str) and original.strip() and not looks_like_json(original):
            return original
        sampler, schedule = (None, None)
        if self.scheduler:
            sampler, schedule = _scheduler_pair(self.scheduler)
        elif self.sampler:
            sampler, schedule = self.sampler, self.schedule
        pairs: list[tuple[str, Any]] = [
            ("Steps", self.steps),
            ("Sampler", sampler),
            ("Schedule type", schedule),
            ("CFG scale", self.cfg_scale),
            ("Seed", self.seed),
            ("Size", f"{self.width}x{self.height}" if self.width and self.height else None),
            ("Model hash", self.model_hash),
            ("Model", self.model),
            ("Denoising strength", self.denoise if self.denoise is not None and self.denoise < 1 else None),
        ]
        return format_a1111(self.prompt, self.negative_prompt, pairs)

    def to_params(self) -> dict[str, Any]:
        """A GenerationRequest.to_params()-style dict (the exact one for studio images)."""
        if self.studio and isinstance(self.studio.get("params"), dict):
            params = dict(self.studio["params"])
            if self.studio.get("seed") is not None:
                params["seed"] = self.studio["seed"]
            if "hires" not in params and isinstance(self.studio.get("extra"), dict):
                params.update(hires_params(self.studio["extra"].get("hires")))
            return params
        params: dict[str, Any] = {"prompt": self.prompt, "negative_prompt": self.negative_prompt}
        if self.scheduler:
            params["scheduler"] = self.scheduler
        for name in ("steps", "cfg_scale", "seed", "width", "height"):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        if params.get("seed") is not None and not 0 <= params["seed"] <= 2**32 - 1:
            params.pop("seed")  # e.g. ComfyUI's 64-bit seeds: no equivalent here
        if self.model:
            params["model"] = self.model
        vae = self.parameters.get("VAE")
        if isinstance(vae, str) and vae.strip():  # A1111's VAE file name; Reuse finds it in models/VAE
            params["vae"] = vae.strip()
        if self.denoise is not None and self.denoise < 1:
            params["strength"] = self.denoise
        if self.parameters.get("Hires upscale"):  # A1111's hires fix: Size is the first pass's
            params["hires"] = {"scale": self.parameters.get("Hires upscale"), "steps": self.parameters.get("Hires steps", 0),
                               "upscaler": self.parameters.get("Hires upscaler"), "denoise": self.denoise}
        return params
