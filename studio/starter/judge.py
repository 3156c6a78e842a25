"""Automatic adherence judge for starter-model images (numpy only).

- background: the most common nearest-palette colour along the image border
  (solid) or along the two end strips (gradient) must be the requested colour(s);
- colour + position: inside a box around the named position, pixels that
  differ from the requested background (and whose nearest palette colour is
  not a background colour) are the object; the most common nearest-palette
  colour among them must be the requested colour;
- shape: nearest template: IoU of the object pixels around the named position
  with the rendered mask of every shape (same size and position, small shifts
  allowed); the best match must be the requested shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .palette import COLOUR_NAMES, COLOURS, IMAGE_SIZE, POSITIONS, SHAPES, SIZES, Background, ObjectSpec, SceneSpec
from .render import background_image, shape_mask

_PAL = np.array([COLOURS[c] for c in COLOUR_NAMES], dtype=np.float32)  # 12 x 3
REGION_HALF = 0.15  # half side of the colour-check box, fraction of the image (covers a large ring's hole)
MIN_PIXELS = 12
FG_DISTANCE = 60.0  # RGB distance from the expected background that counts as "object"
STRIP = 4


def nearest_index(pixels: np.ndarray) -> np.ndarray:
    """Index into COLOUR_NAMES of the nearest palette colour for each pixel (...x3)."""
    p = pixels.reshape(-1, 3).astype(np.float32)
    d = ((p[:, None, :] - _PAL[None, :, :]) ** 2).sum(-1)
    return d.argmin(1).reshape(pixels.shape[:-1])


def _mode_colour(pixels: np.ndarray) -> str:
    idx = nearest_index(pixels).ravel()
    return COLOUR_NAMES[int(np.bincount(idx, minlength=len(COLOUR_NAMES)).argmax())]


def judge_background(img: np.ndarray, bg: Background) -> bool:
    s = STRIP
    if not bg.is_gradient:
        frame = np.concatenate([img[:s].reshape(-1, 3), img[-s:].reshape(-1, 3),
                                img[:, :s].reshape(-1, 3), img[:, -s:].reshape(-1, 3)])
        return _mode_colour(frame) == bg.colour
    if bg.direction == "horizontal":
        a, b = img[:, :s], img[:, -s:]
    else:
        a, b = img[:s], img[-s:]
    return _mode_colour(a) == bg.colour and _mode_colour(b) == bg.colour2


def foreground(img: np.ndarray, bg: Background) -> np.ndarray:
    expected = background_image(bg, img.shape[0]).astype(np.float32)
    return np.sqrt(((img.astype(np.float32) - expected) ** 2).sum(-1)) > FG_DISTANCE


def _box(position: str, half: float, n: int) -> tuple[slice, slice]:
    fx, fy = POSITIONS[position]
    h = half * n
    x0, x1 = max(0, round(fx * n - h)), min(n, round(fx * n + h))
    y0, y1 = max(0, round(fy * n - h)), min(n, round(fy * n + h))
    return slice(y0, y1), slice(x0, x1)


def judge_colour(img: np.ndarray, obj: ObjectSpec, fg: np.ndarray, bg: Background | None = None) -> bool:
    """Most common non-background palette colour in the region is the object's colour.

    Object pixels: far from the expected background (fg) and, when bg is given, not
    nearest to a background palette colour (blurred edges of a white shape on pink
    are pinkish: they count as background, not as a third colour).
    """
    ys, xs = _box(obj.position, REGION_HALF, img.shape[0])
    pixels = img[ys, xs][fg[ys, xs]]
    if bg is not None and len(pixels):
        idx = nearest_index(pixels)
        keep = ~np.isin(idx, [COLOUR_NAMES.index(c) for c in bg.colours()])
        pixels = pixels[keep]
    if len(pixels) < MIN_PIXELS:
        return False
    return _mode_colour(pixels) == obj.colour


def classify_shape(fg: np.ndarray, obj: ObjectSpec, shifts=(-4, -2, 0, 2, 4)) -> str:
    n = fg.shape[0]
    ys, xs = _box(obj.position, SIZES[obj.size] * 0.65, n)
    templates = np.stack([shape_mask(s, obj.size, obj.position, n)[ys, xs] for s in SHAPES]).reshape(len(SHAPES), -1)
    templates = templates.astype(np.float32)
    cands = []
    for dy in shifts:
        for dx in shifts:
            cands.append(np.roll(fg, (dy, dx), axis=(0, 1))[ys, xs].reshape(-1))
    g = np.stack(cands).astype(np.float32)  # S x P
    inter = g @ templates.T
    union = g.sum(1, keepdims=True) + templates.sum(1)[None, :] - inter
    iou = inter / np.maximum(union, 1.0)
    return SHAPES[int(iou.max(0).argmax())]


@dataclass
class Verdict:
    background: bool
    colours: list[bool]
    shapes: list[bool]

    @property
    def adherent(self) -> bool:
        """Prompt adherence: background right and every object's colour at its position."""
        return self.background and all(self.colours)


def judge(img, scene: SceneSpec) -> Verdict:
    img = np.asarray(img)[..., :3]
    if img.shape[0] != IMAGE_SIZE:
        from PIL import Image
        img = np.asarray(Image.fromarray(img).resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR))
    fg = foreground(img, scene.background)
    return Verdict(
        background=judge_background(img, scene.background),
        colours=[judge_colour(img, o, fg, scene.background) for o in scene.objects],
        shapes=[classify_shape(fg, o) == o.shape for o in scene.objects],
    )


def summarise(verdicts: list[Verdict], scenes: list[SceneSpec]) -> dict:
    n = len(verdicts)
    objs = [(v, i) for v in verdicts for i in range(len(v.colours))]
    two = [v for v, s in zip(verdicts, scenes) if len(s.objects) == 2]
    one = [v for v, s in zip(verdicts, scenes) if len(s.objects) == 1]
    rate = lambda xs: round(sum(xs) / max(1, len(xs)), 4)
    return {
        "prompts": n,
        "adherence": rate([v.adherent for v in verdicts]),
        "adherence_one_object": rate([v.adherent for v in one]),
        "adherence_two_objects": rate([v.adherent for v in two]),
        "background": rate([v.background for v in verdicts]),
        "object_colour_at_position": rate([v.colours[i] for v, i in objs]),
        "held_out_object_colour_at_position": rate([v.colours[0] for v in verdicts]),
        "shape": rate([v.shapes[i] for v, i in objs]),
        "held_out_object_shape": rate([v.shapes[0] for v in verdicts]),
    }
