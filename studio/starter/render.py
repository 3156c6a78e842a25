"""Deterministic renderer: SceneSpec -> 128x128 RGB uint8 image.

No anti-aliasing: every object pixel has the exact palette colour, the
background is the exact colour or a linear gradient between two colours.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .palette import COLOURS, IMAGE_SIZE, POSITIONS, SIZES, Background, ObjectSpec, SceneSpec, is_glyph


def _star(cx, cy, r, points=5, inner=0.42):
    pts = []
    for i in range(points * 2):
        rr = r if i % 2 == 0 else r * inner
        a = -math.pi / 2 + i * math.pi / points
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _heart(cx, cy, s, n=48):
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((x, -y))
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    k = s / max(w, h)
    oy = (max(ys) + min(ys)) / 2
    return [(cx + x * k, cy + (y - oy) * k) for x, y in pts]


@lru_cache(maxsize=64)
def _font(px: int):
    return ImageFont.load_default(size=px)


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, s: float) -> None:
    h = s / 2
    if shape == "circle":
        draw.ellipse([cx - h, cy - h, cx + h, cy + h], fill=255)
    elif shape == "square":
        q = h * 0.85
        draw.rectangle([cx - q, cy - q, cx + q, cy + q], fill=255)
    elif shape == "triangle":
        draw.polygon([(cx, cy - h), (cx + h, cy + h * 0.8), (cx - h, cy + h * 0.8)], fill=255)
    elif shape == "star":
        draw.polygon(_star(cx, cy + h * 0.08, h * 1.05), fill=255)
    elif shape == "heart":
        draw.polygon(_heart(cx, cy, s), fill=255)
    elif shape == "diamond":
        draw.polygon([(cx, cy - h), (cx + h * 0.75, cy), (cx, cy + h), (cx - h * 0.75, cy)], fill=255)
    elif shape == "ring":
        draw.ellipse([cx - h, cy - h, cx + h, cy + h], outline=255, width=max(2, round(s * 0.17)))
    elif shape == "cross":
        a = h * 0.32
        draw.rectangle([cx - h, cy - a, cx + h, cy + a], fill=255)
        draw.rectangle([cx - a, cy - h, cx + a, cy + h], fill=255)
    elif is_glyph(shape):
        px = max(8, round(s * 1.05))
        draw.text((cx, cy), shape, fill=255, font=_font(px), anchor="mm",
                  stroke_width=max(1, round(s / 14)), stroke_fill=255)
    else:
        raise ValueError(f"unknown shape {shape!r}")


def object_mask(obj: ObjectSpec, size: int = IMAGE_SIZE) -> np.ndarray:
    """Boolean HxW mask of one object."""
    return shape_mask(obj.shape, obj.size, obj.position, size)


@lru_cache(maxsize=4096)
def _shape_mask_cached(shape: str, size_name: str, position: str, size: int) -> bytes:
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"  # no anti-aliasing for text
    fx, fy = POSITIONS[position]
    _draw_shape(draw, shape, fx * size, fy * size, SIZES[size_name] * size)
    return (np.asarray(img) >= 128).tobytes()


def shape_mask(shape: str, size_name: str, position: str, size: int = IMAGE_SIZE) -> np.ndarray:
    buf = _shape_mask_cached(shape, size_name, position, size)
    return np.frombuffer(buf, dtype=bool).reshape(size, size)


def background_image(bg: Background, size: int = IMAGE_SIZE) -> np.ndarray:
    c1 = np.array(COLOURS[bg.colour], dtype=np.float32)
    if bg.colour2 is None:
        return np.broadcast_to(c1.astype(np.uint8), (size, size, 3)).copy()
    c2 = np.array(COLOURS[bg.colour2], dtype=np.float32)
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)
    line = c1[None, :] * (1 - t[:, None]) + c2[None, :] * t[:, None]  # size x 3
    line = np.round(line).astype(np.uint8)
    if bg.direction == "horizontal":
        return np.broadcast_to(line[None, :, :], (size, size, 3)).copy()
    return np.broadcast_to(line[:, None, :], (size, size, 3)).copy()


def render(scene: SceneSpec, size: int = IMAGE_SIZE) -> np.ndarray:
    """Render a scene to an HxWx3 uint8 array. Later objects are drawn on top."""
    img = background_image(scene.background, size)
    for obj in scene.objects:
        img[object_mask(obj, size)] = COLOURS[obj.colour]
    return img


def render_pil(scene: SceneSpec, size: int = IMAGE_SIZE) -> Image.Image:
    return Image.fromarray(render(scene, size), "RGB")


def grid(images, cols: int = 8, pad: int = 2) -> Image.Image:
    """Tile uint8 HxWx3 arrays (or PIL images) into one PIL image for viewing."""
    arrs = [np.asarray(im) for im in images]
    h, w = arrs[0].shape[:2]
    rows = (len(arrs) + cols - 1) // cols
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for i, a in enumerate(arrs):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = a[..., :3]
    return Image.fromarray(out)
