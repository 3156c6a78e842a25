"""Canvas shortcuts that work whenever the pointer is over the canvas, whatever has the focus.

Single keys (``[`` ``]`` brush size, B brush, E eraser, R rectangle, L lasso,
H show/hide the mask; while results are staged, Left/Right, Enter,
Backspace and C, see :mod:`studio.ui.staging_window`) used to work only while the canvas had the keyboard
focus, so they died after clicking Clear or Grow, and clicking the canvas to get
the focus back painted a dab. :class:`CanvasShortcuts` is an application-level
event filter with a canvas context: a key press is taken when the pointer is
over the canvas's viewport (or the canvas has the focus), and never while a
text field (line edit, text box, spin box, editable combo) has the focus, so
typing a prompt is never stolen.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

from studio.ui.mask_tools import ToolMode

TEXT_WIDGETS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)
NO_SHORTCUT_MODIFIERS = Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier


def typing_into(widget) -> bool:
    """True when ``widget`` (the focus widget) takes typed text."""
    if widget is None:
        return False
    if isinstance(widget, TEXT_WIDGETS):
        return not (isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit)) and widget.isReadOnly())
    return isinstance(widget, QComboBox) and widget.isEditable()


class CanvasShortcuts(QObject):
    """Keys for the mask tools of ``masking`` (a :class:`studio.ui.mask_controller.MaskController`)."""

    TOOL_KEYS = {Qt.Key_B: ToolMode.BRUSH, Qt.Key_E: ToolMode.ERASER, Qt.Key_R: ToolMode.RECT, Qt.Key_L: ToolMode.LASSO}

    def __init__(self, canvas, masking, parent=None):
        super().__init__(parent or canvas)
        self.canvas = canvas
        self.masking = masking
        self._over = False  # the pointer is over the viewport (enter/leave, mouse moves)
        self.actions: dict[int, Callable[[], None]] = {
            Qt.Key_BracketLeft: masking.settings.smaller,
            Qt.Key_BracketRight: masking.settings.bigger,
            Qt.Key_H: masking.toggle_visible,
        }
        for key, mode in self.TOOL_KEYS.items():
            self.actions[key] = lambda m=mode: self._choose(m)
        self._when: dict[int, Callable[[], bool]] = {}  # keys that apply only while their condition holds
        self._repeat = {Qt.Key_BracketLeft, Qt.Key_BracketRight}  # keys that repeat while held
        canvas.viewport().installEventFilter(self)
        QApplication.instance().installEventFilter(self)
        canvas.destroyed.connect(self._detach)

    def add(self, key: int, action: Callable[[], None], when: Callable[[], bool], repeat: bool = False) -> None:
        """One more key over the canvas, taken only while ``when()`` (e.g. while results are staged)."""
        self.actions[key] = action
        self._when[key] = when
        if repeat:
            self._repeat.add(key)

    def _detach(self, *_args) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def attach_paint(self, paint) -> None:
        """Keys of the paint layer (:class:`studio.ui.paint_controller.PaintController`): P brush,
        I pick the colour under the pointer, F fill; B, E, [ and ] act on the paint tool while it is armed."""
        from studio.ui.paint_tools import PaintMode

        self.paint = paint
        self.actions[Qt.Key_P] = lambda: paint.choose(PaintMode.BRUSH)
        self.actions[Qt.Key_I] = paint.pick_under_pointer
        self.actions[Qt.Key_F] = lambda: paint.choose(PaintMode.FILL)
        mask_smaller, mask_bigger = self.actions[Qt.Key_BracketLeft], self.actions[Qt.Key_BracketRight]
        self.actions[Qt.Key_BracketLeft] = lambda: paint.settings.smaller() if paint.painting() else mask_smaller()
        self.actions[Qt.Key_BracketRight] = lambda: paint.settings.bigger() if paint.painting() else mask_bigger()

    def _choose(self, mode: ToolMode) -> None:
        paint = getattr(self, "paint", None)
        if paint is not None and paint.painting() and mode in (ToolMode.BRUSH, ToolMode.ERASER):
            from studio.ui.paint_tools import PaintMode

            paint.choose(PaintMode.BRUSH if mode is ToolMode.BRUSH else PaintMode.ERASER)
            return
        self.masking.settings.mode = mode
        self.masking.set_painting(True)  # a tool key arms the tool, as clicking its button does

    def pointer_over_canvas(self) -> bool:
        vp = self.canvas.viewport()
        if not vp.isVisible():
            return False
        if self._over:
            return True
        return vp.rect().contains(vp.mapFromGlobal(QCursor.pos())) and vp.window().isActiveWindow()

    def eventFilter(self, obj, event) -> bool:
        if not shiboken6.isValid(self.canvas):  # the window is being torn down
            self._detach()
            return False
        kind = event.type()
        if obj is self.canvas.viewport():
            if kind in (QEvent.Enter, QEvent.MouseMove, QEvent.HoverMove):
                self._over = True
            elif kind == QEvent.Leave:
                self._over = False
            return False
        if kind in (QEvent.Enter, QEvent.MouseMove) and self._over and obj.isWidgetType():
            self._over = False  # the pointer is over another widget now (a Leave can be missed)
            return False
        if kind not in (QEvent.KeyPress, QEvent.ShortcutOverride):
            return False
        if event.modifiers() & NO_SHORTCUT_MODIFIERS or event.key() not in self.actions:
            return False
        if event.key() in self._when and not self._when[event.key()]():
            return False
        if not obj.isWidgetType() or obj.window() is not self.canvas.window():
            return False
        focus = QApplication.focusWidget()
        if typing_into(focus):
            return False
        if not (self.pointer_over_canvas() or focus is self.canvas):
            return False
        if kind == QEvent.ShortcutOverride:
            event.accept()  # ours: no menu shortcut takes it
            return True
        if not event.isAutoRepeat() or event.key() in self._repeat:
            self.actions[event.key()]()
        return True
