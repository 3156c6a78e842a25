"""What a file says about where it came from: C2PA state, IPTC source type, watermark, A1111 parameters.

C2PA states: ``trusted`` (valid, signed by a certificate chaining to this
install's root or a configured anchor), ``valid`` (intact, signer not known
here), ``broken`` (the signature or the hashes no longer match: changed after
signing), ``none`` (no Content Credentials). Reading never goes online.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine.provenance import credentials, watermark
from studio.engine.provenance.source_type import IPTC_BASE, read_source_type


@dataclass
class Report:
    path: str
    c2pa: str = "none"  # trusted / valid / broken / none / unavailable
    signer: str | None = None
    issuer: str | None = None
    actions: list[str] = field(default_factory=list)
    ingredients: list[str] = field(default_factory=list)
    generator: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    source_type: str | None = None
    watermark: str = "not checked"  # found / not found / not checked (...)
    watermark_bits: int | None = None
    a1111_parameters: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ai_made(self) -> bool:
        """True when anything in the file says it was made or changed by an AI model."""
        if self.source_type and "Algorithmic" in self.source_type:
            return True
        return self.watermark == "found" or self.c2pa in ("trusted", "valid") and bool(self.generator)

    def badge(self) -> tuple[str, str]:
        """``(level, text)`` for a one-line badge; level is ok, warn or none."""
        if self.c2pa == "broken":
            return "warn", "⚠ Content Credentials broken: changed after signing"
        kind = "AI-made" if self.ai_made else "no AI source type"
        if self.source_type and "composite" in self.source_type:
            kind = "AI-edited"
        if self.c2pa == "trusted":
            return "ok", f"✓ {kind} · Content Credentials (this install)"
        if self.c2pa == "valid":
            return "ok", f"✓ {kind} · Content Credentials (other signer)"
        if self.ai_made:
            return "none", f"{kind} · no Content Credentials"
        return "none", "No provenance record"

    def lines(self) -> list[str]:
        """The report as short readable lines (``studio verify``, the gallery badge tooltip)."""
        c2pa = {"trusted": "valid, trusted (signed by this install)", "valid": "valid (signer not in the trust list)",
                "broken": "SIGNATURE BROKEN: changed after signing", "none": "none",
                "unavailable": "not checked (c2pa-python is not installed)"}[self.c2pa]
        out = [f"C2PA: {c2pa}"]
        if self.signer:
            out.append(f"  signer: {self.signer}" + (f" ({self.issuer})" if self.issuer else ""))
        if self.actions:
            out.append(f"  actions: {', '.join(self.actions)}")
        if self.ingredients:
            out.append(f"  ingredients: {', '.join(self.ingredients)}")
        if self.generator:
            gen = self.generator
            model = gen.get("model", "?") + (f" [{gen['model_hash']}]" if gen.get("model_hash") else "")
            out.append(f"  generator: {gen.get('name', '?')} {gen.get('version', '')}, model {model}")
        for failure in self.failures[:5]:
            out.append(f"  failure: {failure}")
        short = self.source_type[len(IPTC_BASE):] if self.source_type and self.source_type.startswith(IPTC_BASE) else self.source_type
        out.append(f"IPTC digital source type: {short or 'none'}")
        wm = self.watermark + (f" ({self.watermark_bits}/{watermark.BITS} bits)" if self.watermark_bits is not None else "")
        out.append(f"Invisible watermark: {wm}")
        out.append(f"A1111 parameters: {'present' if self.a1111_parameters else 'none'}")
        return out


def _reader_context(anchors: bytes | None):
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors.decode("ascii", "replace")}
        settings["verify"]["verify_trust"] = True
    return c2pa.Context.from_dict(settings)


def _fill_c2pa(report: Report, data: bytes, mime: str, anchors: bytes | None) -> None:
    try:
        import c2pa
    except ImportError:
        report.c2pa = "unavailable"
        return
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, _reader_context(anchors))
    except c2pa.C2paError as exc:
        report.c2pa = "broken"
        report.failures.append(str(exc).splitlines()[0])
        return
    if reader is None:
        return
    with reader:
        state = (reader.get_validation_state() or "").lower()
        results = reader.get_validation_results() or {}
        manifest = reader.get_active_manifest() or {}
    failures = [f"{f.get('code')}: {f.get('explanation', '')}" for f in (results.get("activeManifest") or {}).get("failure", [])]
    report.failures = failures
    if state == "trusted":
        report.c2pa = "trusted"
    elif state == "valid" and not [f for f in failures if not f.startswith("signingCredential.untrusted")]:
        report.c2pa = "valid"
    else:
        report.c2pa = "broken"
    info = manifest.get("signature_info") or {}
    report.signer, report.issuer = info.get("common_name"), info.get("issuer")
    report.ingredients = [f"{i.get('title', '?')} ({i.get('relationship', '?')})" for i in manifest.get("ingredients", [])]
    for assertion in manifest.get("assertions", []):
        label = assertion.get("label", "")
        if label.startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                name = action.get("action", "?")
                dst = action.get("digitalSourceType", "")
                report.actions.append(name + (f" [{dst.rsplit('/', 1)[-1]}]" if dst else ""))
        elif label == "org.studio.generator":
            report.generator = dict(assertion.get("data") or {})


def _fill_pixels(report: Report, data: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        report.a1111_parameters = "parameters" in im.info or _exif_comment(im)
        pixels = np.asarray(im.convert("RGB"))
    det = watermark.detect(pixels)
    if not det.checked:
        report.watermark = det.note
    else:
        report.watermark = "found" if det.found else "not found"
        report.watermark_bits = det.matching_bits


def _exif_comment(im) -> bool:
    try:
        return bool(im.getexif().get_ifd(0x8769).get(0x9286))
    except Exception:  # noqa: BLE001 - a broken EXIF block is just no parameters
        return False


def verify_bytes(data: bytes, name: str = "<bytes>", *, anchors: bytes | None = None) -> Report:
    """Check ``data``; ``anchors``: PEM trust anchors (default: this install's root, when made)."""
    from studio.engine.provenance.c2pa_signing import MIME
    from studio.engine.provenance.source_type import ContainerError, container_of

    report = Report(path=name)
    try:
        kind = container_of(data)
    except ContainerError as exc:
        report.error = f"{name}: {exc}"
        return report
    if anchors is None:
        anchors = credentials.root_pem()
    _fill_c2pa(report, data, MIME[kind], anchors)
    report.source_type = read_source_type(data)
    try:
        _fill_pixels(report, data)
    except (OSError, ValueError) as exc:
        report.error = f"{name}: the pixels cannot be read ({exc})"
    return report


def verify_file(path: str | Path, *, anchors: bytes | None = None) -> Report:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Report(path=str(path), error=f"Cannot read {path}: {exc.strerror or exc}")
    return verify_bytes(data, str(path), anchors=anchors)
