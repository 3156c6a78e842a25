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
