"""C2PA Content Credentials: build Studio's manifest and sign encoded image bytes with ``c2pa-python``.

Signing must be the last step: any later re-save changes the bytes the claim
hashes. The manifest records ``c2pa.created`` (txt2img) or ``c2pa.opened`` +
``c2pa.edited`` (an existing image changed) with the IPTC digital source type,
the generator (Studio version, model name and hash), the init image and mask
as ingredients, the invisible watermark (in ``org.studio.generator``), and,
only when asked, the generation parameters.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from studio import __version__
from studio.engine.errors import StudioError
from studio.engine.provenance import credentials
from studio.engine.provenance.source_type import TRAINED

MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
PARAMS_LABEL = "org.studio.generation"
_context_lock = threading.Lock()
_signing_context = None


@dataclass(frozen=True)
class Ingredient:
    """An image the result was made from: the init image (parent) or the mask (component)."""

    title: str
    data: bytes  # encoded PNG/JPEG/WebP
    fmt: str = "png"
    relationship: str = "parentOf"  # or "componentOf"


@dataclass(frozen=True)
class Record:
    """What the manifest says about one image."""

    source_type: str = TRAINED
    model_name: str = ""
    model_hash: str = ""
    title: str = "image.png"
    ingredients: tuple[Ingredient, ...] = ()
    watermarked: bool = False
    params: dict[str, Any] | None = field(default=None, compare=False)  # only when the user wants them in

    @property
    def is_edit(self) -> bool:
        return self.source_type != TRAINED


def available() -> bool:
    try:
        import c2pa  # noqa: F401
    except ImportError:
        return False
    return True


def _context():
    """One Context with offline settings: no thumbnails, no remote manifest fetch, no OCSP."""
    global _signing_context
    import c2pa

    with _context_lock:
        if _signing_context is None:
            _signing_context = c2pa.Context.from_dict(
                {
                    "builder": {"thumbnail": {"enabled": False}},
                    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                }
            )
        return _signing_context


def _agent() -> dict[str, str]:
    return {"name": "Studio", "version": __version__}


def manifest_for(record: Record) -> dict[str, Any]:
    """The manifest definition (JSON-able) for ``record``."""
    generator = {**_agent(), "model": record.model_name or "unknown"}
    if record.model_hash:
        generator["model_hash"] = record.model_hash
    actions: list[dict[str, Any]] = []
    parents = [i for i in record.ingredients if i.relationship == "parentOf"]
    if parents:  # an edit, or a tool's result made from a named image (an upscale keeps its source type)
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["ingredient-0"]}})
        actions.append(
            {
                "action": "c2pa.edited",
                "digitalSourceType": record.source_type,
                "softwareAgent": _agent(),
                "description": f"changed with the AI model {record.model_name or 'unknown'}",
            }
        )
    else:  # txt2img, or an edit whose original is not named (the first action must be created or opened)
        verb = "changed" if record.is_edit else "made"
        actions.append(
            {
                "action": "c2pa.created",
                "digitalSourceType": record.source_type,
                "softwareAgent": _agent(),
                "description": f"{verb} with the AI model {record.model_name or 'unknown'}",
            }
        )
    if record.watermarked:  # not c2pa.watermarked: that action needs a registered soft-binding algorithm
        generator["watermark"] = "invisible-watermark dwtDct"
    assertions: list[dict[str, Any]] = [
        {"label": "c2pa.actions", "data": {"actions": actions}},
        {"label": "org.studio.generator", "data": generator},
    ]
    if record.params is not None:
        assertions.append({"label": PARAMS_LABEL, "data": record.params})
    return {"claim_generator_info": [_agent()], "title": record.title, "assertions": assertions}


def _signer(creds: credentials.Credentials):
    import c2pa

    info = c2pa.C2paSignerInfo(creds.alg.encode(), creds.chain_pem, creds.key_pem, creds.tsa_url)
    return c2pa.Signer.from_info(info)


def sign(data: bytes, fmt: str, record: Record) -> bytes:
    """``data`` (encoded image bytes) with an embedded, signed C2PA manifest for ``record``."""
    import c2pa

    mime = MIME.get(fmt)
    if mime is None:
        raise StudioError(f"Cannot sign {fmt!r} files; use png, jpeg or webp.")
    creds = credentials.load()
    try:
        builder = c2pa.Builder(manifest_for(record), context=_context())
        for n, ing in enumerate(record.ingredients):
            spec = {"title": ing.title, "relationship": ing.relationship, "label": f"ingredient-{n}"}
            builder.add_ingredient(json.dumps(spec), MIME.get(ing.fmt, "image/png"), io.BytesIO(ing.data))
        out = io.BytesIO()
        with _signer(creds) as signer:
            builder.sign(signer, mime, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise StudioError(f"Could not sign the image with C2PA Content Credentials: {exc}") from None
    return out.getvalue()
