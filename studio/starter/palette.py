"""Vocabulary of the starter model's world: colours, shapes, positions, sizes.

Everything here is plain data so that the renderer, the caption generator,
the tokenizer builder and the evaluator agree on one definition.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field

IMAGE_SIZE = 128

# Exact RGB values (spec of issue 3).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 20),
    "yellow": (245, 220, 30),
    "green": (40, 170, 60),
    "cyan": (30, 200, 220),
    "blue": (40, 70, 220),
    "purple": (140, 50, 180),
    "pink": (245, 130, 190),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
    "brown": (130, 80, 40),
    "gray": (128, 128, 128),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)

GEOMETRIC_SHAPES: tuple[str, ...] = (
    "circle", "square", "triangle", "star", "heart", "diamond", "ring", "cross",
)
LETTERS: tuple[str, ...] = tuple(string.ascii_uppercase)
DIGITS: tuple[str, ...] = tuple(string.digits)
# Shape ids: geometric names, then single characters for glyphs.
SHAPES: tuple[str, ...] = GEOMETRIC_SHAPES + LETTERS + DIGITS


def is_glyph(shape: str) -> bool:
    return len(shape) == 1


# Object centre in fractions of the image side (x, y).
POSITIONS: dict[str, tuple[float, float]] = {
    "center": (0.5, 0.5),
    "left": (0.22, 0.5),
    "right": (0.78, 0.5),
    "top": (0.5, 0.22),
    "bottom": (0.5, 0.78),
    "top left": (0.22, 0.22),
    "top right": (0.78, 0.22),
    "bottom left": (0.22, 0.78),
    "bottom right": (0.78, 0.78),
}
POSITION_NAMES: tuple[str, ...] = tuple(POSITIONS)

# Object extent (bounding-box side) in fractions of the image side.
SIZES: dict[str, float] = {"small": 0.2, "medium": 0.3, "large": 0.42}
SIZE_NAMES: tuple[str, ...] = tuple(SIZES)

DIRECTIONS: tuple[str, ...] = ("horizontal", "vertical")


@dataclass(frozen=True)
class ObjectSpec:
    size: str
    colour: str
    shape: str
    position: str

    def combo(self) -> tuple[str, str, str]:
        """The (colour, shape, position) triple used for the held-out split."""
        return (self.colour, self.shape, self.position)


@dataclass(frozen=True)
class Background:
    """A single colour (colour2 None) or a two-colour gradient.

    Horizontal gradients run from colour (left) to colour2 (right);
    vertical ones from colour (top) to colour2 (bottom).
    """
    colour: str
    colour2: str | None = None
    direction: str = "horizontal"

    @property
    def is_gradient(self) -> bool:
        return self.colour2 is not None

    def colours(self) -> tuple[str, ...]:
        return (self.colour,) if self.colour2 is None else (self.colour, self.colour2)


@dataclass(frozen=True)
class SceneSpec:
    objects: tuple[ObjectSpec, ...]
    background: Background
    # Which attributes the caption mentions; the renderer ignores this.
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        bg = self.background
        return {
            "objects": [[o.size, o.colour, o.shape, o.position] for o in self.objects],
            "background": [bg.colour, bg.colour2, bg.direction],
        }

    @staticmethod
    def from_dict(d: dict) -> "SceneSpec":
        objs = tuple(ObjectSpec(*o) for o in d["objects"])
        c1, c2, direction = d["background"]
        return SceneSpec(objs, Background(c1, c2, direction))


def nearest_colour(rgb) -> str:
    """Nearest palette colour name (Euclidean in RGB)."""
    r, g, b = (float(v) for v in rgb[:3])
    best, best_d = "", float("inf")
    for name, (cr, cg, cb) in COLOURS.items():
        d = (r - cr) ** 2 + (g - cg) ** 2 + (b - cb) ** 2
        if d < best_d:
            best, best_d = name, d
    return best
