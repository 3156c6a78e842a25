"""What one image of the library is: :class:`GalleryEntry` (a row of the index) and the file-name rules."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}
MASK_SUFFIX = ".mask.png"


@dataclass
class GalleryEntry:
    """One image of the library (a row of the index)."""

    id: int
    path: Path  # absolute; inside trash/ while trashed
    created: float
    width: int | None = None
    height: int | None = None
    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    cfg_scale: float | None = None
    sampler: str | None = None
    model: str | None = None
    model_hash: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "studio"
    favourite: bool = False
    file_size: int = 0
    file_mtime_ns: int = 0
    mask_path: Path | None = None
    trashed: float | None = None
    broken: bool = False
    rel_path: str = ""
    rating: int = 0  # 0 (none) to 5 stars
    boards: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def created_iso(self) -> str:
        return _dt.datetime.fromtimestamp(self.created).astimezone().isoformat(timespec="seconds")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": str(self.path),
            "created": self.created_iso,
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": self.seed,
            "steps": self.steps,
            "cfg_scale": self.cfg_scale,
            "sampler": self.sampler,
            "width": self.width,
            "height": self.height,
            "model": self.model,
            "model_hash": self.model_hash,
            "favourite": self.favourite,
            "rating": self.rating,
            "source": self.source,
            "boards": list(self.boards),
            "tags": list(self.tags),
            "trashed": self.trashed is not None,
            "params": self.params,
        }
