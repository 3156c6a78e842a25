"""What the window tells the generator thread (engine options) and what it hears back between steps (progress)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EngineOptions:
    device: str = "auto"
    dtype: str = "auto"
    preview_every: int = 1
    server_url: str = ""  # empty: the engine runs in this process; else a `studio serve` to use
    server_token: str = ""
    preview_method: str = "auto"
    preview_vae_every: int = 5

    @classmethod
    def from_settings(cls, s) -> EngineOptions:
        """The engine options of a :class:`studio.settings.Settings`."""
        url, token = s.engine_server()
        return cls(s.device, s.dtype, s.preview_every, url, token, s.preview_method, s.preview_vae_every)

    of = from_settings


@dataclass(frozen=True)
class ProgressUpdate:
    """The newest progress of the running job, as the GUI takes it from the mailbox."""

    job_id: int
    step: int  # steps done in the whole job (all images of the batch)
    total: int  # steps in the whole job
    image_index: int
    batch_size: int
    elapsed: float
    eta: float
    preview: np.ndarray | None  # newest preview not yet shown (HxWx3 uint8) or None
    posted_at: float  # time.perf_counter() when the engine reported the preview/step
    box: tuple[int, int, int, int] | None = None  # inpainting: where on the init image previews go
