"""The wheel over a panel's fields scrolls the panel; a focused field still takes it (pytest-qt, real window)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from studio.ui.wheel_guard import _scroll_area

pytestmark = pytest.mark.filterwarnings("ignore")


def _wheel(widget, down: bool = True) -> None:
    pos = QPointF(widget.rect().center())
    delta = QPoint(0, -120 if down else 120)
    ev = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(), delta, Qt.NoButton, Qt.NoModifier,
                     Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_wheel_over_an_unfocused_field_scrolls_the_dock(qtbot):
    from studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1280, 500)  # short: the Live dock scrolls
    window.show()
    qtbot.waitExposed(window)
    hardness = window.live_panel.hardness
    area = _scroll_area(hardness)
    assert isinstance(area, QScrollArea)
    bar = area.verticalScrollBar()
    bar.setMaximum(max(bar.maximum(), 500))
    bar.setValue(0)
    before = hardness.value()
    _wheel(hardness)
    assert hardness.value() == before, "the wheel passing over the field left it alone"
    assert bar.value() > 0, "and scrolled the panel instead"
    hardness.setFocus()
    qtbot.waitUntil(hardness.hasFocus, timeout=2000)
    _wheel(hardness, down=False)
    assert hardness.value() != before, "a focused field still takes the wheel"
    window.close()
