"""Qt's saved window geometry/state (QByteArray) as settings text, and back."""

from __future__ import annotations

import base64

from PySide6.QtCore import QByteArray


def b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text: str) -> QByteArray:
    """The bytes of ``text``; empty for text that is not base64 (a damaged settings file)."""
    try:
        return QByteArray(base64.b64decode(text.encode("ascii")))
    except ValueError:
        return QByteArray()
