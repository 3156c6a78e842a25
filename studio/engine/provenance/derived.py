"""Provenance of images made from another image by a tool: upscaling, style transfer.

The result names its source as the C2PA parent ingredient (``c2pa.opened`` +
``c2pa.edited``) and, for style transfer, the style image as a component. Its
IPTC digital source type: an upscale of a wholly AI-made image stays
``trainedAlgorithmicMedia``; everything else (an upscaled photo, any style
transfer) is ``compositeWithTrainedAlgorithmicMedia``.
"""

from __future__ import annotations

import logging

from studio.engine.provenance.c2pa_signing import Ingredient, Record
from studio.engine.provenance.sealing import GALLERY, Options, seal
from studio.engine.provenance.source_type import COMPOSITE, TRAINED, container_of, read_source_type

log = logging.getLogger(__name__)


def derived_source_type(parent: bytes | None, *, keeps_content: bool, parent_trained: bool | None = None) -> str:
    """TRAINED only when the tool keeps the content (an upscale) and the parent is wholly AI-made (as
    ``parent_trained`` says, else as the parent's own XMP says)."""
    if keeps_content and parent_trained is not None:
        return TRAINED if parent_trained else COMPOSITE
    if keeps_content and parent:
        try:
            if read_source_type(parent) == TRAINED:
                return TRAINED
        except ValueError:
            pass
    return COMPOSITE


def _ingredient(title: str, data: bytes | None, relationship: str) -> tuple[Ingredient, ...]:
    if not data:
        return ()
    try:
        return (Ingredient(title, data, container_of(data), relationship=relationship),)
    except ValueError:  # not PNG/JPEG/WebP bytes: the manifest cannot embed it
        log.info("provenance: %s is not a PNG, JPEG or WebP file; not named in the manifest", title)
        return ()


def seal_derived(data: bytes, fmt: str, *, tool: str, title: str, parent: bytes | None, parent_title: str = "source image",
                 component: bytes | None = None, component_title: str = "style image", keeps_content: bool = False,
                 parent_trained: bool | None = None, watermarked: bool = False, options: Options = GALLERY) -> bytes:
    """``data`` (the tool's encoded result) with the XMP source type and Content Credentials naming its sources."""
    record = Record(
        source_type=derived_source_type(parent, keeps_content=keeps_content, parent_trained=parent_trained),
        model_name=tool,
        title=title,
        ingredients=_ingredient(parent_title, parent, "parentOf") + _ingredient(component_title, component, "componentOf"),
        watermarked=watermarked,
    )
    return seal(data, fmt, record, options)
