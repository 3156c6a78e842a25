"""The generator thread: a worker QObject living in a QThread owns the engine.

The GUI thread never touches torch. It puts requests in the :class:`JobQueue`
and pokes the worker; the worker runs jobs one after the other, turns the
engine's events into Qt signals carrying plain data (numpy arrays, dataclasses,
strings) and saves every finished image to the gallery before it picks up the
next job. QImages are made by the receivers, on the GUI thread.

Previews do not queue up: the worker keeps only the newest progress in a
mailbox and posts one ``progress_ready`` signal until the GUI has taken it, so
a busy GUI sees fewer, fresher previews instead of a backlog.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.engine.errors import GenerationCancelled, StudioError
from studio.engine.events import PreviewRegion, Progress, Status
from studio.engine.request import GenerationRequest
from studio.ui.job_queue import CANCELLED, DONE, FAILED, Job, JobQueue
from studio.ui.engine_options import EngineOptions, ProgressUpdate  # noqa: F401  (studio.ui.worker.EngineOptions)


class Worker(QObject):
    model_state = Signal(str, str)  # state ("loading", "ready", "error", "none"), message
    load_phase = Signal(str)  # "importing torch", "importing diffusers", "loading weights", "ready"
    model_loaded = Signal(object)  # ModelInfo
    tokenizer_ready = Signal(object)  # a callable text -> token count, or None
    job_started = Signal(int)
    job_status = Signal(str)  # a phase of the running job ("Hires fix: upscaling to 256x256…")
    progress_ready = Signal()  # take the update with take_progress()
    job_finished = Signal(int, object)  # job id, list[GeneratedImage]
    job_saved = Signal(int, object)  # job id, list of gallery entries
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)
    save_failed = Signal(str)
    queue_changed = Signal()

    def __init__(self, queue: JobQueue, options: EngineOptions):
        super().__init__()
        self.saving = threading.Event()  # set while finished images are being written to the gallery
        self.queue = queue
        self.options = options
        self.engine = None
        self.model_spec: str | None = None
        self._library = None
        self._stopping = False
        self._mail_lock = threading.Lock()
        self._mail: ProgressUpdate | None = None
        self._posted = False
        self._region: tuple[int, int, int, int] | None = None

    # -- slots (run on the worker thread) ---------------------------------------------------

    @Slot(object)
    def start(self, model: str | None) -> None:
        """Import the engine, create it and load ``model`` (None = starter model)."""
        # idle torch CPU threads spin only briefly, leaving the cores to the GUI
        # (read when torch's OpenMP starts, i.e. on the import below)
        from studio.engine.quiet import limit_openmp_spinning

        limit_openmp_spinning()
        _lower_thread_priority()
        self.model_state.emit("loading", "Loading engine…")
        try:
            self.load_phase.emit("importing torch")
            import torch  # noqa: F401  the biggest single import, done first and once

            self.load_phase.emit("importing diffusers")
            self._make_engine()
        except Exception as exc:  # a broken install: say so instead of dying silently
            self.model_state.emit("error", f"The engine could not start: {exc}")
            return
        from studio.engine.provenance.sealing import warm_up

        warm_up()  # signing libraries and certificate now, not while a picture is being made
        self.load_model(model)

    @Slot(object)
    def load_model(self, model: str | None) -> None:
        self.model_spec = model
        if self.engine is None:
            return
        from studio.engine.errors import NoModelInstalled

        self.load_phase.emit("loading weights")
        try:
            info = self.engine.load(model, on_event=self._on_status)
        except NoModelInstalled as exc:
            self.model_state.emit("none", str(exc))
            return
        except StudioError as exc:
            self.model_state.emit("error", str(exc))
            return
        except Exception as exc:
            self.model_state.emit("error", f"Could not load the model: {exc}")
            return
        self.model_loaded.emit(info)
        self.load_phase.emit("ready")
        self.model_state.emit("ready", f"{info.name} ready · {info.native_width}x{info.native_height}")
        try:
            tok = self.engine.tokenizer(model)
        except Exception:
            tok = None
        self.tokenizer_ready.emit(_counting(tok) if tok is not None else None)

    @Slot(object)
    def apply_options(self, options: EngineOptions) -> None:
        """New device/dtype recreate the engine (and reload the model); preview_every applies at once."""
        old, self.options = self.options, options
        if self.engine is None:
            return
        if _engine_key(old) != _engine_key(options):
            close = getattr(self.engine, "close", None)  # a remote engine's event socket
            if close is not None:
                close()
            self.engine = None
            self.start(self.model_spec)
        else:
            self.engine.settings.preview_every = options.preview_every
            self.engine.settings.preview_method = options.preview_method
            self.engine.settings.preview_vae_every = options.preview_vae_every

    @Slot()
    def drain(self) -> None:
        """Run waiting jobs until the queue is empty."""
        while not self._stopping:
            job = self.queue.take()
            if job is None:
                return
            self._run(job)

    # -- internals --------------------------------------------------------------------------

    def _make_engine(self) -> None:
        if self.options.server_url:  # the same interface, events and errors, on a server
            from studio.server.client import RemoteEngine

            self.engine = RemoteEngine(self.options.server_url, self.options.server_token or None,
                                       preview_every=self.options.preview_every)
            return
        from studio.engine.generator import Engine, EngineSettings

        self.engine = Engine(
            EngineSettings(
                device=self.options.device, dtype=self.options.dtype, preview_every=self.options.preview_every,
                preview_method=self.options.preview_method, preview_vae_every=self.options.preview_vae_every,
            )
        )

    def _on_status(self, event) -> None:
        if isinstance(event, Status):
            state = "loading" if event.state in ("loading", "downloading") else event.state
            self.model_state.emit(state, event.message)

    def _run(self, job: Job) -> None:
        self.job_started.emit(job.id)
        if self.engine is None:
            try:
                self._make_engine()
            except Exception as exc:
                self.queue.finish(job, FAILED)
                self.job_failed.emit(job.id, f"The engine could not start: {exc}")
                return

        self._region = None

        def on_event(event) -> None:
            if isinstance(event, Progress):
                self._post_progress(job.id, event)
            elif isinstance(event, PreviewRegion):
                self._region = event.box
            elif isinstance(event, Status) and event.state in ("upscaling", "hires"):
                self.job_status.emit(event.message)  # the job's phase, not the model's state
            elif isinstance(event, Status):
                self._on_status(event)

        try:
            if job.hires is not None:
                from studio.engine.hires import generate_hires

                images = generate_hires(self.engine, job.request, job.hires, on_event=on_event, cancel=job.cancel)
            else:
                images = self.engine.generate(job.request, on_event=on_event, cancel=job.cancel)
        except GenerationCancelled:
            self.queue.finish(job, CANCELLED)
            self.job_cancelled.emit(job.id)
            return
        except StudioError as exc:
            self.queue.finish(job, FAILED)
            self.job_failed.emit(job.id, str(exc))
            return
        except Exception as exc:
            traceback.print_exc()
            self.queue.finish(job, FAILED)
            self.job_failed.emit(job.id, f"Generation failed: {exc}")
            return
        finally:
            if not job.live:  # a live job's last preview is still wanted (it stopped right after it)
                with self._mail_lock:
                    self._mail = None
        if job.cancel.is_set():  # cancelled after the last step: keep the promise, show nothing
            self.queue.finish(job, CANCELLED)
            self.job_cancelled.emit(job.id)
            return
        if job.live:  # a live-painting update: shown, saved only if the user applies it
            self.queue.finish(job, DONE)
            self.job_finished.emit(job.id, images)
            return
        self.saving.set()  # from here the images are the user's: quitting waits for them
        try:
            self.job_finished.emit(job.id, images)
            entries = self._save(images)
        finally:
            self.saving.clear()
        self.queue.finish(job, DONE)
        if entries:
            self.job_saved.emit(job.id, entries)

    def _save(self, images) -> list:
        """Add each image to the gallery; what it cannot take is kept in a fallback folder (and said)."""
        entries, left, error = [], [], None
        for img in images:
            try:
                if self._library is None:
                    from studio.library import Library

                    self._library = Library.open()
                entries.append(self._library.add_generated(img))
            except Exception as exc:
                if not isinstance(exc, OSError):
                    traceback.print_exc()
                error = exc
                if not getattr(exc, "kept_at", None):
                    left.append(img)
        if error is not None:
            self.save_failed.emit(_kept_elsewhere(left, error))
        return entries

    def _post_progress(self, job_id: int, p: Progress) -> None:
        now = time.perf_counter()
        with self._mail_lock:
            old = self._mail
            if p.preview is not None or old is None:
                preview, posted_at = p.preview, now
            else:  # a step without a preview keeps the newest one not yet shown
                preview, posted_at = old.preview, old.posted_at
            self._mail = ProgressUpdate(
                job_id=job_id,
                step=p.image_index * p.total + p.step,
                total=p.total * p.batch_size,
                image_index=p.image_index,
                batch_size=p.batch_size,
                elapsed=p.elapsed,
                eta=p.eta,
                preview=preview,
                posted_at=posted_at,
                box=self._region,
            )
            if self._posted:
                return  # the GUI has not taken the last one yet: it will see this newer one
            self._posted = True
        self.progress_ready.emit()

    # -- called from the GUI thread ---------------------------------------------------------

    def take_progress(self) -> ProgressUpdate | None:
        with self._mail_lock:
            update, self._mail, self._posted = self._mail, None, False
        return update

    def stop(self) -> None:
        self._stopping = True

    @Slot()
    def finish(self) -> None:
        """Close the worker's library connection on its own thread, then end the thread's loop."""
        lib, self._library = self._library, None
        if lib is not None:
            try:
                lib.close()
            except Exception:
                traceback.print_exc()
        QThread.currentThread().quit()


def _kept_elsewhere(images, exc: Exception) -> str:
    """Keep images the gallery could not take (read-only or full disk) in a fallback folder; say where."""
    if not images:  # in the gallery folder already, only its row is missing
        return f"Could not index the image: {exc}"
    from studio.library.fallback import save_elsewhere

    try:
        kept = save_elsewhere(images)
    except OSError as again:
        return f"Could not save to the gallery: {exc} {again} Use File > Save image as… to keep it."
    return f"Could not save to the gallery: {exc} Kept at {kept[0].parent} instead."


def _lower_thread_priority(step: int = 2) -> None:
    """Make this thread (and the torch threads it starts) yield the CPU to the GUI thread.

    On Linux a nice value is per thread and inherited by threads created
    later, so torch's CPU worker threads, started on first use from here, get
    it too. Elsewhere QThread.LowPriority (set at start) does the job.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + step))
    except (OSError, AttributeError):
        pass


def _engine_key(options: EngineOptions) -> tuple:
    """What a new engine is needed for (preview_every applies to the running one)."""
    return options.device, options.dtype, options.server_url, options.server_token


def _counting(tokenizer):
    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count


class GeneratorThread(QObject):
    """What the window talks to: the queue, and a worker on its own QThread.

    ``submit(request)`` queues a job and wakes the worker; ``cancel()`` stops
    the running job within one step; ``shutdown()`` cancels everything and
    waits for the thread (a running save finishes first).
    """

    _start = Signal(object)
    _load = Signal(object)
    _options = Signal(object)
    _wake = Signal()
    _finish = Signal()

    def __init__(self, options: EngineOptions, parent=None):
        super().__init__(parent)
        self.queue = JobQueue()
        self.thread = QThread()
        self.thread.setObjectName("generator")
        self.worker = Worker(self.queue, options)
        self.queue.on_change = self.worker.queue_changed.emit
        self.worker.moveToThread(self.thread)
        self._start.connect(self.worker.start)
        self._load.connect(self.worker.load_model)
        self._options.connect(self.worker.apply_options)
        self._wake.connect(self.worker.drain)
        self._finish.connect(self.worker.finish)
        self.thread.start(QThread.LowPriority)

    def start(self, model: str | None) -> None:
        self._start.emit(model)

    def load_model(self, model: str | None) -> None:
        self._load.emit(model)

    def apply_options(self, options: EngineOptions) -> None:
        self._options.emit(options)

    def submit(self, request: GenerationRequest, hires=None, live: bool = False) -> Job:
        """Queue ``request`` (with ``hires``, a HiresOptions, a hires fix of each image; ``live``: a live update)."""
        job = self.queue.add(request, hires, live=live)
        self._wake.emit()
        return job

    def cancel(self) -> Job | None:
        return self.queue.cancel_running()

    def busy(self) -> bool:
        return len(self.queue) > 0

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel everything and wait for the thread; a save in progress is always waited for."""
        self.worker.stop()
        self.queue.clear()
        self._finish.emit()  # runs after the current job (cancelled above) and its save
        if self.thread.wait(timeout_ms):
            return True
        while self.worker.saving.is_set() and not self.thread.wait(100):
            pass  # finished images are being written: they are never dropped at quit
        return self.thread.wait(0)
