"""Writing metadata into files: the studio JSON, PNG text chunks, EXIF ``UserComment`` and XMP for JPEG/WebP."""

from __future__ import annotations

import html
import io
import json
import logging
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from studio.engine.events import GeneratedImage
from studio.engine.metadata.a1111 import a1111_parameters, hires_params
from studio.engine.metadata.exif import user_comment_exif
from studio.engine.metadata.keys import (
    _MAX_XMP_BYTES,
    _XMP_NS,
    A1111_CHUNK,
    FORMATS,
    STUDIO_CHUNK,
    studio_version,
)

_log = logging.getLogger(__name__)
# A JPEG APP1 segment holds 65,533 bytes: "Exif\0\0" and the TIFF block must fit in it.
_MAX_JPEG_EXIF = 65_533 - 6


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # pixel data lives in files, never in the JSON
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "value") and isinstance(value.value, (str, int)):  # enums
        return value.value
    return str(value)


def studio_metadata(img: GeneratedImage) -> dict[str, Any]:
    """Everything needed to reproduce the image exactly (the ``studio`` chunk)."""
    params = img.request.to_params()
    params["seed"] = int(img.seed)
    params["batch_size"] = 1
    params["width"] = img.width
    params["height"] = img.height
    extra = {k: v for k, v in _jsonable(dict(img.extra)).items() if v is not None}
    params.update(hires_params(extra.get("hires")))
    return {
        "format": "studio",
        "format_version": 1,
        "version": studio_version(),
        "params": params,
        "seed": int(img.seed),
        "batch_index": int(img.index),
        "request_seed": int(img.request.seed),
        "model_name": img.model_name,
        "model_hash": img.model_hash,
        "elapsed": round(float(img.elapsed), 4),
        "extra": extra,
    }


def _xmp_packet(studio_json: str) -> bytes:
    body = html.escape(studio_json, quote=False)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:studio="{_XMP_NS}">'
        f"<studio:params>{body}</studio:params>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def _to_pil(img_or_array: Any) -> Image.Image:
    if isinstance(img_or_array, GeneratedImage):
        img_or_array = img_or_array.image
    if isinstance(img_or_array, Image.Image):
        return img_or_array
    arr = np.asarray(img_or_array)
    if arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {arr.dtype}")
    if arr.ndim == 2:
        return Image.fromarray(arr, "L")
    return Image.fromarray(np.ascontiguousarray(arr[:, :, :4] if arr.shape[2] == 4 else arr[:, :, :3]))


def encode_image(
    img_or_array: Any,
    fmt: str = "png",
    text: str | None = None,
    studio_json: dict | str | None = None,
    strip: bool = False,
    *,
    extra_png_chunks: dict[str, str] | None = None,
    quality: int = 95,
    notes: list[str] | None = None,
    lossless: bool = False,
) -> bytes:
    """Encode pixels as PNG, JPEG or WebP with the metadata (or none with ``strip``).

    ``text`` is the AUTOMATIC1111 text, ``studio_json`` the studio dict (or its
    JSON). ``extra_png_chunks`` keeps other tools' chunks (ComfyUI ``workflow``...)
    in PNG output. JPEG's EXIF holds at most 64 KB: a longer text is left to
    the XMP packet (the studio JSON), and the reason is appended to ``notes``
    (and logged).
    ``lossless`` makes WebP lossless (PNG always is; JPEG never).
    """
    key = fmt.lower().lstrip(".")
    if key not in FORMATS:
        raise ValueError(f"Unknown image format {fmt!r}; use png, jpeg or webp.")
    pil_format = FORMATS[key]
    im = _to_pil(img_or_array)
    if isinstance(studio_json, dict):
        studio_json = json.dumps(studio_json, ensure_ascii=False, separators=(",", ":"))
    out = io.BytesIO()
    if pil_format == "PNG":
        info = PngImagePlugin.PngInfo()
        if not strip:
            if text:
                info.add_text(A1111_CHUNK, text)  # tEXt, or iTXt when not Latin-1
            if studio_json:
                info.add_text(STUDIO_CHUNK, studio_json)
            for name, value in (extra_png_chunks or {}).items():
                if name not in (A1111_CHUNK, STUDIO_CHUNK) and value:
                    info.add_text(name, value)
        im.save(out, "PNG", pnginfo=info, compress_level=4)
        return out.getvalue()
    if im.mode not in ("RGB", "L") and not (pil_format == "WEBP" and lossless and im.mode == "RGBA"):
        im = im.convert("RGB")
    kwargs: dict[str, Any] = {"quality": quality}
    if pil_format == "WEBP" and lossless:
        kwargs.update(lossless=True, quality=100, exact=True)
    if not strip:
        if text:
            block = user_comment_exif(text)
            if pil_format == "JPEG" and len(block) > _MAX_JPEG_EXIF:
                _note(notes, f"The parameters text ({len(block)} bytes of EXIF) is over JPEG's 64 KB limit: only the XMP packet keeps the metadata.")
            else:
                kwargs["exif"] = b"Exif\x00\x00" + block
        if studio_json:
            packet = _xmp_packet(studio_json)
            if len(packet) <= _MAX_XMP_BYTES:
                kwargs["xmp"] = packet
            else:
                _note(notes, f"The studio JSON ({len(packet)} bytes) is over the XMP limit of {_MAX_XMP_BYTES} bytes: left out.")
    if pil_format == "WEBP":
        kwargs["method"] = 4
    if pil_format == "JPEG":
        kwargs["subsampling"] = 0  # 4:4:4: full-resolution colour keeps edges and the invisible watermark
    im.save(out, pil_format, **kwargs)
    return out.getvalue()


def _note(notes: list[str] | None, text: str) -> None:
    _log.warning(text)
    if notes is not None:
        notes.append(text)


def encode_png(img: GeneratedImage) -> bytes:
    """The image as PNG with the ``parameters`` and ``studio`` chunks."""
    return encode_image(img, "png", a1111_parameters(img), studio_metadata(img))
