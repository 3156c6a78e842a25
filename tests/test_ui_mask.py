"""Mask painting on the canvas (pytest-qt): strokes at two zoom levels, tools, undo/redo, inpaint."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.engine import masks as M
from studio.engine.request import GenerationRequest, InpaintArea, MaskedContent, Mode
from studio.ui.canvas import CanvasView
from studio.ui.images import from_qimage, to_qimage
from studio.ui.mask_controller import MaskController
from studio.ui.mask_tools import ToolMode

pytestmark = pytest.mark.filterwarnings("ignore")


def _picture(h, w):
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    img[..., 1] = np.linspace(255, 0, h, dtype=np.uint8)[:, None]
    img[..., 2] = 128
    return img


@pytest.fixture
def setup(qtbot):
    canvas = CanvasView()
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_image(to_qimage(_picture(300, 400)))
    canvas.undo_stack.clear()
    ctl = MaskController(canvas)
    ctl.set_painting(True)
    return canvas, ctl


def _send(canvas, kind, scene_pt, button=Qt.LeftButton, buttons=None):
    vp = canvas.viewport()
    pos = QPointF(canvas.mapFromScene(QPointF(*scene_pt)))
    if buttons is None:
        buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else button
    ev = QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button if kind != QEvent.MouseMove else Qt.NoButton, buttons, Qt.NoModifier)
    QApplication.sendEvent(vp, ev)


def drag(canvas, points, button=Qt.LeftButton):
    _send(canvas, QEvent.MouseButtonPress, points[0], button)
    for p in points[1:]:
        _send(canvas, QEvent.MouseMove, p, button, buttons=button)
    _send(canvas, QEvent.MouseButtonRelease, points[-1], button)


def _view_quantum(canvas):
    """Image pixels per view pixel (mouse positions are whole view pixels)."""
    return 1.0 / canvas.zoom()


@pytest.mark.parametrize("zoom", [0.5, 3.0])
def test_stroke_with_far_apart_events_at_two_zooms(setup, zoom):
    canvas, ctl = setup
    canvas.set_zoom(zoom)
    canvas.centerOn(200, 150)
    ctl.settings.size = 12
    ctl.settings.hardness = 1.0
    # three mouse events 40 px apart in image space, a horizontal then diagonal stroke
    pts = [(180.0, 140.0), (220.0, 140.0), (250.0, 170.0)]
    drag(canvas, pts)
    mask = ctl.mask.data
    q = _view_quantum(canvas)
    # every point along the polyline is painted (no gaps between events)
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        for t in np.linspace(0, 1, 50):
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            assert mask[int(y), int(x)] == 255, (x, y)
    # the stroke is about 12 px wide: a pixel 4 px off the line is in, 9 px off is out
    assert mask[140 + 4, 200] == 255 and mask[140 - 4, 200] == 255
    assert mask[int(140 + 9 + q), 200] == 0 and mask[int(140 - 9 - q), 200] == 0
    assert not mask[:100].any() and not mask[:, :160].any()
    assert canvas.undo_stack.count() == 1
    # the layer shows it: tinted pixels where painted, transparent elsewhere
    tinted = ctl.layer.tinted_image()
    assert tinted.pixelColor(200, 140).alpha() == 128  # the fill at 50%
    assert tinted.pixelColor(10, 10).alpha() == 0


def test_same_stroke_same_mask_at_both_zooms(setup):
    canvas, ctl = setup
    ctl.settings.size = 10
    results = []
    for zoom in (0.5, 2.0):
        ctl.mask.data[:] = 0
        canvas.set_zoom(zoom)
        canvas.centerOn(200, 150)
        drag(canvas, [(150.0, 150.0), (250.0, 150.0)])
        results.append(ctl.mask.data.copy())
    a, b = (r == 255 for r in results)
    # mouse positions snap to whole view pixels: at zoom 0.5 that is 2 image px
    assert (a ^ b).sum() < 0.1 * a.sum()


def test_undo_redo_one_command_per_stroke_storing_only_the_changed_region(setup):
    canvas, ctl = setup
    canvas.set_zoom(1.0)
    canvas.centerOn(200, 150)
    ctl.settings.size = 20
    drag(canvas, [(100.0, 100.0), (130.0, 110.0), (160.0, 100.0)])
    first = ctl.mask.data.copy()
    drag(canvas, [(100.0, 200.0), (300.0, 200.0)])
    second = ctl.mask.data.copy()
    stack = canvas.undo_stack
    assert stack.count() == 2
    cmd = stack.command(1)
    assert cmd.nbytes < ctl.mask.data.nbytes / 4, "an undo record must not hold the whole mask"
    stack.undo()
    assert (ctl.mask.data == first).all()
    stack.undo()
    assert not ctl.mask.data.any()
    assert ctl.layer.tinted_image().pixelColor(130, 105).alpha() == 0
    stack.redo()
    stack.redo()
    assert (ctl.mask.data == second).all()
    assert ctl.layer.tinted_image().pixelColor(200, 200).alpha() == 128


def test_right_drag_erases_and_eraser_mode(setup):
    canvas, ctl = setup
    canvas.set_zoom(1.0)
    canvas.centerOn(200, 150)
    ctl.panel.fill_requested.emit()
    assert (ctl.mask.data == 255).all()
    ctl.settings.size = 10
    drag(canvas, [(100.0, 100.0), (200.0, 100.0)], button=Qt.RightButton)
    assert ctl.mask.data[100, 150] == 0 and ctl.mask.data[150, 150] == 255
    ctl.settings.mode = ToolMode.ERASER
    drag(canvas, [(100.0, 250.0), (200.0, 250.0)])
    assert ctl.mask.data[250, 150] == 0
    assert canvas.undo_stack.count() == 3
    canvas.undo_stack.undo()
    canvas.undo_stack.undo()
    assert (ctl.mask.data == 255).all()


def test_bracket_keys_resize_the_brush(setup, qtbot):
    canvas, ctl = setup
    ctl.settings.size = 40
    for key in (Qt.Key_BracketRight, Qt.Key_BracketRight):
        QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, key, Qt.NoModifier, "]"))
    assert ctl.settings.size > 50
    assert ctl.panel.size_spin.value() == ctl.settings.size
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, Qt.Key_BracketLeft, Qt.NoModifier, "["))
    assert 40 < ctl.settings.size < 53
    ctl.settings.size = 1
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, Qt.Key_BracketLeft, Qt.NoModifier, "["))
    assert ctl.settings.size == 1
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, Qt.Key_E, Qt.NoModifier, "e"))
    assert ctl.settings.mode is ToolMode.ERASER and ctl.panel.tool_buttons[ToolMode.ERASER].isChecked()
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, Qt.Key_B, Qt.NoModifier, "b"))
    assert ctl.settings.mode is ToolMode.BRUSH


def test_brush_outline_follows_the_mouse_and_hides_on_leave(setup):
    canvas, ctl = setup
    canvas.set_zoom(2.0)
    canvas.centerOn(200, 150)
    ctl.settings.size = 30
    _send(canvas, QEvent.MouseMove, (200.0, 150.0), Qt.NoButton, buttons=Qt.NoButton)
    outline = ctl.tool._outline
    assert outline.isVisible()
    r = outline.rect()
    assert r.center().x() == pytest.approx(200, abs=1) and r.width() == pytest.approx(30)
    assert not ctl.mask.data.any(), "hovering must not paint"
    QApplication.sendEvent(canvas.viewport(), QEvent(QEvent.Leave))
    assert not outline.isVisible()


def test_rectangle_and_lasso(setup):
    canvas, ctl = setup
    canvas.set_zoom(1.0)
    canvas.centerOn(200, 150)
    ctl.settings.mode = ToolMode.RECT
    drag(canvas, [(50.0, 40.0), (80.0, 60.0), (120.0, 90.0)])
    assert M.bbox(ctl.mask.data) == (50, 40, 120, 90)
    ctl.settings.mode = ToolMode.LASSO
    tri = [(200.0, 100.0), (300.0, 100.0), (300.0, 200.0), (200.0, 100.0)]
    drag(canvas, [tri[0]] + [(tri[0][0] + t * 10, 100.0) for t in range(1, 11)] + [(300.0, 100.0 + t * 10) for t in range(1, 11)])
    lasso = ctl.mask.data[100:201, 200:301]
    assert lasso[10, 80] == 255 and lasso[80, 10] == 0  # above the diagonal in, below out
    assert 0.4 < (lasso > 0).mean() < 0.6
    # right-drag rectangle removes
    ctl.settings.mode = ToolMode.RECT
    drag(canvas, [(60.0, 45.0), (70.0, 55.0)], button=Qt.RightButton)
    assert not ctl.mask.data[45:55, 60:70].any() and ctl.mask.data[42, 52] == 255
    assert canvas.undo_stack.count() == 3


def test_panel_operations_are_undoable(setup, qtbot):
    canvas, ctl = setup
    ctl.mask.data[100:120, 100:120] = 255
    ctl.layer.refresh()
    start = ctl.mask.data.copy()
    ctl.panel.grow_spin.setValue(5)
    ctl.panel.grow_requested.emit(5)
    assert M.bbox(ctl.mask.data) == (95, 95, 125, 125)
    ctl.panel.grow_requested.emit(-5)
    assert (ctl.mask.data == start).all()
    ctl.panel.invert_requested.emit()
    assert (ctl.mask.data == 255 - start).all()
    ctl.panel.clear_requested.emit()
    assert not ctl.mask.data.any()
    stack = canvas.undo_stack
    assert stack.count() == 4
    stack.undo()
    assert (ctl.mask.data == 255 - start).all()
    stack.undo()
    stack.undo()
    stack.undo()
    assert (ctl.mask.data == start).all()


def test_opacity_and_show_hide(setup):
    canvas, ctl = setup
    ctl.panel.opacity_slider.setValue(30)
    assert ctl.layer.fill_opacity() == pytest.approx(0.3)
    ctl.panel.show_check.setChecked(False)
    assert not ctl.layer.isVisible()
    ctl.panel.show_check.setChecked(True)
    assert ctl.layer.isVisible()


def test_request_from_mask_and_outpaint(setup):
    canvas, ctl = setup
    base = GenerationRequest(prompt="a cat", steps=5)
    assert ctl.apply_to_request(base) is base  # no mask: unchanged
    ctl.mask.data[10:40, 20:60] = 255
    ctl.panel.area_combo.setCurrentIndex(1)
    ctl.panel.padding_spin.setValue(12)
    ctl.panel.blur_spin.setValue(6)
    ctl.panel.content_combo.setCurrentIndex(1)
    ctl.panel.strength_spin.setValue(0.9)
    req = ctl.apply_to_request(base)
    assert req.mode is Mode.INPAINT and req.inpaint_area is InpaintArea.ONLY_MASKED
    assert req.inpaint_padding == 12 and req.mask_blur == 6 and req.strength == 0.9
    assert req.masked_content is MaskedContent.NOISE
    assert (req.mask == ctl.mask.data).all() and req.init_image.shape == (300, 400, 3)
    assert (req.init_image == _picture(300, 400)).all()

    # outpaint: the canvas grows, the new area is masked, undo restores image and mask
    before = ctl.mask.data.copy()
    assert ctl.outpaint(0, 0, 64, 0)
    assert canvas.image_size().width() == 464 and ctl.mask.width == 464
    assert (ctl.mask.data[:, 400 + 6 :] == 255).all() and not ctl.mask.data[:, :400].any()
    assert (from_qimage(canvas.current_image())[:, :400] == _picture(300, 400)).all()
    canvas.undo_stack.undo()
    assert canvas.image_size().width() == 400 and (ctl.mask.data == before).all()
    canvas.undo_stack.redo()
    assert ctl.mask.width == 464


def test_inpaint_preview_in_place(setup):
    canvas, ctl = setup
    ctl.mask.data[100:120, 200:230] = 255
    req = ctl.apply_to_request(GenerationRequest(prompt="x"))
    req = req.replace(inpaint_area=InpaintArea.ONLY_MASKED, inpaint_padding=8, mask_blur=0)
    ctl.show_preview(np.zeros((8, 8, 3), np.uint8), req)
    r = ctl.preview.sceneBoundingRect()
    assert ctl.preview.isVisible()
    assert r.left() <= 192 and r.right() >= 238 and r.top() <= 92 and r.bottom() >= 128
    assert r.width() == pytest.approx(r.height())
    # seen through the mask: opaque on the mask, transparent around it (the original shows)
    frame = ctl.preview.pixmap().toImage()
    ox, oy = int(r.left()), int(r.top())
    assert frame.pixelColor(210 - ox, 110 - oy).alpha() == 255
    assert frame.pixelColor(2, 2).alpha() == 0
    ctl.clear_preview()
    assert not ctl.preview.isVisible()


def test_paint_then_inpaint_on_tiny_pipeline(setup, tiny_sd_dir):
    import torch

    from studio.engine.generator import Engine, EngineSettings

    canvas, ctl = setup
    canvas.set_zoom(1.0)
    canvas.centerOn(200, 150)
    ctl.settings.size = 24
    drag(canvas, [(150.0, 120.0), (200.0, 140.0), (240.0, 130.0)])
    req = ctl.apply_to_request(GenerationRequest(prompt="a red star", model=str(tiny_sd_dir), steps=3, seed=4))
    assert req.mode is Mode.INPAINT
    threads = torch.get_num_threads()
    try:
        (res,) = Engine(EngineSettings(device="cpu", threads=1)).generate(req)
    finally:
        torch.set_num_threads(threads)
    img = _picture(300, 400)
    alpha = res.extra["alpha"]
    assert (res.image[alpha == 0] == img[alpha == 0]).all()
    painted = ctl.mask.data > 0
    assert (res.image[painted] != img[painted]).any(axis=-1).mean() > 0.9
    # the result goes back on the canvas with its source's mask (as the window does), for another go
    result = to_qimage(res.image)
    ctl.give_mask(result, req.mask)
    canvas.set_image(result)
    assert (ctl.mask.data > 0).sum() == painted.sum()
    # another picture of the same size does not inherit it; undo brings the result and its mask back
    canvas.set_image(to_qimage(_picture(300, 400)))
    assert not ctl.mask.data.any()
    canvas.undo_stack.undo()
    assert (ctl.mask.data > 0).sum() == painted.sum()
