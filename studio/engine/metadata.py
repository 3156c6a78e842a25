"""Generation metadata: write it into images, read it back from any of the common tools.

Written by the studio:

* PNG: a text chunk ``parameters`` in the AUTOMATIC1111 layout (so every other
  tool understands it) and a chunk ``studio`` holding the complete JSON needed
  to reproduce the image exactly (tEXt, or iTXt when the text is not Latin-1).
* JPEG/WebP: the same AUTOMATIC1111 text in EXIF ``UserComment`` (unicode) and
  the studio JSON in an XMP packet (``studio:params``).

Read back (:func:`read_metadata`): files from this studio, AUTOMATIC1111/Forge,
ComfyUI (API ``prompt`` graph) and InvokeAI (``invokeai_metadata``). Untrusted
files are read inside Pillow's limits; a broken file raises
:class:`~studio.engine.errors.ImageLoadError` with a one-line message.

Qt-free.
"""

from __future__ import annotations

import html
import io
import json
import re
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from studio import __version__
from studio.engine.errors import ImageLoadError
from studio.engine.events import GeneratedImage
from studio.engine.schedulers import SCHEDULERS, from_a1111, resolve_name

STUDIO_CHUNK = "studio"
A1111_CHUNK = "parameters"
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
_UNICODE_PREFIX = b"UNICODE\x00"
_ASCII_PREFIX = b"ASCII\x00\x00\x00"
_XMP_NS = "https://studio.invalid/ns/1.0/"
# A JPEG APP1 segment holds at most 64 KiB; keep a margin for the XMP wrapper.
_MAX_XMP_BYTES = 60_000

FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def studio_version() -> str:
    return f"studio {__version__}"


# ---------------------------------------------------------------------------------
# Writing: the AUTOMATIC1111 text
# ---------------------------------------------------------------------------------


def _fmt_number(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _a1111_value(value: Any) -> str:
    text = _fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    if any(ch in text for ch in ",:\n\r") or (text.startswith('"') and text.endswith('"') and len(text) > 1):
        return json.dumps(text, ensure_ascii=False)
    return text


def format_a1111(prompt: str, negative_prompt: str, pairs: list[tuple[str, Any]]) -> str:
    """The AUTOMATIC1111 ``parameters`` text from a prompt, a negative and ordered key/value pairs."""
    lines = [prompt or ""]
    if negative_prompt:
        lines.append(f"Negative prompt: {negative_prompt}")
    rendered = [f"{key}: {_a1111_value(value)}" for key, value in pairs if value is not None and value != ""]
    lines.append(", ".join(rendered))
    return "\n".join(lines)


def _scheduler_pair(name: str) -> tuple[str, str]:
    try:
        spec = resolve_name(name)
    except Exception:  # an unknown name from an old file: write it as is
        return name, "Automatic"
    return spec.a1111_sampler or spec.name, spec.a1111_schedule


def a1111_parameters(img: GeneratedImage) -> str:
    """The image's parameters in the exact AUTOMATIC1111 layout (see DESIGN.md)."""
    req = img.request
    sampler, schedule = _scheduler_pair(req.scheduler)
    pairs: list[tuple[str, Any]] = [
        ("Steps", req.steps),
        ("Sampler", sampler),
        ("Schedule type", schedule),
        ("CFG scale", req.cfg_scale),
        ("Seed", img.seed),
        ("Size", f"{img.width}x{img.height}"),
        ("Model hash", img.model_hash or None),
        ("Model", img.model_name or None),
    ]
    mode = req.mode.value
    if mode in ("img2img", "inpaint"):
        pairs.append(("Denoising strength", req.strength))
    if mode == "inpaint":
        pairs += [
            ("Mask blur", req.mask_blur),
            ("Inpaint area", "Only masked" if req.inpaint_area.value == "only_masked" else "Whole picture"),
            ("Masked area padding", req.inpaint_padding),
            ("Masked content", "original" if req.masked_content.value == "original" else "latent noise"),
        ]
    if req.batch_size > 1:
        pairs.append(("Batch size", req.batch_size))
    pairs.append(("Version", studio_version()))
    return format_a1111(req.prompt, req.negative_prompt, pairs)


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


# ---------------------------------------------------------------------------------
# Writing: files
# ---------------------------------------------------------------------------------


def _user_comment(text: str) -> bytes:
    # The piexif/AUTOMATIC1111 convention: "UNICODE\0" then UTF-16 big-endian.
    return _UNICODE_PREFIX + text.encode("utf-16-be")


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
) -> bytes:
    """Encode pixels as PNG, JPEG or WebP with the metadata (or none with ``strip``).

    ``text`` is the AUTOMATIC1111 text, ``studio_json`` the studio dict (or its
    JSON). ``extra_png_chunks`` keeps other tools' chunks (ComfyUI ``workflow``...)
    in PNG output.
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
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    kwargs: dict[str, Any] = {"quality": quality}
    if not strip:
        if text:
            exif = Image.Exif()
            exif.get_ifd(EXIF_IFD)[USER_COMMENT] = _user_comment(text)
            kwargs["exif"] = exif.tobytes()
        if studio_json:
            packet = _xmp_packet(studio_json)
            if len(packet) <= _MAX_XMP_BYTES:
                kwargs["xmp"] = packet
    if pil_format == "WEBP":
        kwargs["method"] = 4
    im.save(out, pil_format, **kwargs)
    return out.getvalue()


def encode_png(img: GeneratedImage) -> bytes:
    """The image as PNG with the ``parameters`` and ``studio`` chunks."""
    return encode_image(img, "png", a1111_parameters(img), studio_metadata(img))


# ---------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------


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
        strength = self.parameters.get("Denoising strength")
        if strength:
            try:
                params["strength"] = float(strength)
            except ValueError:
                pass
        return params


_PAIR_RE = re.compile(r'\s*([\w][\w \-/+().\[\]]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            decoded = json.loads(value)
            if isinstance(decoded, str):
                return decoded
        except json.JSONDecodeError:
            pass
    return value


def _parse_pairs(line: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        m = _PAIR_RE.match(line, pos)
        if not m or m.end() == pos:
            break
        out[m.group(1).strip()] = _unquote(m.group(2))
        pos = m.end()
    return out


def parse_a1111(text: str) -> dict[str, Any]:
    """Split AUTOMATIC1111 text into ``prompt``, ``negative_prompt`` and the parameter pairs.

    The last line counts as parameters only when it holds at least 3 pairs;
    JSON-quoted values are unquoted. Pair keys keep the A1111 spelling
    (``Steps``, ``CFG scale``...).
    """
    lines = (text or "").replace("\r\n", "\n").strip("\n").split("\n")
    params: dict[str, str] = {}
    if lines:
        pairs = _parse_pairs(lines[-1].strip())
        if len(pairs) >= 3:
            params = pairs
            lines = lines[:-1]
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    in_negative = False
    for line in lines:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:") :].lstrip(" ")
        (negative_lines if in_negative else prompt_lines).append(line)
    out: dict[str, Any] = {"prompt": "\n".join(prompt_lines).strip(), "negative_prompt": "\n".join(negative_lines).strip()}
    out.update(params)
    return out


def _int(value: Any) -> int | None:
    try:
        if isinstance(value, bool):
            return None
        return int(float(value)) if isinstance(value, (str, float)) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _float(value: Any) -> float | None:
    try:
        return None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


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


_COMFY_SAMPLERS = {
    "euler": "Euler",
    "euler_ancestral": "Euler a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_sde": "DPM++ 2M SDE Karras",
    "ddim": "DDIM",
    "uni_pc": "UniPC",
    "uni_pc_bh2": "UniPC",
    "lms": "LMS",
    "lcm": "LCM",
}


def _comfy_scheduler(sampler: str, schedule: str) -> str | None:
    if sampler == "dpmpp_2m" and schedule == "karras":
        return "DPM++ 2M Karras"
    if sampler == "dpmpp_2m_sde" and schedule != "karras":
        return None
    return _COMFY_SAMPLERS.get(sampler)


def _comfy_text(graph: dict, link: Any, depth: int = 0) -> str:
    """Follow a conditioning link back to the text that made it."""
    if depth > 20 or not (isinstance(link, list) and link):
        return ""
    node = graph.get(str(link[0]))
    if not isinstance(node, dict):
        return ""
    inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
    for key in ("text", "text_g", "prompt", "string", "value"):
        value = inputs.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            found = _comfy_text(graph, value, depth + 1)
            if found:
                return found
    texts = []
    for key in ("conditioning", "conditioning_1", "conditioning_2", "conditioning_to", "conditioning_from", "positive", "negative"):
        if key in inputs:
            found = _comfy_text(graph, inputs[key], depth + 1)
            if found:
                texts.append(found)
    return ", ".join(texts)


def _comfy_value(graph: dict, value: Any, key: str, depth: int = 0) -> Any:
    """A widget value, following a link to a primitive node when there is one."""
    if isinstance(value, list) and value and depth < 10:
        node = graph.get(str(value[0]))
        if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
            inputs = node["inputs"]
            for candidate in (key, "value", "seed", "noise_seed", "int", "float"):
                if candidate in inputs:
                    return _comfy_value(graph, inputs[candidate], key, depth + 1)
        return None
    return value


def _from_comfyui(md: ImageMetadata, graph: dict) -> None:
    samplers = [
        (nid, n)
        for nid, n in graph.items()
        if isinstance(n, dict) and isinstance(n.get("inputs"), dict) and "KSampler" in str(n.get("class_type", ""))
    ]
    if not samplers:
        md.source = "comfyui"
        return
    samplers.sort(key=lambda item: _int(item[0]) if _int(item[0]) is not None else 0)
    _nid, node = samplers[0]
    inputs = node["inputs"]
    md.seed = _int(_comfy_value(graph, inputs.get("seed", inputs.get("noise_seed")), "seed"))
    md.steps = _int(_comfy_value(graph, inputs.get("steps"), "steps"))
    md.cfg_scale = _float(_comfy_value(graph, inputs.get("cfg"), "cfg"))
    sampler = _comfy_value(graph, inputs.get("sampler_name"), "sampler_name")
    schedule = _comfy_value(graph, inputs.get("scheduler"), "scheduler")
    if isinstance(sampler, str):
        md.sampler = sampler if not isinstance(schedule, str) or schedule == "normal" else f"{sampler} {schedule}"
        md.scheduler = _comfy_scheduler(sampler, schedule if isinstance(schedule, str) else "")
    md.prompt = _comfy_text(graph, inputs.get("positive"))
    md.negative_prompt = _comfy_text(graph, inputs.get("negative"))
    for n in graph.values():
        if not isinstance(n, dict) or not isinstance(n.get("inputs"), dict):
            continue
        kind = str(n.get("class_type", ""))
        if "CheckpointLoader" in kind and isinstance(n["inputs"].get("ckpt_name"), str) and not md.model:
            md.model = re.sub(r"\.(safetensors|ckpt|pt|bin)$", "", Path(n["inputs"]["ckpt_name"].replace("\\", "/")).name)
        if kind.startswith("EmptyLatentImage") or kind == "EmptySD3LatentImage":
            md.width = _int(_comfy_value(graph, n["inputs"].get("width"), "width")) or md.width
            md.height = _int(_comfy_value(graph, n["inputs"].get("height"), "height")) or md.height
    md.source = "comfyui"


_INVOKE_SCHEDULERS = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_k": "DPM++ 2M Karras",
    "dpmpp_2m_sde_k": "DPM++ 2M SDE Karras",
    "ddim": "DDIM",
    "unipc": "UniPC",
    "lms": "LMS",
    "lcm": "LCM",
}


def _from_invokeai(md: ImageMetadata, data: dict) -> None:
    md.prompt = str(data.get("positive_prompt") or data.get("prompt") or "")
    md.negative_prompt = str(data.get("negative_prompt") or "")
    md.seed = _int(data.get("seed"))
    md.steps = _int(data.get("steps"))
    md.cfg_scale = _float(data.get("cfg_scale"))
    scheduler = data.get("scheduler")
    if isinstance(scheduler, str):
        md.sampler = scheduler
        md.scheduler = _INVOKE_SCHEDULERS.get(scheduler)
    md.width = _int(data.get("width"))
    md.height = _int(data.get("height"))
    model = data.get("model")
    if isinstance(model, dict):
        md.model = model.get("name") or model.get("model_name")
        md.model_hash = model.get("hash")
    elif isinstance(model, str):
        md.model = model
    md.source = "invokeai"


def _from_invokeai_v2(md: ImageMetadata, data: dict) -> None:
    image = data.get("image") if isinstance(data.get("image"), dict) else {}
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = " ".join(str(p.get("prompt", "")) for p in prompt if isinstance(p, dict))
    md.prompt = str(prompt or "")
    md.seed = _int(image.get("seed"))
    md.steps = _int(image.get("steps"))
    md.cfg_scale = _float(image.get("cfg_scale"))
    if isinstance(image.get("sampler"), str):
        md.sampler = image["sampler"]
        md.scheduler = _INVOKE_SCHEDULERS.get(image["sampler"].removeprefix("k_"))
    md.width = _int(image.get("width"))
    md.height = _int(image.get("height"))
    md.model = data.get("model_weights") or None
    md.model_hash = data.get("model_hash") or None
    md.source = "invokeai"


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


__all__ = [
    "ImageMetadata",
    "a1111_parameters",
    "encode_image",
    "encode_png",
    "format_a1111",
    "format_readable",
    "parse_a1111",
    "read_metadata",
    "studio_metadata",
]
