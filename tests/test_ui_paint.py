"""The paint layer on the canvas (pytest-qt): brush, opacity without build-up, eraser, picker, fill,
per-stroke undo on the canvas's shared stack (with the mask's), pressure."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.ui.canvas import CanvasView
from studio.ui.images import to_qimage
from studio.ui.mask_controller import MaskController
from studio.ui.paint_controller import PaintController
from studio.ui.paint_tools import PaintMode, pressure_of

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def setup(qtbot):
    canvas = CanvasView()
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    canvas.show()
    qtbot.waitExposed(canvas)
    img = np.full((100, 200, 3), 255, np.uint8)
    img[:, 100:] = (0, 128, 0)
    canvas.set_image(to_qimage(img))
    canvas.undo_stack.clear()
    paint = PaintController(canvas)
    paint.set_painting(True)
    return canvas, paint


def _send(canvas, kind, pt, button=Qt.LeftButton, modifiers=Qt.NoModifier):
    vp = canvas.viewport()
    pos = QPointF(canvas.mapFromScene(QPointF(*pt)))
    held = Qt.NoButton if kind == QEvent.MouseButtonRelease else button
    ev = QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), Qt.NoButton if kind == QEvent.MouseMove else button, held, modifiers)
    QApplication.sendEvent(vp, ev)


def drag(canvas, points, button=Qt.LeftButton):
    _send(canvas, QEvent.MouseButtonPress, points[0], button)
    for p in points[1:]:
        _send(canvas, QEvent.MouseMove, p, button)
    _send(canvas, QEvent.MouseButtonRelease, points[-1], button)


def test_brush_stroke_paints_the_colour_and_is_one_undo_step(setup):
    canvas, paint = setup
    paint.settings.set(colour=QColor(0, 0, 255), size=10, hardness=1.0, opacity=1.0)
    drag(canvas, [(20.0, 50.0), (60.0, 50.0), (80.0, 50.0)])
    out = paint.composite()
    assert tuple(out[50, 40]) == (0, 0, 255) and tuple(out[10, 10]) == (255, 255, 255)
    assert paint.layer.rgba()[50, 40].tolist() == [0, 0, 255, 255]
    assert canvas.undo_stack.count() == 1
    canvas.undo_stack.undo()
    assert paint.layer.is_empty()
    canvas.undo_stack.redo()
    assert tuple(paint.composite()[50, 40]) == (0, 0, 255)


def test_opacity_does_not_build_up_within_a_stroke_but_does_across_strokes(setup):
    canvas, paint = setup
    paint.settings.set(colour=QColor(0, 0, 0), size=8, hardness=1.0, opacity=0.5)
    drag(canvas, [(20.0, 30.0), (60.0, 30.0), (20.0, 30.0), (60.0, 30.0)])  # back and forth: one stroke
    once = paint.composite()[30, 40]
    assert abs(int(once[0]) - 128) <= 2
    drag(canvas, [(20.0, 30.0), (60.0, 30.0)])  # a second stroke lays another half over it
    assert abs(int(paint.composite()[30, 40][0]) - 64) <= 2


def test_eraser_and_right_button_erase(setup):
    canvas, paint = setup
    paint.settings.set(colour=QColor(255, 0, 0), size=30, hardness=1.0)
    drag(canvas, [(30.0, 50.0), (170.0, 50.0)])
    paint.settings.set(size=6)
    drag(canvas, [(50.0, 50.0), (50.0, 51.0)], Qt.RightButton)
    assert tuple(paint.composite()[50, 50]) == (255, 255, 255)  # erased down to the image
    paint.choose(PaintMode.ERASER)
    drag(canvas, [(150.0, 50.0), (150.0, 51.0)])
    assert tuple(paint.composite()[50, 150]) == (0, 128, 0)
    assert tuple(paint.composite()[50, 100]) == (255, 0, 0)
    assert canvas.undo_stack.count() == 3


def test_picker_takes_the_colour_of_the_picture(setup):
    canvas, paint = setup
    paint.choose(PaintMode.PICKER)
    drag(canvas, [(150.0, 20.0)])
    assert paint.settings.colour == QColor(0, 128, 0) and paint.settings.mode is PaintMode.BRUSH
    paint.settings.set(colour=QColor(255, 0, 255), size=10)
    drag(canvas, [(30.0, 30.0), (40.0, 30.0)])
    _send(canvas, QEvent.MouseButtonPress, (35.0, 30.0), modifiers=Qt.ControlModifier)  # Ctrl+click picks
    _send(canvas, QEvent.MouseButtonRelease, (35.0, 30.0))
    assert paint.settings.colour == QColor(255, 0, 255)


def test_fill_covers_the_connected_area_of_similar_colour(setup):
    canvas, paint = setup
    paint.settings.set(colour=QColor(250, 200, 0), opacity=1.0)
    paint.choose(PaintMode.FILL)
    drag(canvas, [(20.0, 20.0)])
    out = paint.composite()
    assert tuple(out[90, 95]) == (250, 200, 0) and tuple(out[20, 150]) == (0, 128, 0)  # stopped at the edge
    assert canvas.undo_stack.count() == 1
    canvas.undo_stack.undo()
    assert paint.layer.is_empty()


def test_paint_and_mask_share_one_undo_stack_and_the_layer_follows_the_image_size(setup):
    canvas, paint = setup
    mask = MaskController(canvas)
    paint.settings.set(size=10)
    drag(canvas, [(20.0, 20.0), (40.0, 20.0)])
    mask.set_painting(True)
    assert not paint.painting()
    drag(canvas, [(20.0, 60.0), (40.0, 60.0)])
    assert canvas.undo_stack.count() == 2 and mask.has_mask()
    canvas.undo_stack.undo()  # the mask stroke
    assert not mask.has_mask() and not paint.layer.is_empty()
    canvas.undo_stack.undo()  # the paint stroke
    assert paint.layer.is_empty()
    canvas.set_image(to_qimage(np.zeros((50, 60, 3), np.uint8)))
    assert (paint.layer.width, paint.layer.height) == (60, 50)


def test_a_mouse_has_full_pressure(setup):
    canvas, _paint = setup
    vp = canvas.viewport()
    ev = QMouseEvent(QEvent.MouseMove, QPointF(5, 5), QPointF(vp.mapToGlobal(QPointF(5, 5).toPoint())), Qt.NoButton, Qt.LeftButton, Qt.NoModifier)
    assert pressure_of(ev) == 1.0


def test_pen_pressure_from_tablet_events_thins_the_stroke(setup):
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent

    canvas, paint = setup
    paint.settings.set(colour=QColor(0, 0, 0), size=20, hardness=1.0)
    vp = canvas.viewport()
    pen = QPointingDevice("test pen", 4242, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)

    def tablet(kind, pt, pressure):
        pos = QPointF(canvas.mapFromScene(QPointF(*pt)))
        ev = QTabletEvent(kind, pen, pos, QPointF(vp.mapToGlobal(pos.toPoint())), pressure, 0.0, 0.0, 0.0, 0.0, 0.0,
                          Qt.NoModifier, Qt.LeftButton, Qt.LeftButton)
        QApplication.sendEvent(vp, ev)

    tablet(QEvent.TabletPress, (30.0, 50.0), 0.25)  # a light touch: the mouse events Qt makes from it follow
    drag(canvas, [(30.0, 50.0), (70.0, 50.0)])
    tablet(QEvent.TabletRelease, (70.0, 50.0), 0.0)
    column = paint.layer.rgba()[:, 50, 3]
    light = int((column > 0).sum())
    assert 3 <= light <= 8  # about a quarter of the 20 px brush
    drag(canvas, [(130.0, 50.0), (170.0, 50.0)])  # the pen is up: a mouse has full pressure
    heavy = int((paint.layer.rgba()[:, 150, 3] > 0).sum())
    assert heavy >= 18


def test_the_kept_composite_and_the_changed_rectangles_follow_every_edit(setup):
    canvas, paint = setup
    first = paint.composite()
    seq = paint.seq
    assert paint.changed_since(seq) is None
    paint.settings.set(colour=QColor(9, 9, 9), size=6, hardness=1.0)
    drag(canvas, [(20.0, 20.0), (30.0, 24.0)])
    rect = paint.changed_since(seq)
    x0, y0, x1, y1 = rect
    assert x0 <= 17 and y0 <= 17 and x1 >= 33 and y1 >= 27 and x1 - x0 < 30  # the stroke's rectangle only
    from studio.ui.images import from_qimage
    from studio.ui.paint_layer import composite

    fresh = composite(from_qimage(canvas.current_image()), paint.layer)
    assert np.array_equal(paint.composite(), fresh) and not np.array_equal(fresh, first)
    diff = np.argwhere((fresh != first).any(axis=2))
    assert diff[:, 1].min() >= x0 and diff[:, 1].max() < x1 and diff[:, 0].min() >= y0 and diff[:, 0].max() < y1
    canvas.undo_stack.undo()
    assert np.array_equal(paint.composite(), first)
    seq = paint.seq
    canvas.set_image(to_qimage(np.zeros((100, 200, 3), np.uint8)))
    assert paint.changed_since(seq) == (0, 0, 200, 100)  # a new image: everything
