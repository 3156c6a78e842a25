"""The wire format both sides of the server speak: requests, images, events, errors.

Torch-free and Qt-free: the client (:mod:`studio.server.client`) needs only
this, numpy, Pillow and the stdlib (plus ``websockets`` for the event socket).

* A :class:`GenerationRequest` travels as JSON (``to_params()``); its init
  image and mask travel as content-addressed PNG uploads named by the SHA-256
  of their bytes, so a second job on the same image uploads nothing.
* Events are WebSocket messages. Text frames are JSON objects with a ``type``
  (``queued``, ``status``, ``region``, ``progress``, ``result``, ``error``,
  ``cancelled``) and the ``job_id``. A progress step with a preview is one
  binary frame: ``MAGIC``, a 4-byte big-endian header length, the JSON header,
  then the preview as PNG (lossless: the same pixels as the local engine's).
* Errors keep their class: the name of the :mod:`studio.engine.errors` class
  travels with the message and the client raises the same class.
* Result arrays (an inpaint's mask) travel as ``.npy`` read back with
  ``allow_pickle=False``. Nothing on either side is ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
from typing import Any

import numpy as np
from PIL import Image

from studio.engine import errors
from studio.engine.errors import ImageLoadError, InvalidRequest, StudioError
from studio.engine.events import GeneratedImage, PreviewRegion, Progress, Status
from studio.engine.request import GenerationRequest

API = "/v1"
MAGIC = b"STP1"
TERMINAL = ("result", "error", "cancelled")
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # one init image or mask
MAX_JSON_BYTES = 1024 * 1024  # one job
MAX_UPLOAD_PIXELS = 4096 * 4096


# -- images --------------------------------------------------------------------------------


class ServerError(StudioError):
    """The server could not be reached, refused the token, or answered nonsense."""


def png_bytes(array: np.ndarray, compress_level: int = 1) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buf, "PNG", compress_level=compress_level)
    return buf.getvalue()


def content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_upload(data: bytes, *, mask: bool = False) -> np.ndarray:
    """Pixels of an uploaded PNG/JPEG/WebP (RGB, or greyscale for a mask), inside size limits."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in ("PNG", "JPEG", "WEBP"):
                raise ImageLoadError(f"Uploads must be PNG, JPEG or WebP (got {im.format}).")
            if im.width * im.height > MAX_UPLOAD_PIXELS:
                raise ImageLoadError(f"The image is {im.width}x{im.height}; at most 4096x4096 is accepted.")
            im.load()
            if mask:
                return np.asarray(im if im.mode == "L" else im.convert("L")).copy()
            return np.asarray(im if im.mode == "RGB" else im.convert("RGB")).copy()
    except ImageLoadError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageLoadError(f"The upload is not a readable image: {str(exc).splitlines()[0]}") from None


def decode_png(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im if im.mode in ("RGB", "L") else im.convert("RGB")).copy()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def load_npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


# -- requests ------------------------------------------------------------------------------


def request_json(request: GenerationRequest, init_id: str | None, mask_id: str | None) -> dict[str, Any]:
    return {"params": request.to_params(), "init_image": init_id, "mask": mask_id}


def request_from_json(params: Any, images: dict[str, np.ndarray | None]) -> GenerationRequest:
    """Rebuild and validate a request; ``images`` holds the decoded init image and mask."""
    if not isinstance(params, dict):
        raise InvalidRequest("The job's params must be a JSON object.")
    params = {k: v for k, v in params.items() if k not in ("init_image", "mask")}  # pixels come as uploads only
    scalars = (str, int, float, bool, type(None))
    bad = [k for k, v in params.items() if not isinstance(v, scalars)]
    if bad:
        raise InvalidRequest(f"Job parameter {bad[0]!r} must be a number or text.")
    try:
        return GenerationRequest.from_params(params, **images)
    except TypeError as exc:
        raise InvalidRequest(f"Bad job parameters: {exc}") from None


# -- errors --------------------------------------------------------------------------------


def error_json(exc: BaseException, job_id: str | None = None) -> dict[str, Any]:
    name = type(exc).__name__ if isinstance(exc, StudioError) else "StudioError"
    message = str(exc) if isinstance(exc, StudioError) else f"Generation failed on the server: {exc}"
    return {"type": "error", "job_id": job_id, "error": name, "message": message}


def raise_error(event: dict[str, Any]) -> None:
    """Raise the engine error the server reported, as the same class."""
    cls = getattr(errors, str(event.get("error", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, StudioError)):
        cls = StudioError
    message = str(event.get("message") or "The server reported an error.")
    if cls is errors.GenerationCancelled:
        raise cls(message, step=int(event.get("step", 0)), total=int(event.get("total", 0)))
    raise cls(message)


# -- events --------------------------------------------------------------------------------


def event_message(event: object, job_id: str) -> str | bytes | None:
    """One engine event as a WebSocket message (None for events that do not travel)."""
    if isinstance(event, Progress):
        head = {
            "type": "progress", "job_id": job_id, "step": event.step, "total": event.total,
            "image_index": event.image_index, "batch_size": event.batch_size,
            "elapsed": event.elapsed, "eta": event.eta, "sent_at": time.time(),
        }
        if event.preview is None:
            return json.dumps(head)
        header = json.dumps(head).encode()
        return MAGIC + struct.pack(">I", len(header)) + header + png_bytes(event.preview)
    if isinstance(event, Status):
        return json.dumps({"type": "status", "job_id": job_id, "state": event.state,
                           "message": event.message, "fraction": event.fraction})
    if isinstance(event, PreviewRegion):
        return json.dumps({"type": "region", "job_id": job_id, "box": list(event.box),
                           "gen_size": list(event.gen_size), "image_index": event.image_index})
    return None


def parse_message(message: str | bytes) -> tuple[dict[str, Any], bytes | None]:
    """(header, preview PNG or None) of one WebSocket message."""
    if isinstance(message, bytes):
        if message[:4] != MAGIC or len(message) < 8:
            raise ValueError("not a studio binary frame")
        (length,) = struct.unpack(">I", message[4:8])
        return json.loads(message[8 : 8 + length]), message[8 + length :]
    data = json.loads(message)
    if not isinstance(data, dict):
        raise ValueError("an event must be a JSON object")
    return data, None


def to_event(header: dict[str, Any], frame: bytes | None) -> object | None:
    """The engine event a message stands for (Progress, Status, PreviewRegion), else None."""
    kind = header.get("type")
    if kind == "progress":
        preview = decode_png(frame) if frame else None
        return Progress(int(header["step"]), int(header["total"]), int(header["image_index"]),
                        int(header["batch_size"]), float(header["elapsed"]), float(header["eta"]), preview)
    if kind == "status":
        return Status(str(header["state"]), str(header["message"]), header.get("fraction"))
    if kind == "region":
        return PreviewRegion(tuple(int(v) for v in header["box"]), tuple(int(v) for v in header["gen_size"]),
                             int(header.get("image_index", 0)))
    return None


# -- results -------------------------------------------------------------------------------


def result_parts(img: GeneratedImage) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    """(JSON description, PNG with full metadata, arrays as .npy) of one finished image."""
    from studio.engine.metadata import encode_png
    from studio.engine.metadata.writing import _jsonable

    arrays = {k: npy_bytes(v) for k, v in img.extra.items() if isinstance(v, np.ndarray)}
    extra = {k: _jsonable(v) for k, v in img.extra.items() if not isinstance(v, np.ndarray)}
    meta = {
        "index": img.index, "seed": img.seed, "width": img.width, "height": img.height,
        "model_name": img.model_name, "model_hash": img.model_hash, "elapsed": img.elapsed,
        "request_seed": img.request.seed, "extra": extra, "arrays": sorted(arrays),
    }
    return meta, encode_png(img), arrays


def generated_image(meta: dict[str, Any], png: bytes, arrays: dict[str, np.ndarray],
                    request: GenerationRequest) -> GeneratedImage:
    """Rebuild what the local engine would have returned for this result."""
    image = decode_png(png)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    extra = dict(meta.get("extra") or {})
    for key in ("crop_box", "gen_size"):
        if isinstance(extra.get(key), list):
            extra[key] = tuple(extra[key])
    extra.update(arrays)
    return GeneratedImage(
        image=image, seed=int(meta["seed"]), index=int(meta["index"]),
        request=request.replace(seed=int(meta["request_seed"]), width=image.shape[1], height=image.shape[0]),
        model_name=str(meta["model_name"]), model_hash=str(meta["model_hash"]),
        elapsed=float(meta["elapsed"]), extra=extra,
    )
