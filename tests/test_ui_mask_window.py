"""Mask painting attached to the studio window through its public hooks (no engine run)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.engine.request import GenerationRequest, InpaintArea, Mode
from studio.ui.images import to_qimage

pytestmark = pytest.mark.filterwarnings("ignore")


def _drag(canvas, points):
    vp = canvas.viewport()
    for i, (x, y) in enumerate(points):
        pos = QPointF(canvas.mapFromScene(QPointF(x, y)))
        kind = QEvent.MouseButtonPress if i == 0 else QEvent.MouseMove
        ev = QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), Qt.LeftButton if i == 0 else Qt.NoButton, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(vp, ev)
    pos = QPointF(canvas.mapFromScene(QPointF(*points[-1])))
    QApplication.sendEvent(vp, QMouseEvent(QEvent.MouseButtonRelease, pos, QPointF(vp.mapToGlobal(pos.toPoint())), Qt.LeftButton, Qt.NoButton, Qt.NoModifier))


def test_window_hooks_paint_and_build_an_inpaint_request(qtbot):
    from studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    ctl = window.masking  # attached by the window itself (attach_to_window)
    assert window.mask_dock.widget().widget() is ctl.panel  # in a scroll area
    img = np.zeros((96, 128, 3), np.uint8)
    img[..., 1] = 200
    window.canvas.set_image(to_qimage(img))
    window.params.set_mode(Mode.INPAINT)
    assert window.canvas.tool() is ctl.tool, "switching to Inpaint turns mask painting on"
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(64, 48)
    ctl.settings.size = 10
    _drag(window.canvas, [(40.0, 40.0), (60.0, 45.0), (80.0, 40.0)])
    assert ctl.mask.data[42, 60] == 255
    # the window's hook gives the mask, and the init image is the canvas image it was painted on
    mask = window.mask_provider()
    assert (mask == ctl.mask.data).all()
    assert (window.params.init_image() == img).all()
    values = window.params.values()
    request = GenerationRequest(
        prompt="a red star", init_image=window.params.init_image(), mask=mask, **{**values, "mode": Mode.INPAINT}
    )
    ctl.panel.area_combo.setCurrentIndex(1)
    ctl.panel.blur_spin.setValue(7)
    full = ctl.apply_to_request(request)
    assert full.mode is Mode.INPAINT and full.inpaint_area is InpaintArea.ONLY_MASKED and full.mask_blur == 7
    assert full.strength == request.strength, "strength stays the parameters panel's"
    assert (full.init_image == img).all()
    window.params.set_mode(Mode.TXT2IMG)
    assert window.canvas.tool() is None
    # repeat an inpaint: a saved mask goes back on the canvas, undoably
    saved = np.zeros((96, 128), np.uint8)
    saved[10:20, 10:30] = 255
    assert ctl.load_mask(saved)
    assert (ctl.mask.data == saved).all()
    window.canvas.undo_stack.undo()
    assert ctl.mask.data[42, 60] == 255


def test_generate_takes_the_paint_into_an_inpaint_and_an_img2img_of_the_canvas(qtbot):
    """Paint then Generate: the job sees what the canvas shows (paint baked into the image, one undo step,
    the mask kept); undo brings the paint layer back."""
    from PySide6.QtGui import QColor

    from studio.ui.main_window import MainWindow
    from studio.ui.paint_tools import PaintMode

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    img = np.full((96, 128, 3), 255, np.uint8)
    window.canvas.set_image(to_qimage(img))
    original = window.canvas.current_image()
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(64, 48)
    paint, masking = window.paint, window.masking
    paint.choose(PaintMode.BRUSH)
    paint.settings.set(colour=QColor(220, 20, 20), size=12, hardness=1.0, opacity=1.0)
    _drag(window.canvas, [(30.0, 40.0), (60.0, 40.0), (90.0, 40.0)])
    assert not paint.layer.is_empty()
    window.params.set_mode(Mode.INPAINT)
    masking.settings.size = 30
    _drag(window.canvas, [(30.0, 40.0), (90.0, 40.0)])
    mask = masking.mask.data.copy()
    assert mask[40, 60] == 255

    request = window.build_request()
    assert request.mode is Mode.INPAINT
    assert tuple(request.init_image[40, 60]) == (220, 20, 20), "the inpaint's init holds the paint"
    assert tuple(request.init_image[5, 5]) == (255, 255, 255)
    assert paint.layer.is_empty(), "the paint went into the picture"
    assert window.canvas.current_image() is not original
    assert (masking.mask.data == mask).all(), "the mask stays with the picture"
    window.canvas.undo_stack.undo()
    assert window.canvas.current_image() is original and not paint.layer.is_empty()
    assert (paint.composite()[40, 60] == (220, 20, 20)).all()

    # img2img of the canvas picture: the same
    window.params.set_init_image(img.copy(), original, switch_mode=False)
    window.params.set_mode(Mode.IMG2IMG)
    request = window.build_request()
    assert request.mode is Mode.IMG2IMG and tuple(request.init_image[40, 60]) == (220, 20, 20)
    assert paint.layer.is_empty() and (window.params.init_image() == request.init_image).all()
    window.canvas.undo_stack.undo()
    # an init image that is another picture: the canvas paint is not part of it
    other = np.zeros((96, 128, 3), np.uint8)
    window.params.set_init_image(other, to_qimage(other), switch_mode=False)
    request = window.build_request()
    assert (request.init_image == 0).all() and not paint.layer.is_empty()
    window.close()
