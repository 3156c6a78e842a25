"""What a style transfer should do (:class:`StyleSettings`) and what it reports (:class:`StyleStep`, :class:`StyleResult`)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from studio.engine.errors import InvalidRequest

MODES = ("exact", "fast")
NETWORKS = ("auto", "vgg19", "random")  # feature networks of exact mode (see features.py)
OPTIMIZERS = ("lbfgs", "adam")
MAX_STEPS = 2000
MIN_SIZE, MAX_SIZE = 32, 2048
DEFAULT_SIZE = 512  # the working size's long side when the content is larger


@dataclass(frozen=True)
class StyleSettings:
    """``size``: the long side in pixels the transfer works at (0: the content's, at most 512)."""

    mode: str = "exact"
    steps: int = 100
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 0.5  # a little smoothing: without it random features leave fine periodic noise
    size: int = 0
    preserve_colors: bool = False
    network: str = "auto"
    optimizer: str = "lbfgs"
    learning_rate: float = 0.02  # Adam only, in pixel units of [0, 1]

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidRequest(f"Unknown style mode {self.mode!r}; use exact or fast.")
        if self.optimizer not in OPTIMIZERS:
            raise InvalidRequest(f"Unknown optimiser {self.optimizer!r}; use lbfgs or adam.")
        if self.network not in NETWORKS:
            raise InvalidRequest(f"Unknown feature network {self.network!r}; use {', '.join(NETWORKS)}.")
        if not 1 <= int(self.steps) <= MAX_STEPS:
            raise InvalidRequest(f"Steps must be between 1 and {MAX_STEPS} (got {self.steps}).")
        for name in ("content_weight", "style_weight", "tv_weight", "learning_rate"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InvalidRequest(f"{name.replace('_', ' ').capitalize()} must be a number >= 0 (got {value}).")
        if self.content_weight == 0 and self.style_weight == 0:
            raise InvalidRequest("Content weight and style weight cannot both be 0.")
        if self.size and not MIN_SIZE <= int(self.size) <= MAX_SIZE:
            raise InvalidRequest(f"Size must be 0 (automatic) or between {MIN_SIZE} and {MAX_SIZE} pixels (got {self.size}).")

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """The (width, height) the transfer runs at, keeping the content's aspect ratio."""
        long_side = self.size or min(max(width, height), DEFAULT_SIZE)
        scale = long_side / max(width, height)
        return max(MIN_SIZE // 2, round(width * scale)), max(MIN_SIZE // 2, round(height * scale))

    def replace(self, **changes: Any) -> StyleSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StyleStep:
    """One iteration done: its losses and the image so far (HxWx3 uint8, at the output size)."""

    iteration: int
    total: int
    content_loss: float
    style_loss: float
    tv_loss: float
    total_loss: float
    elapsed: float
    preview: np.ndarray | None = field(default=None, repr=False)

    def losses(self) -> dict[str, float]:
        return {"content_loss": self.content_loss, "style_loss": self.style_loss, "tv_loss": self.tv_loss, "total_loss": self.total_loss}


@dataclass(frozen=True)
class StyleResult:
    image: np.ndarray = field(repr=False)  # HxWx3 uint8
    settings: StyleSettings
    style_hash: str
    network: str  # vgg19, random, or magenta-arbitrary (fast mode)
    network_hash: str
    history: tuple[dict[str, float], ...]  # losses per iteration (exact); one entry (fast)
    elapsed: float
    masked: bool = False
    work_size: tuple[int, int] = (0, 0)

    @property
    def first_losses(self) -> dict[str, float]:
        return dict(self.history[0]) if self.history else {}

    @property
    def last_losses(self) -> dict[str, float]:
        return dict(self.history[-1]) if self.history else {}


def image_hash(image: np.ndarray) -> str:
    """A short hash of an image's pixels (the same for a file, a paste or a gallery pick)."""
    arr = np.ascontiguousarray(np.asarray(image, dtype=np.uint8)[..., :3])
    h = hashlib.sha256(f"{arr.shape[0]}x{arr.shape[1]}:".encode())
    h.update(arr.tobytes())
    return h.hexdigest()[:10]
