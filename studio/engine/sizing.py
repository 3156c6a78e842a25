"""Generation sizes: what "native size" means when an init image sets the shape.

An init image of any size is generated at the model's native pixel count with the
init's aspect ratio (multiples of 8, at least :data:`MIN_SIDE` a side), then scaled
back to the init's size: a 1x1 init no longer fails on a 8 px generation, and a
5000x300 one no longer runs at 39x the model's pixel count (which gives tiled
duplicates).
"""

from __future__ import annotations

import math

MULTIPLE = 8
MIN_SIDE = 16  # the request's MIN_SIZE


def budget_size(shape_size: tuple[int, int], native_size: tuple[int, int]) -> tuple[int, int]:
    """Width and height with the pixel count of ``native_size`` and the aspect of ``shape_size``."""
    sw, sh = max(1, int(shape_size[0])), max(1, int(shape_size[1]))
    nw, nh = int(native_size[0]), int(native_size[1])
    if sw * nh == sh * nw:
        return nw, nh
    aspect = sw / sh
    gw = math.sqrt(nw * nh * aspect)
    gh = gw / aspect

    def side(v: float) -> int:
        return max(MIN_SIDE, int(round(v / MULTIPLE)) * MULTIPLE)

    return side(gw), side(gh)


def init_size(request_size: tuple[int, int], init_shape: tuple[int, int], native_size: tuple[int, int]) -> tuple[int, int]:
    """The size an img2img generation runs at: the request's when both sides are set, else the
    native budget with the init's aspect (one side set: that side, the other from the aspect)."""
    w, h = request_size
    iw, ih = init_shape
    if w and h:
        return w, h
    if w:
        return w, max(MIN_SIDE, int(round(w * ih / max(1, iw) / MULTIPLE)) * MULTIPLE)
    if h:
        return max(MIN_SIDE, int(round(h * iw / max(1, ih) / MULTIPLE)) * MULTIPLE), h
    return budget_size((iw, ih), native_size)
