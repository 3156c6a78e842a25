"""What to generate: a validated, immutable :class:`GenerationRequest`."""

from __future__ import annotations

import enum
import hashlib
import random
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from studio.engine.errors import InvalidRequest

MIN_SIZE, MAX_SIZE = 16, 4096
MAX_STEPS = 150
MAX_CFG = 50.0
MAX_BATCH = 16
MAX_SEED = 2**32 - 1


class Mode(str, enum.Enum):
    TXT2IMG = "txt2img"
    IMG2IMG = "img2img"
    INPAINT = "inpaint"


class InpaintArea(str, enum.Enum):
    WHOLE = "whole"  # repaint at the image's own size
    ONLY_MASKED = "only_masked"  # crop around the mask, generate at model resolution, paste back


class MaskedContent(str, enum.Enum):
    ORIGINAL = "original"  # start from the original pixels under the mask
    NOISE = "noise"  # start from fresh noise under the mask


def random_seed() -> int:
    return random.SystemRandom().randrange(0, MAX_SEED)


def round_to_8(value: int) -> int:
    return max(8, int(round(value / 8)) * 8)


def _as_rgb(image: Any, what: str) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise InvalidRequest(f"The {what} must be an RGB image (got an array of shape {arr.shape}).")
    if arr.dtype != np.uint8:
        raise InvalidRequest(f"The {what} must hold 8-bit pixels (got {arr.dtype}).")
    return np.ascontiguousarray(arr[:, :, :3])


def _as_mask(mask: Any) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim == 3:
        arr = arr[:, :, :3].max(axis=2) if arr.shape[2] >= 3 else arr[:, :, 0]
    if arr.ndim != 2:
        raise InvalidRequest(f"The mask must be a greyscale image (got an array of shape {arr.shape}).")
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.ascontiguousarray(arr)


@dataclass(frozen=True)
class GenerationRequest:
    """One generation job. Sizes are rounded to multiples of 8; ``seed=-1`` means random.

    ``width``/``height`` of 0 mean "the model's native size" (txt2img) or "the
    init image's size" (img2img, inpaint). ``init_image`` is HxWx3 uint8,
    ``mask`` HxW uint8 where 255 means repaint.
    """

    prompt: str = ""
    negative_prompt: str = ""
    model: str | None = None
    scheduler: str = "Euler a"
    steps: int = 20
    cfg_scale: float = 7.0
    seed: int = -1
    width: int = 0
    height: int = 0
    batch_size: int = 1
    mode: Mode = Mode.TXT2IMG
    init_image: np.ndarray | None = field(default=None, compare=False, repr=False)
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    strength: float = 0.75
    inpaint_area: InpaintArea = InpaintArea.WHOLE
    inpaint_padding: int = 32
    mask_blur: int = 4
    masked_content: MaskedContent = MaskedContent.ORIGINAL
    inpaint_box: tuple[int, int, int, int] | None = None  # only masked: the user's crop (x0, y0, x1, y1)
    vae: str = ""  # a VAE in place of the model's own: file, diffusers folder or name in models/VAE; "" = the model's

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        try:
            put("mode", Mode(self.mode))
            put("inpaint_area", InpaintArea(self.inpaint_area))
            put("masked_content", MaskedContent(self.masked_content))
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if not isinstance(self.prompt, str) or not isinstance(self.negative_prompt, str):
            raise InvalidRequest("Prompt and negative prompt must be text.")
        put("prompt", self.prompt.strip())
        put("negative_prompt", self.negative_prompt.strip())
        if not isinstance(self.vae, str):
            raise InvalidRequest("The VAE must be given as a path or a name.")
        put("vae", self.vae.strip())
        if self.mode is Mode.TXT2IMG and not self.prompt:
            raise InvalidRequest("Write a prompt first: text-to-image needs a description of the picture.")
        _check_int("steps", self.steps, 1, MAX_STEPS)
        _check_int("batch size", self.batch_size, 1, MAX_BATCH)
        _check_int("seed", self.seed, -1, MAX_SEED)
        _check_int("inpaint padding", self.inpaint_padding, 0, 1024)
        _check_int("mask blur", self.mask_blur, 0, 256)
        if not (0.0 <= float(self.cfg_scale) <= MAX_CFG):
            raise InvalidRequest(f"CFG scale must be between 0 and {MAX_CFG:g} (got {self.cfg_scale}).")
        put("cfg_scale", float(self.cfg_scale))
        if not (0.0 <= float(self.strength) <= 1.0):
            raise InvalidRequest(f"Strength must be between 0 and 1 (got {self.strength}).")
        put("strength", float(self.strength))
        for name in ("width", "height"):
            value = getattr(self, name)
            _check_int(name, value, 0, MAX_SIZE)
            if value:
                if value < MIN_SIZE:
                    raise InvalidRequest(f"The {name} must be at least {MIN_SIZE} pixels (got {value}).")
                put(name, min(MAX_SIZE, round_to_8(value)))
        if self.inpaint_box is not None:
            try:
                box = tuple(int(v) for v in self.inpaint_box)
            except (TypeError, ValueError):
                raise InvalidRequest(f"The inpaint box must be four whole numbers (got {self.inpaint_box!r}).") from None
            if len(box) != 4 or box[0] >= box[2] or box[1] >= box[3] or min(box) < 0:
                raise InvalidRequest(f"The inpaint box must be x0, y0, x1, y1 with x0 < x1 and y0 < y1 (got {box}).")
            put("inpaint_box", box)
        if self.init_image is not None:
            put("init_image", _as_rgb(self.init_image, "init image"))
        if self.mask is not None:
            put("mask", _as_mask(self.mask))
        if self.mode in (Mode.IMG2IMG, Mode.INPAINT) and self.init_image is None:
            raise InvalidRequest(f"{self.mode.value} needs an init image.")
        if self.mode is Mode.INPAINT:
            if self.mask is None:
                raise InvalidRequest("Inpainting needs a mask (white = repaint).")
            if self.mask.shape != self.init_image.shape[:2]:
                h, w = self.init_image.shape[:2]
                mh, mw = self.mask.shape
                raise InvalidRequest(f"The mask is {mw}x{mh} but the image is {w}x{h}; they must match.")
            if not self.mask.any():
                raise InvalidRequest("The mask is empty: paint the area to repaint first.")

    # -- derived values ---------------------------------------------------------------

    def with_seed(self) -> GenerationRequest:
        """A copy whose seed is concrete (a random one when ``seed == -1``)."""
        return self if self.seed >= 0 else replace(self, seed=random_seed())

    def seeds(self) -> list[int]:
        """Seeds of the batch's images: seed, seed+1, ... (wrapping at 2**32)."""
        if self.seed < 0:
            raise InvalidRequest("Resolve the seed with with_seed() first.")
        return [(self.seed + i) % (MAX_SEED + 1) for i in range(self.batch_size)]

    def replace(self, **changes: Any) -> GenerationRequest:
        return replace(self, **changes)

    def to_params(self) -> dict[str, Any]:
        """JSON-ready parameters. Images are left out; their content digests
        (``init_sha256``, ``mask_sha256``, see :func:`content_digest`) name the stored copies."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("init_image", "mask"):
                continue
            value = getattr(self, f.name)
            out[f.name] = value.value if isinstance(value, enum.Enum) else value
        if self.mode is not Mode.TXT2IMG and self.init_image is not None:
            out["init_sha256"] = content_digest(self.init_image)
        if self.mode is Mode.INPAINT and self.mask is not None:
            out["mask_sha256"] = content_digest(self.mask)
        return out

    @classmethod
    def from_params(cls, params: dict[str, Any], **extra: Any) -> GenerationRequest:
        """Build a request from :meth:`to_params` output; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in params.items() if k in names}
        kwargs.update(extra)
        return cls(**kwargs)


def content_digest(array: np.ndarray) -> str:
    """A stable name for an image's pixels (shape and bytes): equal images share one stored copy."""
    arr = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{arr.shape}|{arr.dtype}|".encode())
    h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidRequest(f"The {name} must be a whole number (got {value!r}).")
    if not lo <= int(value) <= hi:
        raise InvalidRequest(f"The {name} must be between {lo} and {hi} (got {value}).")


__all__ = [
    "GenerationRequest",
    "content_digest",
    "InpaintArea",
    "MaskedContent",
    "Mode",
    "random_seed",
    "round_to_8",
]
