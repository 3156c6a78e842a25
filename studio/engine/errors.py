"""Typed errors the engine raises. Every message is meant to be shown to a user as is."""

from __future__ import annotations


class StudioError(Exception):
    """Base class: something the user can understand and act on."""


class InvalidRequest(StudioError, ValueError):
    """A generation request has a parameter out of range or missing."""


class ModelNotFound(StudioError):
    """No model at the given name, path or repo id."""


class NoModelInstalled(ModelNotFound):
    """No model was named and the bundled starter model is not present."""


class ModelLoadError(StudioError):
    """A model exists but could not be loaded (corrupt, wrong format, unsupported family)."""


class UnsafeModelFile(ModelLoadError):
    """A pickle-based checkpoint (.ckpt/.pt/.bin) that was not explicitly allowed."""


class OfflineError(ModelNotFound):
    """The model must come from the network, but no network is available."""


class ImageLoadError(StudioError):
    """An input image (init image, mask) could not be read."""


class OutOfMemory(StudioError):
    """The device ran out of memory during generation."""


class GenerationCancelled(StudioError):
    """The generation was cancelled by the user; no image was decoded."""

    def __init__(self, message: str = "Generation cancelled.", *, step: int = 0, total: int = 0):
        super().__init__(message)
        self.step = step
        self.total = total
