"""File names for exports: a template filled from an image, safe on Windows, macOS and Linux.

Whatever the prompt holds (``../../etc``, ``CON``, control characters, 1,000
characters, emoji), :func:`safe_filename` returns one plain file name: no
separators, no reserved device names, no trailing dots or spaces, at most
:data:`MAX_NAME_BYTES` UTF-8 bytes, never empty, never hidden.
"""

from __future__ import annotations

import re
import string
import time
import unicodedata
from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError

DEFAULT_TEMPLATE = "{date}-{seed}-{prompt}"
FIELDS = ("date", "time", "datetime", "seed", "prompt", "negative", "model", "id", "steps", "cfg", "sampler", "width", "height", "index")
# 255 bytes is the limit on ext4/APFS/NTFS (NTFS counts UTF-16 units); stay well below
# so a "-2" suffix and the extension always fit.
MAX_NAME_BYTES = 150
MAX_FIELD_CHARS = 80

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {f"{p}{i}" for p in ("COM", "LPT") for i in list("123456789") + ["¹", "²", "³"]}
_FORBIDDEN = set('<>:"/\\|?*') | {chr(i) for i in range(32)} | {"\x7f"}


class TemplateError(StudioError, ValueError):
    """The export file-name template has an unknown or malformed field."""


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text))
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in _FORBIDDEN or cat in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(" ")
        elif cat == "Cf" and ch not in ("\u200d", "\ufe0f"):  # keep emoji joiners/selectors
            continue
        else:
            out.append(ch)
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    text = re.sub(r"\.{2,}", ".", text)  # no '..' anywhere
    return text


def _truncate_bytes(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut between grapheme-ish units, never inside a character."""
    if len(text.encode("utf-8")) <= limit:
        return text
    out = ""
    for ch in text:
        if len((out + ch).encode("utf-8")) > limit:
            break
        out += ch
    # Do not end on a joiner, variation selector or combining mark (a half emoji).
    while out and (out[-1] in ("\u200d", "\ufe0f") or unicodedata.combining(out[-1])):
        out = out[:-1]
    return out


def _field_text(value: Any) -> str:
    text = _clean("" if value is None else value)
    text = re.sub(r"^[\s.]+|[\s.]+$", "", text)  # "../../etc" -> "etc"
    text = re.sub(r"(?:\s*\.\s+)+", " ", text)  # leftover ". ." runs between words
    return _truncate_bytes(text, MAX_FIELD_CHARS * 2)[:MAX_FIELD_CHARS].strip()


def template_fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"The file-name template {template!r} is malformed: {exc}.") from None
    names = []
    for _literal, name, spec, conv in parsed:
        if name is None:
            continue
        if name in FIELDS and (conv or spec):
            extra = f"!{conv}" if conv else f":{spec}"
            raise TemplateError(
                f"The field {{{name}{extra}}} in the file-name template has a {'conversion' if conv else 'format spec'} "
                f"({extra}); write plain {{{name}}}."
            )
        if name not in FIELDS:
            raise TemplateError(
                f"Unknown field {{{name}}} in the file-name template; use any of: "
                + ", ".join("{" + f + "}" for f in FIELDS)
                + "."
            )
        names.append(name)
    return names


def fields_for(entry: Any, index: int = 0) -> dict[str, str]:
    created = getattr(entry, "created", None)
    created = time.time() if created is None else float(created)
    tm = time.localtime(created)
    cfg = getattr(entry, "cfg_scale", None)
    return {
        "date": time.strftime("%Y-%m-%d", tm),
        "time": time.strftime("%H%M%S", tm),
        "datetime": time.strftime("%Y-%m-%d_%H%M%S", tm),
        "seed": "" if getattr(entry, "seed", None) is None else str(entry.seed),
        "prompt": getattr(entry, "prompt", "") or "",
        "negative": getattr(entry, "negative_prompt", "") or "",
        "model": getattr(entry, "model", "") or "",
        "id": str(getattr(entry, "id", "") or ""),
        "steps": "" if getattr(entry, "steps", None) is None else str(entry.steps),
        "cfg": "" if cfg is None else (str(int(cfg)) if float(cfg).is_integer() else str(cfg)),
        "sampler": getattr(entry, "sampler", "") or "",
        "width": str(getattr(entry, "width", "") or ""),
        "height": str(getattr(entry, "height", "") or ""),
        "index": str(index),
    }


def safe_filename(stem: str, extension: str = "", *, fallback: str = "image") -> str:
    """Make ``stem + extension`` a valid single file name on every desktop OS."""
    ext = _clean(extension).replace(" ", "")
    if ext and not ext.startswith("."):
        ext = "." + ext
    ext = _truncate_bytes(ext, 16)
    name = _clean(stem)
    name = name.lstrip(".- ")  # no hidden files, nothing that reads like a command-line option
    name = _truncate_bytes(name, MAX_NAME_BYTES - len(ext.encode("utf-8")))
    name = name.rstrip(". ")  # Windows drops trailing dots and spaces
    if not name:
        name = fallback
    base = name.split(".")[0].strip().upper()
    if base in _WINDOWS_RESERVED:
        name = "_" + name
    return name + ext


def render_template(template: str, entry: Any, extension: str, *, index: int = 0) -> str:
    """Fill ``template`` from an entry and return a safe file name with ``extension``."""
    names = template_fields(template)
    values = fields_for(entry, index)
    filled = template.format(**{n: _field_text(values[n]) for n in names})
    fallback = f"image-{values['id'] or index}"
    return safe_filename(filled, extension, fallback=fallback)


def unique_name(name: str, taken: set[str], folder: Path | None = None) -> str:
    """``name``, or ``name-2``, ``name-3``... when taken (case-insensitively) or present in ``folder``."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate = name
    n = 2
    while candidate.lower() in taken or (folder is not None and (folder / candidate).exists()):
        candidate = f"{stem}-{n}{dot}{ext}"
        n += 1
    taken.add(candidate.lower())
    return candidate


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing anything that would land outside ``folder``."""
    target = (folder / name).resolve()
    base = folder.resolve()
    if target.parent != base:
        raise StudioError(f"Refusing to write outside {base}: {name!r}")
    return target
