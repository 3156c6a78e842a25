"""Thumbnails for the grid, loaded off the GUI thread, most recently asked for first.

The delegate asks for the thumbnails of the cells it paints (only visible
cells are painted). Requests go on a stack so the cells on screen now are
served before the ones scrolled past; :meth:`ThumbnailLoader.retain` drops
requests for cells no longer visible. Work runs on a QThreadPool; finished
thumbnails come back to the GUI thread as QImages through a queued signal.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from studio.library.thumbnails import ThumbnailCache


def pil_to_qimage(im: Image.Image) -> QImage:
    """A QImage owning a copy of a PIL image's pixels (safe in any thread)."""
    if im.mode != "RGBA":
        im = im.convert("RGBA")
    data = im.tobytes("raw", "RGBA")
    qimg = QImage(data, im.width, im.height, im.width * 4, QImage.Format_RGBA8888)
    return qimg.copy()


class _Drain(QRunnable):
    def __init__(self, loader: ThumbnailLoader):
        super().__init__()
        self.loader = loader
        self.setAutoDelete(True)

    def run(self) -> None:
        self.loader._drain()


class ThumbnailLoader(QObject):
    """Makes/loads cached thumbnails in a thread pool; emits ``loaded(id, QImage)`` or ``failed(id)``."""

    loaded = Signal(int, QImage)
    failed = Signal(int)

    def __init__(self, cache: ThumbnailCache, workers: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.cache = cache
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, workers))
        self._lock = threading.Lock()
        self._stack: list[tuple[int, Path]] = []
        self._queued: set[int] = set()
        self._running = 0
        self._closed = False

    def request(self, image_id: int, path: Path) -> None:
        with self._lock:
            if self._closed:
                return
            if image_id in self._queued:
                # already waiting: move it to the top of the stack (it is visible again)
                for i in range(len(self._stack) - 1, -1, -1):
                    if self._stack[i][0] == image_id:
                        self._stack.append(self._stack.pop(i))
                        break
                return
            self._queued.add(image_id)
            self._stack.append((image_id, path if isinstance(path, Path) else Path(path)))
            start = self._running < self.pool.maxThreadCount()
            if start:
                self._running += 1
        if start:
            self.pool.start(_Drain(self))

    def retain(self, visible_ids: set[int]) -> None:
        """Forget queued requests for cells that scrolled out of view."""
        with self._lock:
            keep = [(i, p) for i, p in self._stack if i in visible_ids]
            dropped = {i for i, _p in self._stack} - {i for i, _p in keep}
            self._stack = keep
            self._queued -= dropped

    def pending(self) -> int:
        with self._lock:
            return len(self._stack) + self._running

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._stack or self._closed:
                    self._running -= 1
                    return
                image_id, path = self._stack.pop()
            try:
                qimg = pil_to_qimage(self.cache.load(path))
            except Exception:  # noqa: BLE001 - a broken or vanished file: the cell shows it
                with self._lock:
                    self._queued.discard(image_id)
                if not self._closed:
                    self.failed.emit(image_id)
                continue
            with self._lock:
                self._queued.discard(image_id)
            if not self._closed:
                self.loaded.emit(image_id, qimg)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stack.clear()
            self._queued.clear()
        self.pool.clear()
        self.pool.waitForDone(5000)
