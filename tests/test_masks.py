"""Mask maths (studio.engine.masks): brush, shapes, grow/shrink, feather, crop geometry, outpainting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studio.engine import masks as M


def disc(h, w, cx, cy, r):
    yy, xx = np.mgrid[0:h, 0:w]
    return ((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r * r).astype(np.uint8) * 255


# -- brush ---------------------------------------------------------------------------


def test_stamp_hard_brush_is_a_disc_and_returns_its_dirty_rect():
    m = M.new_mask(64, 48)
    rect = M.stamp_segment(m, (20.0, 20.0), radius=6, hardness=1.0)
    x0, y0, x1, y1 = rect
    assert x0 <= 14 and y0 <= 14 and x1 >= 26 and y1 >= 26
    assert x1 - x0 <= 15 and y1 - y0 <= 15  # only the brush footprint
    assert m[20, 20] == 255 and m[20, 14] > 0 and m[20, 27] == 0
    outside = m.copy()
    outside[y0:y1, x0:x1] = 0
    assert not outside.any(), "pixels outside the dirty rect were touched"
    # a hard disc: fully set well inside, empty well outside
    ref = disc(48, 64, 20, 20, 6)
    assert (m[ref > 0] > 0).all()
    assert (m[disc(48, 64, 20, 20, 7.5) == 0] == 0).all()


def test_soft_brush_falls_off_with_hardness():
    hard, soft = M.new_mask(64, 64), M.new_mask(64, 64)
    M.stamp_segment(hard, (32, 32), radius=16, hardness=1.0)
    M.stamp_segment(soft, (32, 32), radius=16, hardness=0.25)
    assert soft[32, 32] == 255
    assert 0 < soft[32, 32 + 12] < hard[32, 32 + 12] == 255
    profile = soft[32, 32:50].astype(int)
    assert (np.diff(profile) <= 0).all(), "soft edge must fall off monotonically"


def test_segment_sweep_is_continuous_for_far_apart_events():
    m = M.new_mask(200, 50)
    rect = M.stamp_segment(m, (10, 25), (190, 25), radius=3)
    assert rect[0] <= 7 and rect[2] >= 193
    assert (m[25, 10:190] == 255).all(), "gap between two mouse events"
    # same result as many small dabs along the line
    dabs = M.new_mask(200, 50)
    prev = (10.0, 25.0)
    M.stamp_segment(dabs, prev, radius=3)
    for p in M.interpolate(prev, (190.0, 25.0), spacing=0.5):
        M.stamp_segment(dabs, p, radius=3)
    assert np.abs(dabs.astype(int) - m.astype(int)).max() <= 1 + 127  # dabs only differ in AA rim
    assert ((dabs == 255) == (m == 255)).mean() > 0.99


def test_interpolate_spacing_and_endpoint():
    pts = M.interpolate((0, 0), (10, 0), spacing=3)
    assert pts[-1] == (10, 0)
    assert len(pts) == 4
    gaps = [math.dist(a, b) for a, b in zip([(0, 0)] + pts, pts)]
    assert max(gaps) <= 3


def test_eraser_removes_and_brush_clamps_at_border():
    m = M.new_mask(32, 32, 255)
    rect = M.stamp_segment(m, (0, 0), radius=5, erase=True)
    assert rect[0] == 0 and rect[1] == 0
    assert m[0, 0] == 0 and m[31, 31] == 255
    assert M.stamp_segment(m, (-50, -50), radius=5) is None


# -- fill / invert / shapes --------------------------------------------------------


def test_fill_clear_invert():
    mk = M.Mask(10, 6)
    assert mk.is_empty()
    assert mk.fill() == (0, 0, 10, 6) and (mk.data == 255).all()
    mk.clear()
    assert mk.is_empty()
    mk.data[1, 2] = 200
    mk.invert()
    assert mk.data[1, 2] == 55 and mk.data[0, 0] == 255


def test_rect_and_polygon_fill():
    m = M.new_mask(50, 40)
    assert M.fill_rect(m, (30, 25, 10, 5)) == (10, 5, 30, 25)  # any corner order
    assert m[5:25, 10:30].all() and m.sum() == 20 * 20 * 255
    m2 = M.new_mask(50, 40)
    rect = M.fill_polygon(m2, [(10, 10), (40, 10), (10, 30)])  # right triangle
    assert rect[0] <= 10 and rect[2] >= 40
    assert m2[12, 12] == 255 and m2[28, 38] == 0
    area = (m2 > 0).sum()
    assert abs(area - 0.5 * 30 * 20) < 30
    # clamped at the border
    m3 = M.new_mask(20, 20)
    assert M.fill_polygon(m3, [(-10, -10), (30, -10), (30, 30), (-10, 30)]) == (0, 0, 20, 20)
    assert m3.all()


# -- grow / shrink / blur -----------------------------------------------------------


def test_grow_by_n_is_a_round_dilation():
    m = M.new_mask(61, 61)
    m[30, 30] = 255
    g = M.grow(m, 10)
    assert M.bbox(g) == (20, 20, 41, 41)
    assert ((g > 0) == (disc(61, 61, 30.5, 30.5, 10.0) > 0)).all()


def test_grow_square_then_shrink_returns_it_and_shrink_removes_thin_parts():
    m = M.new_mask(40, 40)
    m[10:20, 12:25] = 255
    assert (M.shrink(M.grow(m, 4), 4) == m).all()
    s = M.shrink(m, 2)
    assert M.bbox(s) == (14, 12, 23, 18)
    line = M.new_mask(40, 40)
    line[5, :] = 255
    assert not M.shrink(line, 1).any()
    assert (M.grow(m, -2) == s).all()


def test_grow_shrink_at_the_image_border():
    m = M.new_mask(30, 20)
    m[:, :8] = 255  # touches left, top and bottom edges
    s = M.shrink(m, 3)
    assert (s[:, :5] == 255).all() and not s[:, 5:].any(), "the image edge must not erode the mask"
    g = M.grow(m, 3)
    assert (g[:, :11] == 255).all() and not g[:, 11:].any()
    full = M.new_mask(16, 16, 255)
    assert (M.shrink(full, 5) == 255).all()
    assert not M.grow(M.new_mask(8, 8), 3).any()


def test_blur_is_gaussian_and_symmetric():
    m = M.new_mask(41, 41)
    m[20, 20] = 255
    m[15:26, 15:26] = 255
    b = M.blur(m, 2.0)
    assert b[20, 20] >= 250
    assert b[20, 10] < b[20, 13] < b[20, 15] < 255
    assert (b == b[::-1, :]).all() and (b == b[:, ::-1]).all()
    assert (M.blur(m, 0) == m).all()


def test_feather_support_and_core():
    m = M.new_mask(80, 60)
    m[20:40, 30:50] = 255
    a = M.feather(m, 8)
    assert (a[m > 0] == 255).all(), "painted pixels stay fully repainted"
    support = M.grow(m, 8) > 0
    assert not a[~support].any(), "alpha must be exactly 0 beyond mask_blur"
    assert 0 < a[30, 53] < 255  # ramp outside the painted edge
    row = a[30, 50:60].astype(int)
    assert (np.diff(row) <= 0).all()
    assert (M.feather(m, 0) == m).all()


def test_snap_to_grid_covers_touched_cells():
    m = M.new_mask(30, 20)
    m[9, 17] = 255
    s = M.snap_to_grid(m, 8)
    assert M.bbox(s) == (16, 8, 24, 16)
    assert (s[8:16, 16:24] == 255).all()
    m[19, 29] = 255  # partial cell at the bottom-right edge
    assert M.snap_to_grid(m, 8)[16:20, 24:30].all()


def test_bbox():
    m = M.new_mask(9, 7)
    assert M.bbox(m) is None
    m[2, 3] = 1
    m[5, 7] = 255
    assert M.bbox(m) == (3, 2, 8, 6)
    assert M.bbox(m, threshold=10) == (7, 5, 8, 6)


# -- crop geometry ------------------------------------------------------------------


@pytest.mark.parametrize(
    "box,padding,size,aspect",
    [
        ((10, 10, 20, 20), 4, (67, 45), 1.0),
        ((0, 0, 5, 5), 8, (67, 45), 1.0),  # top-left corner
        ((60, 40, 67, 45), 8, (67, 45), 1.0),  # bottom-right corner
        ((0, 20, 67, 25), 0, (67, 45), 1.0),  # full width, too wide for square
        ((30, 0, 33, 45), 2, (67, 45), 1.0),  # full height
        ((100, 3, 140, 9), 16, (301, 17), 1.5),  # very flat image
        ((5, 100, 9, 200), 10, (23, 311), 0.75),  # very tall image
        ((40, 40, 41, 41), 0, (129, 97), 768 / 512),
    ],
)
def test_crop_box_contains_padded_mask_keeps_aspect_and_stays_inside(box, padding, size, aspect):
    w, h = size
    x0, y0, x1, y1 = M.crop_box(box, padding, size, aspect)
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    # contains the box plus padding (where the image allows)
    assert x0 <= max(0, box[0] - padding) and y0 <= max(0, box[1] - padding)
    assert x1 >= min(w, box[2] + padding) and y1 >= min(h, box[3] + padding)
    bw, bh = x1 - x0, y1 - y0
    if bw < w and bh < h:
        assert abs(bw / bh - aspect) <= max(1 / bh, aspect / bh) + 1e-9 * aspect + aspect / bw
    else:  # clamped on one axis: the other axis is as close as the mask allows
        assert bw == w or bh == h


def test_generation_size():
    assert M.generation_size((100, 100), (64, 64)) == (64, 64)
    assert M.generation_size((30, 20), (768, 512)) == (768, 512)
    gw, gh = M.generation_size((67, 45), (64, 64))
    assert gw % 8 == 0 and gh % 8 == 0 and gw > gh
    assert abs(gw * gh - 64 * 64) < 64 * 64 * 0.2


# -- outpainting ---------------------------------------------------------------------


@pytest.mark.parametrize("sides", [(16, 0, 0, 0), (0, 8, 24, 0), (5, 7, 11, 13), (0, 0, 0, 0)])
def test_extend_canvas_sizes_and_intact_original(sides):
    left, top, right, bottom = sides
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (29, 37, 3), dtype=np.uint8)
    new, mask = M.extend_canvas(img, left, top, right, bottom)
    assert new.shape == (29 + top + bottom, 37 + left + right, 3)
    assert mask.shape == new.shape[:2]
    assert (new[top : top + 29, left : left + 37] == img).all()
    assert not mask[top : top + 29, left : left + 37].any()
    new_area = np.ones(mask.shape, bool)
    new_area[top : top + 29, left : left + 37] = False
    assert (mask[new_area] == 255).all()


def test_extend_canvas_keeps_feather_off_the_original():
    img = np.full((40, 40, 3), 100, np.uint8)
    new, mask = M.extend_canvas(img, left=32, mask_blur=6)
    alpha = M.feather(mask, 6)
    assert not alpha[:, 32:].any()
    assert (alpha[:, :20] == 255).all()


# -- undo recorder --------------------------------------------------------------------


def test_recorder_stores_only_changed_tiles_and_undoes_redoes():
    m = M.new_mask(512, 512)
    m[300:310, 300:310] = 255
    start = m.copy()
    rec = M.MaskRecorder(m, tile=64)
    for p0, p1 in [((10, 10), (40, 12)), ((40, 12), (70, 20))]:
        rect = M.segment_rect(p0, p1, 4, (512, 512))
        rec.before(rect)
        assert M.stamp_segment(m, p0, p1, radius=4) == rect
    assert rec.finish()
    after = m.copy()
    assert set(rec.after) == {(0, 0), (0, 1)}
    assert rec.nbytes <= 2 * (70 - 10 + 10) * (20 - 10 + 10)  # only the changed pixels
    assert rec.rect() == M.bbox((after != start).view(np.uint8))
    rec.undo()
    assert (m == start).all()
    rec.redo()
    assert (m == after).all()


def test_recorder_drops_unchanged_tiles():
    m = M.new_mask(128, 128, 255)
    rec = M.MaskRecorder(m, tile=32)
    rec.before((0, 0, 128, 128))
    m[40, 40] = 0
    assert rec.finish()
    assert list(rec.after) == [(1, 1)]
    rec2 = M.MaskRecorder(m, tile=32)
    rec2.before((0, 0, 64, 64))
    assert not rec2.finish()


def test_mask_set_data_reports_changed_rect():
    mk = M.Mask(20, 20)
    mk.data[5:8, 5:8] = 255
    assert mk.grow(2) == (3, 3, 10, 10)
    assert mk.set_data(mk.data.copy()) is None


def test_composite_is_exact_outside():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (10, 10), dtype=np.uint8)
    alpha[:5] = 0
    alpha[9] = 255
    out = M.composite(a, b, alpha)
    assert (out[:5] == a[:5]).all() and (out[9] == b[9]).all()
    mid = alpha == 128
    if mid.any():
        assert np.abs(out[mid].astype(int) - (a[mid].astype(int) + b[mid]) / 2).max() <= 1


def test_large_brush_dabs_match_the_exact_sweep():
    exact, dabs = M.new_mask(400, 300), M.new_mask(400, 300)
    p0, p1 = (100.3, 120.7), (260.9, 170.2)
    # the exact sweep, computed directly
    yy, xx = np.mgrid[0:300, 0:400].astype(np.float64) + 0.5
    vx, vy = p1[0] - p0[0], p1[1] - p0[1]
    t = np.clip(((xx - p0[0]) * vx + (yy - p0[1]) * vy) / (vx * vx + vy * vy), 0, 1)
    d = np.hypot(xx - p0[0] - t * vx, yy - p0[1] - t * vy)
    exact[:] = (M.brush_alpha(d, 40, 0.5) * 255 + 0.5).astype(np.uint8)
    rect = M.stamp_segment(dabs, p0, p1, radius=40, hardness=0.5)
    assert rect == M.segment_rect(p0, p1, 40, (400, 300))
    assert np.abs(dabs.astype(int) - exact).max() <= 40  # half-pixel centre snapping on a soft ramp
    assert np.abs(dabs.astype(int) - exact).mean() < 2
    assert ((dabs == 255) == (exact == 255)).mean() > 0.99
    outside = dabs.copy()
    x0, y0, x1, y1 = rect
    outside[y0:y1, x0:x1] = 0
    assert not outside.any()
