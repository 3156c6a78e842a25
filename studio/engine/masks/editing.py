"""The editable :class:`Mask` the UI paints on, and :class:`MaskRecorder`, its tile-wise undo records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from studio.engine.masks.drawing import fill_polygon, fill_rect, stamp_segment
from studio.engine.masks.geometry import Point, Rect, bbox, new_mask, rect_union
from studio.engine.masks.morphology import grow, shrink


class Mask:
    """An editable mask (``data``: HxW uint8) whose operations return the dirty rect."""

    def __init__(self, width: int, height: int, data: np.ndarray | None = None):
        self.data = new_mask(width, height) if data is None else np.ascontiguousarray(data, dtype=np.uint8)
        if self.data.shape != (int(height), int(width)):
            raise ValueError(f"mask data is {self.data.shape[::-1]} but the mask is {width}x{height}")

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def full_rect(self) -> Rect:
        return (0, 0, self.width, self.height)

    def is_empty(self) -> bool:
        return not self.data.any()

    def stroke(self, p0: Point, p1: Point | None, radius: float, hardness: float = 1.0, erase: bool = False) -> Rect | None:
        return stamp_segment(self.data, p0, p1, radius=radius, hardness=hardness, erase=erase)

    def fill(self) -> Rect:
        self.data[:] = 255
        return self.full_rect

    def clear(self) -> Rect:
        self.data[:] = 0
        return self.full_rect

    def invert(self) -> Rect:
        np.subtract(255, self.data, out=self.data)
        return self.full_rect

    def set_data(self, data: np.ndarray) -> Rect | None:
        """Replace the content; returns the rect that changed (None when nothing did)."""
        changed = bbox((data != self.data).view(np.uint8))
        if changed is not None:
            x0, y0, x1, y1 = changed
            self.data[y0:y1, x0:x1] = data[y0:y1, x0:x1]
        return changed

    def grow(self, n: int) -> Rect | None:
        return self.set_data(grow(self.data, n))

    def shrink(self, n: int) -> Rect | None:
        return self.set_data(shrink(self.data, n))

    def rect(self, rect: Rect, erase: bool = False) -> Rect | None:
        return fill_rect(self.data, rect, 0 if erase else 255)

    def polygon(self, points: Sequence[Point], erase: bool = False) -> Rect | None:
        return fill_polygon(self.data, points, 0 if erase else 255)

    def bbox(self) -> Rect | None:
        return bbox(self.data)


class MaskRecorder:
    """Records what one edit (a stroke, a fill, ...) changes, tile by tile.

    Call :meth:`before` with each dirty rect *before* changing those pixels; the
    first time a tile is touched its old content is saved. :meth:`finish` keeps
    only the tiles that really changed and stores their new content, so an undo
    record holds the changed region only, never a copy of the whole mask.
    """

    def __init__(self, mask: np.ndarray, tile: int = 64):
        self.mask = mask
        self.tile = tile
        self._before: dict[tuple[int, int], np.ndarray] = {}
        # after finish(): tile -> (rect of the changed pixels, their content)
        self.after: dict[tuple[int, int], tuple[Rect, np.ndarray]] = {}
        self.before_tiles: dict[tuple[int, int], tuple[Rect, np.ndarray]] = {}

    def _tile_rect(self, ty: int, tx: int) -> Rect:
        t = self.tile
        h, w = self.mask.shape
        return (tx * t, ty * t, min(w, (tx + 1) * t), min(h, (ty + 1) * t))

    def before(self, rect: Rect | None) -> None:
        if rect is None:
            return
        t = self.tile
        x0, y0, x1, y1 = rect
        for ty in range(y0 // t, (y1 - 1) // t + 1):
            for tx in range(x0 // t, (x1 - 1) // t + 1):
                if (ty, tx) not in self._before:
                    rx0, ry0, rx1, ry1 = self._tile_rect(ty, tx)
                    self._before[(ty, tx)] = self.mask[ry0:ry1, rx0:rx1].copy()

    def finish(self) -> bool:
        """Keep only what changed (cropped to the changed pixels of each tile); True when anything did."""
        self.before_tiles, self.after = {}, {}
        for key, old in self._before.items():
            x0, y0, x1, y1 = self._tile_rect(*key)
            new = self.mask[y0:y1, x0:x1]
            changed = bbox((old != new).view(np.uint8))
            if changed is None:
                continue
            cx0, cy0, cx1, cy1 = changed
            rect = (x0 + cx0, y0 + cy0, x0 + cx1, y0 + cy1)
            self.before_tiles[key] = (rect, old[cy0:cy1, cx0:cx1].copy())
            self.after[key] = (rect, new[cy0:cy1, cx0:cx1].copy())
        self._before = {}
        return bool(self.after)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for _, a in self.after.values()) + sum(b.nbytes for _, b in self.before_tiles.values())

    def rect(self) -> Rect | None:
        out: Rect | None = None
        for rect, _ in self.after.values():
            out = rect_union(out, rect)
        return out

    def _apply(self, tiles) -> Rect | None:
        out: Rect | None = None
        for (x0, y0, x1, y1), data in tiles.values():
            self.mask[y0:y1, x0:x1] = data
            out = rect_union(out, (x0, y0, x1, y1))
        return out

    def undo(self) -> Rect | None:
        return self._apply(self.before_tiles)

    def redo(self) -> Rect | None:
        return self._apply(self.after)


def rects_to_tiles(rects: Iterable[Rect], tile: int) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for x0, y0, x1, y1 in rects:
        for ty in range(y0 // tile, (y1 - 1) // tile + 1):
            for tx in range(x0 // tile, (x1 - 1) // tile + 1):
                out.add((ty, tx))
    return out
