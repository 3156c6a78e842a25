"""The real main window for an in-process UI benchmark: a fresh STUDIO_HOME, the qasync loop, clean teardown."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def wait(cond: Callable[[], bool], timeout: float) -> bool:
    """Run the Qt event loop until ``cond()`` (sleeping in Qt, so other threads get the GIL)."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(10, loop.quit)
        loop.exec()
    return cond()


@contextmanager
def bench_window(model: str | None = None) -> Iterator[tuple[object, object]]:
    """``(app, window)``: a MainWindow on ``model`` (offscreen without a display) in a temporary STUDIO_HOME,
    not yet shown; closed afterwards with the qasync loop and the old STUDIO_HOME put back."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from studio.settings import Settings
    from studio.ui.main_window import MainWindow
    from studio.ui.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(["studio-bench"])
    apply_dark_theme(app)
    old_home = os.environ.get("STUDIO_HOME")
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as home:
        os.environ["STUDIO_HOME"] = home
        window = MainWindow(Settings(), model=model)
        try:
            yield app, window
        finally:
            window.close()
            loop._QEventLoop__is_running = False  # stop() would quit the QApplication's later loops
            asyncio.events._set_running_loop(None)
            loop.close()
            asyncio.set_event_loop(None)
            if old_home is None:
                os.environ.pop("STUDIO_HOME", None)
            else:
                os.environ["STUDIO_HOME"] = old_home
