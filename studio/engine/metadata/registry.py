"""The format readers, in the order they are tried: the first that recognises the file wins.

The studio's own JSON comes first (it is exact); tools whose JSON sits in the
A1111 ``parameters`` key (SwarmUI, Fooocus, Easy Diffusion) come before the
A1111 text reader, which never takes JSON for a prompt; ComfyUI graphs come
after A1111 text, since savers that write both put the resolved values there.
"""

from __future__ import annotations

from collections.abc import Callable

from studio.engine.metadata.formats import (
    a1111_text,
    comfyui,
    drawthings,
    easydiffusion,
    fooocus,
    generic_json,
    invokeai,
    novelai,
    studio_json,
    swarmui,
)
from studio.engine.metadata.model import ImageMetadata
from studio.engine.metadata.sources import Sources

Reader = Callable[[Sources, ImageMetadata], bool]
READERS: list[tuple[str, Reader]] = [
    (m.NAME, m.read)
    for m in (studio_json, invokeai, novelai, swarmui, fooocus, easydiffusion, a1111_text, comfyui, generic_json, drawthings)
]
INTERNAL_NOTE = "internal:"  # prefix of a note saying a reader failed (a bug; the file is still read)


def _fresh(base: ImageMetadata) -> ImageMetadata:
    return ImageMetadata(width=base.width, height=base.height, format=base.format, raw=base.raw, notes=list(base.notes))


def read_sources(src: Sources, base: ImageMetadata) -> ImageMetadata:
    """The metadata of the first reader that recognises ``src``, normalised; ``base`` when none does.

    A reader that raises is reported in ``notes`` (prefixed ``internal:``) and
    the next one is tried, so one unforeseen file never stops a whole import.
    """
    notes: list[str] = []
    for name, reader in READERS:
        trial = _fresh(base)
        try:
            if reader(src, trial):
                trial.notes += notes
                trial.normalise()
                if trial.width is None or trial.height is None:  # no size of its own: the file's
                    trial.width, trial.height = base.width, base.height
                if trial.studio is None:
                    trial.studio = studio_json.postprocess_record(src)
                return trial.normalise()
        except Exception as exc:  # noqa: BLE001 - reported, never raised at a user
            notes.append(f"{INTERNAL_NOTE} the {name} reader failed ({type(exc).__name__}: {str(exc)[:100]})")
    base.notes += notes
    base.studio = base.studio or studio_json.postprocess_record(src)
    return base.normalise()
