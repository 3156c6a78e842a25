"""Hostile inputs for every metadata reader: the corpus, its mutations, and one pass over them.

Used by the test suite (10,000 inputs) and ``studio bench --only metadata``
(100,000). An input passes when :func:`read_metadata`, :func:`format_readable`
and strict JSON of the result raise nothing but the project's own
:class:`~studio.engine.errors.ImageLoadError`, and no reader reports an
internal failure.
"""

from __future__ import annotations

import io
import json
import random
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from studio.engine.errors import ImageLoadError
from studio.engine.metadata.exif import user_comment_exif
from studio.engine.metadata.readable import format_readable
from studio.engine.metadata.reading import read_metadata
from studio.engine.metadata.registry import INTERNAL_NOTE


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with(texts: dict[str, str], size: tuple[int, int] = (8, 8), exif: bytes | None = None) -> bytes:
    """A tiny PNG with the given text chunks (tEXt when Latin-1, else iTXt) and an optional eXIf chunk."""
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(buf, "PNG")
    png = buf.getvalue()
    chunks = b""
    for key, value in texts.items():
        try:
            chunks += png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogatepass")
            chunks += png_chunk(b"iTXt", key.encode("latin-1", "replace") + b"\0\0\0\0\0" + raw)
    if exif is not None:
        chunks += png_chunk(b"eXIf", exif)
    return png[:33] + chunks + png[33:]


def image_with_exif(fmt: str, exif: bytes | None = None, xmp: bytes | None = None) -> bytes:
    """A tiny JPEG or WebP carrying the raw EXIF block (with ``Exif\\0\\0``) and/or XMP packet."""
    buf = io.BytesIO()
    kwargs = {}
    if exif is not None:
        kwargs["exif"] = exif
    if xmp is not None:
        kwargs["xmp"] = xmp
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, fmt, **kwargs)
    return buf.getvalue()


def _graph(rng: random.Random) -> dict:
    kinds = ["KSampler", "SamplerCustomAdvanced", "CLIPTextEncode", "ConditioningCombine", "RandomNoise", "CFGGuider", "BasicScheduler", "EmptyLatentImage", "CheckpointLoaderSimple"]
    n = rng.randint(1, 40)
    graph: dict = {}
    for i in range(n):
        inputs: dict = {}
        for key in rng.sample(["seed", "noise_seed", "steps", "cfg", "text", "positive", "negative", "conditioning_1", "conditioning_2", "guider", "noise", "sigmas", "sampler", "latent_image", "width", "height", "ckpt_name", "model", "sampler_name", "scheduler", "denoise"], rng.randint(0, 8)):
            inputs[key] = rng.choice([[str(rng.randrange(n + 2)), rng.randrange(3)], 2**64 - 1, -1, 1e308, "x", {"a": 1}, None, [1, 2, 3], "karras", True])
        graph[str(i)] = {"class_type": rng.choice(kinds), "inputs": inputs}
    return graph


def hostile_text(rng: random.Random) -> str:
    """One hostile metadata text: wrong types, out-of-range numbers, loops, huge nesting, bad XML..."""
    pick = rng.randrange(12)
    if pick == 0:
        return f"a cat\nSteps: {rng.choice(['1e308', '-5', 'nan', '20'])}, Sampler: Euler a, CFG scale: {rng.choice(['inf', '-Infinity', 'NaN', '7'])}, Seed: {rng.choice(['99999999999999999999999', str(2**64 - 1), '-1'])}, Size: {rng.choice(['128x-1', '0x0', '99999999x5', '512x512'])}"
    if pick == 1:
        return json.dumps(_graph(rng))
    if pick == 2:
        return json.dumps({"sui_image_params": {"prompt": {"x": 1}, "seed": 2**70, "cfgscale": "nan", "width": [1]}})
    if pick == 3:
        return "[" * rng.randint(1, 5000) + "]" * rng.randint(0, 5000)
    if pick == 4:
        return '{"prompt": "\\ud800 lone", "uc": "\\udfff", "scale": 1e999, "seed": -3, "v4_prompt": {"caption": 5}}'
    if pick == 5:
        return "<studio:params>" * rng.randint(1, 8000)
    if pick == 6:
        return '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb"><!ENTITY c "&b;&b;&b;&b;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&c;</x:xmpmeta>'
    if pick == 7:
        return json.dumps({"format": "studio", "params": rng.choice(["a string", [1, 2], None, {"mode": [1], "strength": "x", "prompt": 5}]), "seed": 2**80})
    if pick == 8:
        return json.dumps({"model": {"name": {"deep": 1}}, "positive_prompt": ["list"], "seed": "12", "steps": 1e20, "loras": [{"model": 5}, 7]})
    if pick == 9:
        return '"a prompt [neg" -s 1e9 -S x -W -1 -A'
    if pick == 10:
        return json.dumps({"prompt": {"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "seed": ["1", 0]}}}})
    return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randint(0, 300)))


_KEYS = ["parameters", "studio", "prompt", "workflow", "invokeai_metadata", "sd-metadata", "Dream", "Comment", "Description", "Software", "negative_prompt", "fooocus_scheme", "XML:com.adobe.xmp"]


def corpus(rng: random.Random, extra: list[bytes] | None = None) -> list[bytes]:
    """The files mutations start from: every container and text layout, plus ``extra`` (real files)."""
    files = [png_with({key: hostile_text(rng)}) for key in _KEYS for _ in range(3)]
    files += [png_with({}, exif=b"Exif\0\0" + user_comment_exif(hostile_text(rng))) for _ in range(5)]
    for fmt in ("JPEG", "WEBP"):
        files += [image_with_exif(fmt, b"Exif\0\0" + user_comment_exif(hostile_text(rng))) for _ in range(5)]
        exif = Image.Exif()
        exif[0x0110] = "prompt:" + json.dumps(_graph(rng))
        exif[0x010F] = "Workflow: " + hostile_text(rng)[:2000]
        files.append(image_with_exif(fmt, exif.tobytes()))
        files.append(image_with_exif(fmt, xmp=hostile_text(rng).encode("utf-8", "replace")))
    return files + list(extra or [])


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One random change: flipped bytes, a cut, an insertion, a repeated slice, or a new hostile text chunk."""
    kind = rng.randrange(6)
    buf = bytearray(data)
    if kind == 0 and buf:
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif kind == 1 and buf:
        del buf[rng.randrange(len(buf)) :]
    elif kind == 2:
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 3 and len(buf) > 8:
        a = rng.randrange(len(buf))
        b = min(len(buf), a + rng.randint(1, 400))
        buf[b:b] = buf[a:b] * rng.randint(1, 5)
    elif kind == 4 and data.startswith(b"\x89PNG"):
        key = rng.choice(_KEYS).encode()
        chunk = png_chunk(b"tEXt", key + b"\0" + hostile_text(rng).encode("utf-8", "surrogatepass"))
        buf[33:33] = chunk
    else:
        return png_with({rng.choice(_KEYS): hostile_text(rng)})
    return bytes(buf)


@dataclass
class FuzzStats:
    inputs: int = 0
    clean_errors: int = 0
    crashes: list[str] = field(default_factory=list)
    max_seconds: float = 0.0
    total_seconds: float = 0.0


def check_one(path: Path, stats: FuzzStats) -> None:
    """Read one file through every reader and the listing; record anything but a clean error."""
    start = time.perf_counter()
    try:
        md = read_metadata(path)
        format_readable(md)
        json.dumps(md.to_json(), allow_nan=False).encode("utf-8")
        md.a1111_text().encode("utf-8")
        bad = [n for n in md.notes if n.startswith(INTERNAL_NOTE)]
        if bad:
            stats.crashes.append(bad[0])
    except ImageLoadError as exc:
        stats.clean_errors += 1
        if "\n" in str(exc):
            stats.crashes.append(f"multi-line error: {exc!r}")
    except Exception as exc:  # noqa: BLE001 - this is what the fuzz looks for
        stats.crashes.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    spent = time.perf_counter() - start
    stats.inputs += 1
    stats.total_seconds += spent
    stats.max_seconds = max(stats.max_seconds, spent)


def run_fuzz(n: int, workdir: Path, *, seed: int = 15, extra: list[bytes] | None = None) -> FuzzStats:
    """``n`` mutated inputs through every reader; the failures and timings."""
    rng = random.Random(seed)
    base = corpus(rng, extra)
    stats = FuzzStats()
    path = Path(workdir) / "fuzz.png"
    for i in range(n):
        data = base[i % len(base)] if i < len(base) else mutate(rng, rng.choice(base))
        path.write_bytes(data)
        check_one(path, stats)
    return stats
