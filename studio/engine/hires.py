"""Hires fix: generate at the model's native size, upscale, then img2img at the target size.

As AUTOMATIC1111's "Hires. fix": the first pass lays out the picture where the
model is good at it, the upscaler (Studio's GAN upscaler, any ESRGAN-family
file, or "Latent"/"Lanczos" resizes) makes it big, and a second, partial
denoise (``denoise``, ``steps``) adds the detail. The result records A1111's
keys: ``Hires upscale``, ``Hires steps``, ``Hires upscaler``, ``Denoising
strength``, with ``Size`` the first pass's size, so A1111 reads it as its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from PIL import Image

from studio.engine.errors import InvalidRequest
from studio.engine.events import CancelFlag, GeneratedImage, Status
from studio.engine.request import GenerationRequest, Mode, round_to_8

RESIZE_UPSCALERS = {"Lanczos": Image.LANCZOS, "Latent": Image.BICUBIC}  # A1111 names of plain resizes
MAX_SCALE = 4.0


@dataclass(frozen=True)
class HiresOptions:
    scale: float = 2.0
    denoise: float = 0.45
    steps: int = 0  # 0: as many as the first pass
    upscaler: str | None = None  # None: the bundled GAN upscaler; "Lanczos"/"Latent": a plain resize

    def __post_init__(self) -> None:
        if not (1.0 < float(self.scale) <= MAX_SCALE):
            raise InvalidRequest(f"Hires scale must be above 1 and at most {MAX_SCALE:g} (got {self.scale}).")
        if not (0.0 < float(self.denoise) <= 1.0):
            raise InvalidRequest(f"Hires denoise must be in (0, 1] (got {self.denoise}).")
        if not (0 <= int(self.steps) <= 150):
            raise InvalidRequest(f"Hires steps must be 0 (same as the first pass) to 150 (got {self.steps}).")


def _gan_upscale(name: str | None, image: np.ndarray, factor: float, cancel, allow_pickle: bool):
    from studio.engine.upscale.run import upscale

    scale = 4 if factor > 2 else 2
    upscaler = _cached(name, scale, allow_pickle)
    out = upscale(upscaler, image, scale, cancel=cancel)
    return out, upscaler.name


_CACHE: dict = {}


def _cached(name, scale, allow_pickle):
    from studio.engine.upscale import models

    key = (name, scale)
    if key not in _CACHE:
        _CACHE.clear()  # one upscaler in memory at a time
        _CACHE[key] = models.load(name, scale, allow_pickle=allow_pickle)
    return _CACHE[key]


def upscale_for_hires(image: np.ndarray, hires: HiresOptions, target: tuple[int, int], cancel=None,
                      allow_pickle: bool = False) -> tuple[np.ndarray, str]:
    """The first pass's image brought to ``target`` (w, h); returns (pixels, upscaler name for the metadata)."""
    if hires.upscaler in RESIZE_UPSCALERS:
        pil = Image.fromarray(image).resize(target, RESIZE_UPSCALERS[hires.upscaler])
        return np.asarray(pil), hires.upscaler
    big, name = _gan_upscale(hires.upscaler, image, hires.scale, cancel, allow_pickle)
    if (big.shape[1], big.shape[0]) != target:
        big = np.asarray(Image.fromarray(big).resize(target, Image.LANCZOS))
    return big, name


def generate_hires(engine, request: GenerationRequest, hires: HiresOptions, on_event=None,
                   cancel: CancelFlag | None = None) -> list[GeneratedImage]:
    """Two passes per image of the batch; returns the second pass's images with hires metadata."""
    if request.mode is not Mode.TXT2IMG:
        raise InvalidRequest("Hires fix applies to text-to-image; for img2img, upscale the result instead.")
    emit = on_event or (lambda _e: None)
    cancel = cancel or CancelFlag()
    firsts = engine.generate(request, on_event=on_event, cancel=cancel)
    results = []
    for first in firsts:
        w, h = first.width, first.height
        target = (round_to_8(int(w * hires.scale)), round_to_8(int(h * hires.scale)))
        emit(Status("upscaling", f"Hires fix: upscaling to {target[0]}x{target[1]}…"))
        big, upscaler_name = upscale_for_hires(first.image, hires, target, cancel,
                                                 getattr(engine.settings, "allow_pickle", False))
        second = dataclasses.replace(
            request, mode=Mode.IMG2IMG, init_image=big, strength=float(hires.denoise), seed=first.seed,
            steps=int(hires.steps or request.steps), width=target[0], height=target[1], batch_size=1)
        emit(Status("hires", f"Hires fix: second pass at {target[0]}x{target[1]}…"))
        (out,) = engine.generate(second, on_event=on_event, cancel=cancel)
        extra = dict(out.extra)
        extra["a1111_extra"] = {"Hires upscale": f"{hires.scale:g}", "Hires steps": int(hires.steps),
                                "Hires upscaler": upscaler_name, "Denoising strength": float(hires.denoise)}
        extra["a1111_size"] = f"{w}x{h}"  # A1111 writes the first pass's size
        extra["hires"] = {"scale": hires.scale, "denoise": hires.denoise, "steps": hires.steps,
                          "upscaler": upscaler_name, "first_pass_size": [w, h]}
        final_request = dataclasses.replace(request, seed=first.seed, batch_size=1)
        results.append(dataclasses.replace(out, request=final_request, index=first.index, extra=extra,
                                           elapsed=first.elapsed + out.elapsed))
    return results
