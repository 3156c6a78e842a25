"""The style-transfer thread: a worker QObject in its own QThread runs :func:`studio.engine.style.stylize`.

Like the generator thread, it hands the GUI plain data only: every iteration's
losses (none are dropped, the loss curve needs them all) and the newest preview
(older ones not yet shown are dropped), posted with one ``step_ready`` signal
until the GUI takes them. The result is saved to the gallery on this thread.
Cancel is a :class:`~studio.engine.events.CancelFlag` the engine checks every iteration.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.engine.errors import GenerationCancelled, StudioError
from studio.engine.events import CancelFlag


@dataclass
class StyleJob:
    content: np.ndarray = field(repr=False)
    style: np.ndarray = field(repr=False)
    settings: object  # StyleSettings
    mask: np.ndarray | None = field(default=None, repr=False)
    cancel: CancelFlag = field(default_factory=CancelFlag)


@dataclass(frozen=True)
class StepBatch:
    """What the GUI takes from the mailbox: the losses since the last take and the newest preview."""

    losses: list[tuple[int, float, float, float]]  # (iteration, content, style, total)
    iteration: int
    total: int
    elapsed: float
    preview: np.ndarray | None


class StyleWorker(QObject):
    started = Signal()
    step_ready = Signal()  # take the steps with take_steps()
    finished = Signal(object)  # StyleResult
    saved = Signal(object)  # GalleryEntry
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._losses: list[tuple[int, float, float, float]] = []
        self._latest = None
        self._posted = False
        self._library = None

    def _on_step(self, step) -> None:
        with self._lock:
            self._losses.append((step.iteration, step.content_loss, step.style_loss, step.total_loss))
            self._latest = step
            if self._posted:
                return
            self._posted = True
        self.step_ready.emit()

    def take_steps(self) -> StepBatch | None:
        """Called on the GUI thread."""
        with self._lock:
            latest, losses = self._latest, self._losses
            self._latest, self._losses, self._posted = None, [], False
        if latest is None:
            return None
        return StepBatch(losses, latest.iteration, latest.total, latest.elapsed, latest.preview)

    @Slot(object)
    def run(self, job: StyleJob) -> None:
        from studio.engine.style import stylize

        self.started.emit()
        try:
            result = stylize(job.content, job.style, job.settings, mask=job.mask, on_step=self._on_step, cancel=job.cancel)
        except GenerationCancelled:
            self.cancelled.emit()
            return
        except StudioError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown in the status bar, traceback on stderr
            traceback.print_exc()
            self.failed.emit(f"Style transfer failed: {exc}")
            return
        if job.cancel.is_set():
            self.cancelled.emit()
            return
        self.finished.emit(result)
        self._save(result, job)

    def _save(self, result, job) -> None:
        try:
            from studio.engine.style import meta
            from studio.library import Library
            from studio.library.add_file import add_png

            if self._library is None:
                self._library = Library.open()
            data = meta.encode_png(result, job.content, job.style)
            self.saved.emit(add_png(self._library, data, meta.file_stem(result)))
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            self.failed.emit(f"Could not save to the gallery: {exc}")

    @Slot()
    def finish(self) -> None:
        lib, self._library = self._library, None
        if lib is not None:
            lib.close()
        QThread.currentThread().quit()


class StyleThread(QObject):
    """What the GUI talks to: ``submit(job)``, ``cancel()``, ``busy()``, ``shutdown()``."""

    _run = Signal(object)
    _finish = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("style")
        self.worker = StyleWorker()
        self.worker.moveToThread(self.thread)
        self._run.connect(self.worker.run)
        self._finish.connect(self.worker.finish)
        self.job: StyleJob | None = None
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._done)
        self.worker.cancelled.connect(self._done)
        self.thread.start(QThread.LowPriority)

    def _done(self, *_args) -> None:
        self.job = None

    def submit(self, job: StyleJob) -> bool:
        if self.job is not None:
            return False
        self.job = job
        self._run.emit(job)
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()

    def busy(self) -> bool:
        return self.job is not None

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        self.cancel()
        self._finish.emit()
        return self.thread.wait(timeout_ms)
