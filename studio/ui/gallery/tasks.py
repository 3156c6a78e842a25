"""BackgroundTask: a function run on a thread pool, its result or a one-line error sent back as a signal."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(str)


class BackgroundTask(QRunnable):
    """Runs ``fn`` off the GUI thread; ``signals.done(result)`` or ``signals.failed(message)``."""

    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _TaskSignals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # noqa: BLE001 - reported to the user as one line
            if not isinstance(exc, (OSError, ValueError)) and type(exc).__module__.split(".")[0] != "studio":
                traceback.print_exc()
            self.signals.failed.emit(str(exc) or type(exc).__name__)
            return
        self.signals.done.emit(result)


__all__ = ["BackgroundTask"]
