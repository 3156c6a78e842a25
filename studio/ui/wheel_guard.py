"""The mouse wheel scrolls a panel, not the field under the pointer.

In a scrolling panel (the Parameters, Mask and Live docks), Qt's spin boxes,
combo boxes and sliders take every wheel event that passes over them: scrolling
the panel changes the brush hardness or the CFG on the way. Here such a field
takes the wheel only once it has focus (clicked or tabbed into); otherwise the
wheel goes to the panel around it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar, QWidget

FIELDS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QObject):
    """Event filter on the fields of scrolling panels: an unfocused field passes the wheel on."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() != QEvent.Wheel or not isinstance(obj, QWidget) or obj.hasFocus():
            return False
        area = _scroll_area(obj)
        if area is None:
            return False
        QApplication.sendEvent(area.verticalScrollBar(), event)
        return True


def install(root: QWidget, guard: WheelGuard | None = None) -> WheelGuard:
    """Guard every field under ``root`` that sits in a scroll area (call again after adding panels)."""
    guard = guard or WheelGuard(root)
    for field in root.findChildren(QWidget):
        if not isinstance(field, FIELDS) or isinstance(field, QScrollBar) or _scroll_area(field) is None:
            continue
        if field.property("_wheel_guarded"):
            continue
        field.setProperty("_wheel_guarded", True)
        field.setFocusPolicy(Qt.StrongFocus)  # a wheel does not give focus
        field.installEventFilter(guard)
    return guard
