"""The full gallery view: one key (Ctrl+G, or View > Gallery view) gives the whole window to the gallery.

The canvas and the other docks step aside; the gallery panel, now wide, puts its
detail panel beside the grid and shows the board list. The same key brings
the previous layout back exactly. The window's saved
layout is never the full view: it is left before the window closes.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow

SHORTCUT = "Ctrl+G"


class FullGalleryView(QObject):
    def __init__(self, window: QMainWindow, dock: QDockWidget):
        super().__init__(window)
        self.window, self.dock = window, dock
        self._saved: QByteArray | None = None
        self._boards_were_shown = False
        self.action = QAction("&Gallery view", window, checkable=True, objectName="galleryView")
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setShortcutContext(Qt.ApplicationShortcut)  # also from a floating gallery
        self.action.setToolTip(f"Give the whole window to the gallery ({SHORTCUT})")
        self.action.toggled.connect(self.set_active)
        window.addAction(self.action)
        menu = getattr(window, "view_menu", None)
        if menu is not None:
            menu.addAction(self.action)
        window.installEventFilter(self)

    def is_active(self) -> bool:
        return self._saved is not None

    def set_active(self, on: bool) -> None:
        if on == self.is_active():
            return
        w = self.window
        panel = self.dock.widget()
        boards = getattr(getattr(panel, "filter_bar", None), "boards_button", None)
        if on:
            self._saved = w.saveState()
            self._boards_were_shown = bool(boards and boards.isChecked())
            for dock in w.findChildren(QDockWidget):
                if dock is not self.dock and dock.parent() is w:
                    dock.hide()
            if self.dock.isFloating():
                self.dock.setFloating(False)
            self.dock.show()
            w.centralWidget().hide()
            if boards is not None:
                boards.setChecked(True)
            view = getattr(panel, "view", None)
            if view is not None:
                view.setFocus()
        else:
            w.centralWidget().show()
            saved, self._saved = self._saved, None
            w.restoreState(saved)
            if boards is not None:
                boards.setChecked(self._boards_were_shown)
        if self.action.isChecked() != on:
            self.action.setChecked(on)

    def toggle(self) -> None:
        self.set_active(not self.is_active())

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Close and self.is_active():
            self.set_active(False)  # the layout saved at close is the normal one
        return False


__all__ = ["SHORTCUT", "FullGalleryView"]
