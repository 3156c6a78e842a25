"""Reading metadata back from any supported tool's file; untrusted files are opened inside Pillow's limits."""

from __future__ import annotations

import html
import json
import re
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from studio.engine.errors import ImageLoadError
from studio.engine.metadata.a1111 import _float, _int, _scheduler_pair, format_a1111, parse_a1111
from studio.engine.metadata.foreign import _from_comfyui, _from_invokeai, _from_invokeai_v2
from studio.engine.metadata.keys import _ASCII_PREFIX, _UNICODE_PREFIX, A1111_CHUNK, EXIF_IFD, STUDIO_CHUNK, USER_COMMENT
from studio.engine.schedulers import SCHEDULERS, from_a1111


@dataclass
class ImageMetadata:
    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    cfg_scale: float | None = None
    sampler: str | None = None
    scheduler: str | None = None  # the studio's scheduler name when known
    width: int | None = None
    height: int | None = None
    model: str | None = None
    model_hash: str | None = None
    source: str = "unknown"  # studio, a1111, comfyui, invokeai, unknown
    format: str = ""  # PNG, JPEG, WEBP
    raw: dict[str, Any] = field(default_factory=dict)
    studio: dict[str, Any] | None = None
    parameters: dict[str, str] = field(default_factory=dict)  # every A1111 key/value

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("raw")
        return out

    def a1111_text(self) -> str:
        """AUTOMATIC1111 text for these parameters (the original text when there was one)."""
        original = self.raw.get(A1111_CHUNK)
        if isinstance(original, str) and original.strip():
            return original
        sampler, schedule = (None, None)
        if self.scheduler:
            sampler, schedule = _scheduler_pair(self.scheduler)
        elif self.sampler:
            sampler = self.sampler
        pairs: list[tuple[str, Any]] = [
            ("Steps", self.steps),
            ("Sampler", sampler),
            ("Schedule type", schedule),
            ("CFG scale", self.cfg_scale),
            ("Seed", self.seed),
            ("Size", f"{self.width}x{self.height}" if self.width and self.height else None),
            ("Model hash", self.model_hash),
            ("Model", self.model),
        ]
        return format_a1111(self.prompt, self.negative_prompt, pairs)

    def to_params(self) -> dict[str, Any]:
        """A GenerationRequest.to_params()-style dict (the exact one for studio images)."""
        if self.studio and isinstance(self.studio.get("params"), dict):
            params = dict(self.studio["params"])
            if self.studio.get("seed") is not None:
                params["seed"] = self.studio["seed"]
            return params
        params: dict[str, Any] = {"prompt": self.prompt, "negative_prompt": self.negative_prompt}
        if self.scheduler:
            params["scheduler"] = self.scheduler
        for name in ("steps", "cfg_scale", "seed", "width", "height"):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        if params.get("seed") is not None and not 0 <= params["seed"] <= 2**32 - 1:
            params.pop("seed")  # e.g. ComfyUI's 64-bit seeds: no equivalent here
        if self.model:
            params["model"] = self.model
        if self.parameters.get("VAE"):  # A1111's VAE file name; Reuse finds it in models/VAE
            params["vae"] = self.parameters["VAE"]
        strength = self.parameters.get("Denoising strength")
        if strength:
            try:
                params["strength"] = float(strength)
            except ValueError:
                pass
        return params


def _from_a1111_text(md: ImageMetadata, text: str) -> None:
    parsed = parse_a1111(text)
    md.prompt = parsed.pop("prompt")
    md.negative_prompt = parsed.pop("negative_prompt")
    md.parameters = {k: str(v) for k, v in parsed.items()}
    md.seed = _int(parsed.get("Seed"))
    md.steps = _int(parsed.get("Steps"))
    md.cfg_scale = _float(parsed.get("CFG scale"))
    sampler = parsed.get("Sampler")
    if sampler:
        md.sampler = sampler
        md.scheduler = from_a1111(sampler, parsed.get("Schedule type", "") if parsed.get("Schedule type") != "Automatic" else "")
    size = parsed.get("Size", "")
    m = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", size)
    if m:
        md.width, md.height = int(m.group(1)), int(m.group(2))
    md.model = parsed.get("Model") or None
    md.model_hash = parsed.get("Model hash") or None


def _from_studio(md: ImageMetadata, data: dict) -> None:
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    md.studio = data
    md.prompt = str(params.get("prompt", md.prompt) or "")
    md.negative_prompt = str(params.get("negative_prompt", md.negative_prompt) or "")
    md.seed = _int(data.get("seed", params.get("seed")))
    md.steps = _int(params.get("steps"))
    md.cfg_scale = _float(params.get("cfg_scale"))
    scheduler = params.get("scheduler")
    if isinstance(scheduler, str):
        md.scheduler = scheduler if scheduler in SCHEDULERS else None
        md.sampler = scheduler
    md.width = _int(params.get("width")) or md.width
    md.height = _int(params.get("height")) or md.height
    md.model = data.get("model_name") or params.get("model") or md.model
    md.model_hash = data.get("model_hash") or md.model_hash
    md.source = "studio"


def _decode_user_comment(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip("\x00") or None
    if not isinstance(value, (bytes, bytearray)):
        return None
    raw = bytes(value)
    if raw.startswith(_UNICODE_PREFIX):
        body = raw[len(_UNICODE_PREFIX) :]
        # piexif/A1111 write UTF-16BE; some writers follow the TIFF byte order (LE).
        candidates = []
        for enc in ("utf-16-be", "utf-16-le"):
            try:
                candidates.append(body.decode(enc))
            except UnicodeDecodeError:
                continue
        if not candidates:
            return None
        return max(candidates, key=lambda s: sum(ch.isascii() for ch in s)).strip("\x00") or None
    if raw[:8] in (_ASCII_PREFIX, b"\x00" * 8):
        raw = raw[8:]
    try:
        return raw.decode("utf-8").strip("\x00") or None
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip("\x00") or None


_XMP_RE = re.compile(r"<studio:params>(.*?)</studio:params>", re.S)


def _json_obj(text: Any) -> dict | None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str) or len(text) > PngImagePlugin.MAX_TEXT_CHUNK * 4:
        return None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _open_untrusted(source: Any) -> Image.Image:
    name = str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(source)
    except FileNotFoundError:
        raise ImageLoadError(f"No such image: {name}") from None
    except IsADirectoryError:
        raise ImageLoadError(f"{name} is a folder, not an image.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(f"{name} is too large to open safely (more than {Image.MAX_IMAGE_PIXELS} pixels).") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{name} is not an image Studio can read (or the file is damaged).") from None
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        raise ImageLoadError(f"Could not read {name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return im


def read_metadata(path: str | Path, *, verify: bool = False) -> ImageMetadata:
    """Read generation metadata from a PNG, JPEG or WebP file of any supported tool.

    ``verify`` also decodes the pixels, so a truncated file is reported too.
    """
    path = Path(path)
    im = _open_untrusted(path)
    try:
        with im:
            md = ImageMetadata(width=im.width, height=im.height, format=im.format or "")
            try:
                info = dict(im.info)
                if im.format == "PNG":
                    needs_tail = not any(k in info for k in (A1111_CHUNK, STUDIO_CHUNK, "prompt", "invokeai_metadata"))
                    if needs_tail or verify:
                        im.load()  # text chunks after the pixels
                        info.update(im.info)
                elif verify:
                    im.load()
                exif_comment = None
                if im.format in ("JPEG", "WEBP", "MPO"):
                    try:
                        exif_comment = im.getexif().get_ifd(EXIF_IFD).get(USER_COMMENT)
                    except Exception:  # noqa: BLE001 - a broken EXIF block is just no metadata
                        exif_comment = None
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageLoadError(f"{path} is too large to open safely.") from None
            except (OSError, ValueError, SyntaxError, zlib.error, EOFError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ImageLoadError(f"Could not read {path}: {first}") from None
    except ImageLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a broken file to the user
        raise ImageLoadError(f"Could not read {path}: {type(exc).__name__}") from None

    raw: dict[str, Any] = {}
    for key in (A1111_CHUNK, STUDIO_CHUNK, "prompt", "workflow", "invokeai_metadata", "invokeai_graph", "invokeai_workflow", "sd-metadata", "Dream"):
        value = info.get(key)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            raw[key] = value
    comment = _decode_user_comment(exif_comment)
    if comment and A1111_CHUNK not in raw:
        raw[A1111_CHUNK] = comment
    if STUDIO_CHUNK not in raw and isinstance(info.get("xmp"), (bytes, str)):
        xmp = info["xmp"].decode("utf-8", "replace") if isinstance(info["xmp"], bytes) else info["xmp"]
        m = _XMP_RE.search(xmp)
        if m:
            raw[STUDIO_CHUNK] = html.unescape(m.group(1))
    md.raw = raw

    studio = _json_obj(raw.get(STUDIO_CHUNK))
    if raw.get(A1111_CHUNK):
        _from_a1111_text(md, raw[A1111_CHUNK])
        md.source = "a1111"
    if studio and studio.get("format") == "studio":
        _from_studio(md, studio)
        return md
    if md.source == "a1111":
        return md
    invoke = _json_obj(raw.get("invokeai_metadata"))
    if invoke:
        _from_invokeai(md, invoke)
        return md
    comfy = _json_obj(raw.get("prompt"))
    if comfy:
        _from_comfyui(md, comfy)
        return md
    legacy = _json_obj(raw.get("sd-metadata"))
    if legacy:
        _from_invokeai_v2(md, legacy)
        return md
    return md


def format_readable(md: ImageMetadata) -> str:
    """A human-readable listing for ``studio info``."""
    rows: list[tuple[str, Any]] = [
        ("Source", md.source),
        ("Prompt", md.prompt),
        ("Negative prompt", md.negative_prompt),
        ("Seed", md.seed),
        ("Steps", md.steps),
        ("CFG scale", md.cfg_scale),
        ("Sampler", md.sampler),
        ("Scheduler", md.scheduler),
        ("Size", f"{md.width}x{md.height}" if md.width and md.height else None),
        ("Model", md.model),
        ("Model hash", md.model_hash),
    ]
    skip = {"Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "Model hash"}
    rows += [(k, v) for k, v in md.parameters.items() if k not in skip]
    if md.studio:
        params = md.studio.get("params") or {}
        for key in ("mode", "strength", "inpaint_area", "mask_blur"):
            if key in params and (params.get("mode") != "txt2img" or key == "mode"):
                rows.append((key.replace("_", " ").capitalize(), params[key]))
        if md.studio.get("version"):
            rows.append(("Made by", md.studio["version"]))
    width = max(len(k) for k, v in rows if v not in (None, ""))
    lines = []
    for key, value in rows:
        if value in (None, ""):
            continue
        text = str(value).replace("\n", "\n" + " " * (width + 2))
        lines.append(f"{key + ':':<{width + 1}} {text}")
    return "\n".join(lines)
