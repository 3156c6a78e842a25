"""The job queue between the GUI and the worker thread (Qt-free, thread-safe).

The GUI adds, reorders and removes waiting jobs; the worker thread takes the
next one with :meth:`JobQueue.take`. Each job carries its own
:class:`CancelFlag`, so cancelling the running job is a flag set from the GUI
thread, read by the engine after every step.

Live-painting jobs (``live=True``, :mod:`studio.ui.live_mode`) run through the
same queue and worker but are not the user's queue: :meth:`JobQueue.waiting`
leaves them out, changes to them do not call ``on_change`` (the queue panel
would redraw 60 times a second while painting), and the worker does not save
their images.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studio.engine.events import CancelFlag
from studio.engine.request import GenerationRequest

WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"

_ids = itertools.count(1)


@dataclass
class Job:
    request: GenerationRequest
    id: int = field(default_factory=lambda: next(_ids))
    state: str = WAITING
    cancel: CancelFlag = field(default_factory=CancelFlag, repr=False)
    hires: Any = None  # a studio.engine.hires.HiresOptions: a hires fix after each first pass
    live: bool = False  # a live-painting update: not listed, not saved

    def summary(self) -> str:
        r = self.request
        prompt = r.prompt if len(r.prompt) <= 48 else r.prompt[:47] + "…"
        size = f"{r.width}x{r.height}" if r.width and r.height else "native size"
        batch = f" x{r.batch_size}" if r.batch_size > 1 else ""
        hires = f" · hires x{self.hires.scale:g}" if self.hires is not None else ""
        return f"{prompt or r.mode.value} · {r.steps} steps · {size}{batch}{hires}"


class JobQueue:
    """Waiting jobs in order, plus the one running. ``on_change`` is called after every change."""

    def __init__(self, on_change: Callable[[], None] | None = None):
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._running: Job | None = None
        self.on_change = on_change

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- GUI side -----------------------------------------------------------------------

    def add(self, request: GenerationRequest, hires: Any = None, live: bool = False) -> Job:
        job = Job(request, hires=hires, live=live)
        with self._lock:
            self._waiting.append(job)
        if not live:
            self._changed()
        return job

    def remove(self, job_id: int) -> bool:
        """Drop a waiting job. The running one is cancelled with :meth:`cancel_running` instead."""
        with self._lock:
            for i, job in enumerate(self._waiting):
                if job.id == job_id:
                    del self._waiting[i]
                    job.state = CANCELLED
                    break
            else:
                return False
        if not job.live:
            self._changed()
        return True

    def restore(self, job: Job, index: int) -> None:
        """Put a removed waiting job back at ``index`` (undo of :meth:`remove`)."""
        with self._lock:
            job.state = WAITING
            self._waiting.insert(max(0, min(index, len(self._waiting))), job)
        self._changed()

    def move(self, job_id: int, index: int) -> bool:
        """Put a waiting job at position ``index`` among the waiting jobs."""
        with self._lock:
            for i, job in enumerate(self._waiting):
                if job.id == job_id:
                    del self._waiting[i]
                    self._waiting.insert(max(0, min(index, len(self._waiting))), job)
                    break
            else:
                return False
        self._changed()
        return True

    def reorder(self, job_ids: list[int]) -> None:
        """Put the waiting jobs in the order of ``job_ids`` (ids not listed keep their place at the end)."""
        with self._lock:
            by_id = {job.id: job for job in self._waiting}
            ordered = [by_id.pop(i) for i in job_ids if i in by_id]
            self._waiting = ordered + [job for job in self._waiting if job.id in by_id]
        self._changed()

    def cancel_running(self) -> Job | None:
        with self._lock:
            job = self._running
        if job is not None:
            job.cancel.set()
        return job

    def clear(self) -> None:
        """Drop all waiting jobs and cancel the running one."""
        with self._lock:
            for job in self._waiting:
                job.state = CANCELLED
            self._waiting.clear()
            running = self._running
        if running is not None:
            running.cancel.set()
        self._changed()

    def waiting(self, live: bool = False) -> list[Job]:
        """The waiting jobs of the user's queue (with ``live``: the waiting live jobs instead)."""
        with self._lock:
            return [job for job in self._waiting if job.live == live]

    def running(self) -> Job | None:
        with self._lock:
            return self._running

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting) + (self._running is not None)

    # -- worker side ----------------------------------------------------------------------

    def take(self) -> Job | None:
        """The next waiting job, now marked running (None when the queue is empty)."""
        with self._lock:
            if self._running is not None or not self._waiting:
                return None
            job = self._waiting.pop(0)
            job.state = RUNNING
            self._running = job
        if not job.live:
            self._changed()
        return job

    def finish(self, job: Job, state: str) -> None:
        with self._lock:
            job.state = state
            if self._running is job:
                self._running = None
        if not job.live:
            self._changed()
