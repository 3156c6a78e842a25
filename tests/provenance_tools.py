"""Helpers for the provenance tests: a picture the watermark holds in, a generated image around it,
and tampering that changes one pixel of a signed PNG while keeping its manifest."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest, Mode

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def scene(width: int = 512, height: int = 512) -> np.ndarray:
    """A smooth picture in moderate colours with a disc (flat areas and an edge)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([(x / 2) % 256, (y / 2) % 256, ((x + y) / 4) % 256], axis=-1)
    img[(x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 5) ** 2] = (40, 70, 220)
    return img.astype(np.uint8)


def generated(pixels: np.ndarray, prompt: str = "a blue disc", mode: Mode = Mode.TXT2IMG) -> GeneratedImage:
    h, w = pixels.shape[:2]
    extra = {}
    if mode is Mode.INPAINT:
        mask = np.zeros((h, w), np.uint8)
        mask[h // 4 : h // 2, w // 4 : w // 2] = 255
        extra = {"init_image": np.ascontiguousarray(pixels[::-1]), "mask": mask, "strength": 0.8}
    req = GenerationRequest(prompt=prompt, negative_prompt="blurry", seed=1234, steps=9, cfg_scale=5.5,
                            width=w, height=h, mode=mode, **extra)
    return GeneratedImage(pixels, 1234, 0, req, "tiny-model", "0123456789", 0.5)


def _chunks(data: bytes):
    pos = len(PNG_SIG)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        yield kind, data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def change_one_pixel(png: bytes, x: int = 10, y: int = 10) -> bytes:
    """The same PNG, every chunk (text, XMP, C2PA caBX) kept, with one pixel's red value changed."""
    with Image.open(io.BytesIO(png)) as im:
        pixels = np.asarray(im.convert("RGB")).copy()
    pixels[y, x, 0] ^= 0x01
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    idat = b"".join(body for kind, body in _chunks(buf.getvalue()) if kind == b"IDAT")
    out, placed = [PNG_SIG], False
    for kind, body in _chunks(png):
        if kind == b"IDAT":
            if not placed:
                out.append(_chunk(b"IDAT", idat))
                placed = True
            continue
        out.append(_chunk(kind, body))
    return b"".join(out)
