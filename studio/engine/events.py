"""What the engine reports while it works. Plain data, safe to pass between threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.engine.request import GenerationRequest


@dataclass(frozen=True)
class Progress:
    """One denoising step done.

    ``step`` counts from 1 to ``total`` within image ``image_index`` of the batch.
    ``preview`` is the predicted clean image at latent resolution (H/8 x W/8 x 3,
    uint8), or None on steps without a preview. ``elapsed``/``eta`` are seconds
    for the whole job.
    """

    step: int
    total: int
    image_index: int
    batch_size: int
    elapsed: float
    eta: float
    preview: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Status:
    """A change of engine state worth showing (``loading``, ``downloading``, ``ready``)."""

    state: str
    message: str
    fraction: float | None = None


@dataclass(frozen=True)
class PreviewRegion:
    """Where the coming previews belong on the init image (inpainting).

    ``box`` is (left, top, right, bottom) in image pixels; previews of the
    generated frame (``gen_size`` = width, height) are drawn scaled into it.
    """

    box: tuple[int, int, int, int]
    gen_size: tuple[int, int]
    image_index: int = 0


@dataclass(frozen=True)
class GeneratedImage:
    """One finished image with everything needed to reproduce it."""

    image: np.ndarray = field(repr=False)  # HxWx3 uint8
    seed: int
    index: int
    request: GenerationRequest
    model_name: str
    model_hash: str
    elapsed: float
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. mask, crop box for inpainting

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class CancelFlag:
    """A thread-safe cancel switch; the engine checks it after every step.

    :meth:`set_after_frame` is a softer stop (live painting, when a newer state
    waits): the job stops at the end of the first step that made a preview, once
    that preview is out, so every job puts something on screen.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._after_frame = threading.Event()

    def set_after_frame(self) -> None:
        self._after_frame.set()

    def after_frame(self) -> bool:
        return self._after_frame.is_set()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()
