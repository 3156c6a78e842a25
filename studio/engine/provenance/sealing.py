"""The provenance steps around every file Studio writes: watermark the pixels, then (after the
metadata writer) add the XMP source type and sign, last.

    pixels --mark()--> pixels --encode_image()--> bytes --seal()--> file bytes

What an export keeps is one of :class:`Keep`: everything (the default), the
provenance without the generation parameters, or nothing (the file then no
longer says it is AI-made).
"""

from __future__ import annotations

import enum
import io
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine.events import GeneratedImage
from studio.engine.provenance import c2pa_signing, watermark
from studio.engine.provenance.c2pa_signing import Ingredient, Record
from studio.engine.provenance.source_type import container_of, set_source_type, source_type_for

log = logging.getLogger(__name__)

STRIP_ALL_WARNING = "Stripping everything removes the provenance too: the file will no longer say it is AI-made."


class Keep(str, enum.Enum):
    ALL = "all"  # parameters, studio JSON, XMP source type, C2PA, watermark
    PROVENANCE = "provenance"  # no generation parameters; XMP source type, C2PA, watermark kept
    NOTHING = "none"  # pixels only


@dataclass(frozen=True)
class Options:
    """How one file is written. ``watermark``: add the invisible mark (exports); ``c2pa_params``:
    copy the generation parameters into the C2PA manifest as well."""

    keep: Keep = Keep.ALL
    watermark: bool = False
    sign: bool = True
    c2pa_params: bool = False

    @classmethod
    def for_export(cls, keep: Keep | str = Keep.ALL, watermark: bool = True, **kw: Any) -> Options:
        return cls(keep=Keep(keep), watermark=watermark, **kw)

    @property
    def metadata(self) -> bool:
        """Write the generation parameters (A1111 text, studio JSON)."""
        return self.keep is Keep.ALL


GALLERY = Options()  # the library's own copy: lossless history, exactly reproducible, no mark


def parse_keep(value: str | Keep) -> Keep:
    try:
        return Keep(value)
    except ValueError:
        raise ValueError(f"Unknown choice {value!r}; use {', '.join(k.value for k in Keep)}.") from None


def warm_up() -> None:
    """Import the signing and watermark libraries and make/load this install's certificate.

    Their first import loads large native libraries while holding the GIL; doing it once at
    start-up keeps that pause out of the GUI's way during a generation.
    """
    try:
        from studio.engine.provenance import credentials

        if c2pa_signing.available():
            credentials.load()
        watermark.available()
    except Exception as exc:  # noqa: BLE001 - a broken signer shows up (with its message) at the first save
        log.warning("provenance warm-up failed: %s", exc)


# -- pixels ------------------------------------------------------------------------------


def mark(pixels: np.ndarray, options: Options, fmt: str = "png") -> tuple[np.ndarray, bool, str | None]:
    """``(pixels, watermarked, note)``: the mark added when asked and possible, else a note why not.

    For PNG the mark is read back from the pixels here; JPEG/WebP read it back from the encoded
    file instead (:func:`confirm_mark`)."""
    if not options.watermark or options.keep is Keep.NOTHING:
        return pixels, False, None
    arr = np.asarray(pixels)
    if arr.ndim != 3:
        return pixels, False, "no invisible watermark: greyscale image"
    note = watermark.skip_note(arr)
    if note is not None:
        return pixels, False, note
    marked = watermark.embed(arr)
    if fmt != "png":
        return marked, True, None
    found = watermark.detect(marked)  # dwtDct fails on large saturated or near-white areas (colours clip)
    if not found.found:
        return pixels, False, (f"no invisible watermark: it does not hold in this picture's colours "
                               f"({found.matching_bits}/{watermark.BITS} bits read back)")
    return marked, True, None


def confirm_mark(data: bytes, fmt: str, watermarked: bool) -> tuple[bool, str | None]:
    """After a lossy encode (JPEG, WebP) read the mark back from the file: the manifest claims only what holds."""
    if not watermarked or fmt == "png":
        return watermarked, None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        found = watermark.detect(np.asarray(im.convert("RGB")))
    if found.found:
        return True, None
    return False, f"no invisible watermark: {fmt} compression removed it ({found.matching_bits}/{watermark.BITS} bits read back)"


# -- records -----------------------------------------------------------------------------


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def record_for(img: GeneratedImage, title: str, *, watermarked: bool = False, options: Options = GALLERY) -> Record:
    """The manifest record of a fresh generation: init image and mask as ingredients."""
    req = img.request
    mode = getattr(req.mode, "value", req.mode)
    ingredients = []
    if mode != "txt2img" and req.init_image is not None:
        ingredients.append(Ingredient("init image", _png(req.init_image)))
        if req.mask is not None:
            ingredients.append(Ingredient("mask", _png(req.mask), relationship="componentOf"))
    params = None
    if options.c2pa_params and options.metadata:
        from studio.engine.metadata import studio_metadata

        params = studio_metadata(img)["params"]
    return Record(
        source_type=source_type_for(mode),
        model_name=img.model_name,
        model_hash=img.model_hash,
        title=title,
        ingredients=tuple(ingredients),
        watermarked=watermarked,
        params=params,
    )


def record_from_studio(studio: dict | None, title: str, *, parent: Path | None = None, watermarked: bool = False,
                       options: Options = GALLERY) -> Record:
    """The record of a file re-written from the library: what its studio JSON says; for an edit the
    library file (with its own manifest naming the init image) is the parent."""
    studio = studio or {}
    params = studio.get("params") or {}
    mode = params.get("mode", "txt2img")
    ingredients: tuple[Ingredient, ...] = ()
    if mode != "txt2img" and parent is not None and options.metadata:
        try:
            data = parent.read_bytes()
            ingredients = (Ingredient("the library's copy", data, container_of(data)),)
        except (OSError, ValueError):
            ingredients = ()
    return Record(
        source_type=source_type_for(mode),
        model_name=str(studio.get("model_name") or ""),
        model_hash=str(studio.get("model_hash") or ""),
        title=title,
        ingredients=ingredients,
        watermarked=watermarked,
        params=dict(params) if (options.c2pa_params and options.metadata and params) else None,
    )


# -- bytes -------------------------------------------------------------------------------


def has_manifest(data: bytes) -> bool:
    """True when ``data`` already carries an embedded C2PA manifest store (JUMBF)."""
    try:
        kind = container_of(data)
    except ValueError:
        return False
    if kind == "png":
        return b"caBX" in data
    return b"jumb" in data and b"c2pa" in data


def seal(data: bytes, fmt: str, record: Record, options: Options) -> bytes:
    """Add the XMP digital source type, then sign (the last step). ``Keep.NOTHING`` returns ``data``."""
    if options.keep is Keep.NOTHING:
        return data
    data = set_source_type(data, record.source_type)
    if options.sign and c2pa_signing.available():
        data = c2pa_signing.sign(data, fmt, record)
    elif options.sign:
        log.warning("c2pa-python is not installed: %s written without Content Credentials", record.title)
    return data


def encode_generated(img: GeneratedImage, fmt: str, title: str, options: Options, *, quality: int = 95,
                     pixels: np.ndarray | None = None) -> tuple[bytes, list[str]]:
    """A fresh generation as file bytes with everything ``options`` asks for; also the notes to show."""
    from studio.engine import metadata

    notes = []
    if options.keep is Keep.NOTHING:
        notes.append(STRIP_ALL_WARNING)
    marked_pixels, marked, note = mark(img.image if pixels is None else pixels, options, fmt)
    if note:
        notes.append(note)
    if options.metadata:
        data = metadata.encode_image(marked_pixels, fmt, metadata.a1111_parameters(img), metadata.studio_metadata(img),
                                     quality=quality)
    else:
        data = metadata.encode_image(marked_pixels, fmt, strip=True, quality=quality)
    marked, note = confirm_mark(data, fmt, marked)
    if note:
        notes.append(note)
    record = record_for(img, title, watermarked=marked, options=options)
    return seal(data, fmt, record, options), notes


def sealed_copy(data: bytes, fmt: str, studio: dict | None, title: str, options: Options) -> bytes:
    """A library file copied as is: already signed stays untouched, an older unsigned one is sealed."""
    if options.keep is not Keep.ALL or has_manifest(data):
        return data
    return seal(data, fmt, record_from_studio(studio, title), replace(options, watermark=False))
