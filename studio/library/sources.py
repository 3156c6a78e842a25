"""The images a result was made from (init image, mask), stored once by content.

An img2img or inpaint result's parameters name its init image and mask by
content digest (``init_sha256``, ``mask_sha256``: see
:func:`studio.engine.request.content_digest`). The pixels are kept here, one
lossless PNG per digest under ``<data>/sources/`` (outside the gallery folder,
so the gallery never lists them), written atomically and only once: repeating an
edit on the same image stores nothing new. "Reuse parameters" loads them back.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from studio import paths
from studio.engine.request import content_digest
from studio.fsutil import atomic_write_bytes

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def sources_dir() -> Path:
    return paths.data_dir() / "sources"


def source_path(digest: str, folder: Path | None = None) -> Path:
    if not _DIGEST.match(digest or ""):
        raise ValueError(f"Not a content digest: {digest!r}")
    return (folder or sources_dir()) / digest[:2] / f"{digest}.png"


def store(array: np.ndarray, folder: Path | None = None) -> str:
    """Keep ``array`` (HxWx3 or HxW uint8); returns its digest. Already stored: nothing is written."""
    from PIL import Image

    arr = np.ascontiguousarray(array, dtype=np.uint8)
    digest = content_digest(arr)
    path = source_path(digest, folder)
    if not path.is_file():
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="PNG")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue())
    return digest


def load(digest: str, folder: Path | None = None) -> np.ndarray | None:
    """The stored pixels for ``digest`` (greyscale for a mask), or None when missing or unreadable."""
    from PIL import Image

    try:
        path = source_path(digest, folder)
        with Image.open(path) as im:
            arr = np.asarray(im, dtype=np.uint8).copy()
    except (OSError, ValueError):
        return None
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3].copy()
    return arr if content_digest(arr) == digest else None  # a damaged copy is not used


def store_request_sources(request) -> dict[str, str]:
    """Store the init image and mask a request used (the ones its parameters name)."""
    out: dict[str, str] = {}
    params_mode = getattr(request.mode, "value", request.mode)
    if params_mode != "txt2img" and request.init_image is not None:
        out["init_sha256"] = store(request.init_image)
    if params_mode == "inpaint" and request.mask is not None:
        out["mask_sha256"] = store(request.mask)
    return out
