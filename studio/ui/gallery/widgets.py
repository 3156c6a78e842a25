"""Small widgets the gallery shares: a label that elides instead of widening its dock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    """One line of text cut with "…" to the width it is given; the whole text is its tooltip.

    Its size hint never asks for the text's width, so a long message cannot push a dock wider.
    """

    def __init__(self, text: str = "", parent=None, **kwargs):
        super().__init__("", parent, **kwargs)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(0)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = " ".join((text or "").split())
        self.setToolTip(text if self._full else "")
        self._elide()

    def full_text(self) -> str:
        return self._full

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        super().setText(self.fontMetrics().elidedText(self._full, Qt.ElideRight, width) if width else self._full)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()


__all__ = ["ElidedLabel"]
