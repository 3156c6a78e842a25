"""An inline message area above the canvas: errors and notices that stay until dismissed.

Status-bar messages vanished after a few seconds and hid the model label; a
failed job or a request that cannot run is now said here, in words, with a close
button, and stays until the user dismisses it (or the next generation starts
cleanly, for notices).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

KINDS = {
    "error": ("#4a2226", "#ff8a8a"),
    "info": ("#223449", "#a9cbff"),
}


class MessageBar(QFrame):
    """``show_error(text)`` / ``show_info(text)``; ``dismiss()`` hides it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.kind = ""
        self.label = QLabel("", objectName="messageText", wordWrap=True)
        self.label.setTextFormat(Qt.PlainText)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.close_button = QToolButton(text="✕", objectName="dismissMessage", toolTip="Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button, 0, Qt.AlignTop)
        self.setVisible(False)

    def show_error(self, text: str) -> None:
        self._show("error", text)

    def show_info(self, text: str) -> None:
        self._show("info", text)

    def _show(self, kind: str, text: str) -> None:
        self.kind = kind
        background, colour = KINDS[kind]
        self.setStyleSheet(
            f"QFrame#messageBar {{ background: {background}; border-radius: 3px; }}"
            f" QLabel#messageText {{ color: {colour}; }}"
        )
        self.label.setText(text)
        self.setVisible(True)

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self.kind = ""
        self.setVisible(False)

    def dismiss_info(self) -> None:
        """Hide a notice (not an error: errors stay until the user closes them)."""
        if self.kind == "info":
            self.dismiss()
