"""Live painting: img2img of the canvas re-run on every change, the newest state winning.

Event-driven, never polling: the paint layer's ``changed``, the canvas's
``image_changed``, the prompt's ``changed`` and the live settings all call
:meth:`LiveMode.touch`, which starts a zero-delay single-shot timer, so every
change made in one pass of the event loop becomes one snapshot. A snapshot is
the composite (image + paint) as numpy plus the request built from it; it goes
to the window's one worker thread as a *live* job (not listed in the queue, not
saved, see :mod:`studio.ui.job_queue`).

Only the newest state runs: a new snapshot drops live jobs still waiting and
cancels the running one at its next step, once that job has put one frame on
screen (a job cancelled before its first step would show nothing, and painting
at 60 Hz would then show nothing until the stroke ends). Its previews and its
result go to the live view (:mod:`studio.ui.live_view`); :meth:`LiveMode.apply`
commits the newest result to the canvas and the gallery.

Region-only updates: when the picture is bigger than the model's native size
and the change since the last result is small, the job is an only-masked
inpaint of the changed rectangle over the last result
(:func:`studio.engine.live.region_box`), blended back by the inpaint path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from studio.engine import live as L
from studio.engine.errors import InvalidRequest
from studio.engine.request import GenerationRequest, InpaintArea, Mode


@dataclass
class LiveJob:
    job: object  # studio.ui.job_queue.Job
    stamp: float  # perf_counter() when its state was taken
    source: np.ndarray  # the composite it runs on
    key: tuple  # what else its picture depends on (prompt, settings, size)
    box: tuple | None = None  # a region update's rectangle; None: the whole picture
    base: np.ndarray | None = None  # a region update: the last result its crop goes over
    shown: bool = False  # one of its frames reached the view
    seq: int = 0  # the paint controller's change count when its state was taken


class LiveMode(QObject):
    enabled_changed = Signal(bool)
    result_ready = Signal()  # a finished live result is in the view
    status = Signal(str)

    def __init__(self, window, paint, view, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.paint = paint
        self.view = view
        self.settings = L.GENERIC
        self.enabled = False
        self._jobs: dict[int, LiveJob] = {}
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._submit_newest)
        self.result: np.ndarray | None = None  # the newest finished live picture
        self.result_image = None  # ... and its GeneratedImage (metadata for Apply)
        self._result_source: np.ndarray | None = None
        self._result_seq = 0
        self._result_key: tuple | None = None
        self.stale_cancelled = 0  # running jobs cancelled (at their next step) because a newer state came
        self.stale_dropped = 0  # waiting jobs dropped before they started, for the same reason
        self.submitted = 0
        self.results = 0  # finished live results shown
        self.region_jobs = 0  # jobs that regenerated only a changed rectangle
        self.frames: list[tuple[float, float]] = []  # (painted at, state stamp) per frame on screen
        paint.layer.changed.connect(lambda _rect: self.touch())
        window.canvas.image_changed.connect(lambda _size: self.touch())
        window.prompt_editor.changed.connect(self.touch)
        window.model_state_changed.connect(lambda state, _m: state == "ready" and self.touch())
        view.painted.connect(lambda stamp: self.frames.append((time.perf_counter(), stamp)))

    # -- switching -----------------------------------------------------------------------------

    def set_enabled(self, on: bool) -> None:
        on = bool(on)
        if on == self.enabled:
            return
        self.enabled = on
        if on:
            self._ensure_canvas()  # once the model's native size is known (else at its first update)
            self.view.set_active(True)
            self.touch()
        else:
            self._timer.stop()
            self._drop_all()
            self.view.set_active(False)
            self.status.emit("Live off")
        self.enabled_changed.emit(on)

    def set_settings(self, settings: L.LiveSettings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.touch()

    def _ensure_canvas(self) -> None:
        """Live painting needs a picture: a white one at the model's native size when the canvas is empty."""
        canvas = self.window.canvas
        info = self.window.model_info
        if canvas.current_image() is not None or info is None:
            return
        w, h = info.native_width, info.native_height
        from studio.ui.images import to_qimage

        canvas.set_image(to_qimage(np.full((h, w, 3), 255, np.uint8)), None, "New canvas")

    # -- changes -> the newest job ------------------------------------------------------------

    def touch(self) -> None:
        """Something live mode depends on changed: one snapshot at the end of this event-loop pass."""
        if self.enabled:
            self._timer.start()

    def live_jobs(self) -> list[LiveJob]:
        return list(self._jobs.values())

    def _drop_all(self) -> None:
        gen = self.window.gen
        for entry in list(self._jobs.values()):
            entry.job.cancel.set()
            if gen is not None:
                gen.queue.remove(entry.job.id)

    def _supersede(self) -> None:
        """A newer state is coming: drop waiting live jobs, cancel the running one (once it showed a frame)."""
        gen = self.window.gen
        for job_id, entry in list(self._jobs.items()):
            if entry.job.cancel.is_set():
                continue
            if gen.queue.remove(job_id):
                self._jobs.pop(job_id, None)
                self.stale_dropped += 1
            elif entry.job.state == "running" and not entry.job.cancel.after_frame():
                if entry.shown:
                    entry.job.cancel.set()  # stops at the end of the step it is in
                else:
                    entry.job.cancel.set_after_frame()  # stops once its first preview is out
                self.stale_cancelled += 1

    def _submit_newest(self) -> None:
        window = self.window
        if not self.enabled or window.gen is None or window.model_state[0] != "ready" or window.model_info is None:
            return
        self._ensure_canvas()  # an empty canvas: a white picture (its image_changed comes back here)
        seq = self.paint.seq
        source = self.paint.composite()
        if source is None:
            return
        stamp = time.perf_counter()
        try:
            request, key, box, base = self._request(source)
        except InvalidRequest as exc:
            self.status.emit(str(exc))
            return
        if request is None:  # the newest result already shows this state
            return
        self._supersede()
        job = window.gen.submit(request, live=True)
        self.submitted += 1
        self.region_jobs += box is not None
        self._jobs[job.id] = LiveJob(job, stamp, source, key, box, base, seq=seq)

    def _request(self, source: np.ndarray):
        window = self.window
        prompt, negative = window.prompt_editor.text()
        values = window.params.values()
        s = self.settings
        h, w = source.shape[:2]
        key = (prompt, negative, values["model"], values["vae"], s, (w, h))
        common = {
            "prompt": prompt, "negative_prompt": negative, "model": values["model"], "vae": values["vae"],
            "scheduler": s.scheduler, "steps": s.request_steps(), "cfg_scale": s.cfg_scale, "seed": s.seed,
            "strength": s.strength,
        }
        if key == self._result_key and self.result is not None:
            dirty = self.paint.changed_since(self._result_seq)  # the strokes' rectangles: no full-picture diff
            if dirty is None:
                return None, key, None, None
            info = window.model_info
            box = L.region_box(dirty, (w, h), (info.native_width, info.native_height)) if info is not None else None
            if box is not None:
                init, mask = L.region_inputs(source, self.result, dirty)
                request = GenerationRequest(
                    **common, mode=Mode.INPAINT, init_image=init, mask=mask, inpaint_area=InpaintArea.ONLY_MASKED,
                    inpaint_padding=32, mask_blur=4,
                )
                return request, key, box, self.result
        return GenerationRequest(**common, mode=Mode.IMG2IMG, init_image=source), key, None, None

    # -- the worker's events (routed here by the window) ------------------------------------

    def owns(self, job_id: int) -> bool:
        return job_id in self._jobs

    def job_started(self, job_id: int) -> None:
        entry = self._jobs.get(job_id)
        if entry is not None and not entry.job.cancel.is_set() and not entry.shown:
            self.view.set_note("updating…")

    def job_progress(self, update) -> None:
        entry = self._jobs.get(update.job_id)
        if entry is None or update.preview is None or entry.job.cancel.is_set():
            return
        frame = update.preview
        if entry.box is not None and entry.base is not None and update.box is not None:
            frame = _paste(entry.base, frame, update.box)
        self.view.show_frame(frame, entry.stamp, f"step {update.step}/{update.total}")
        entry.shown = True
        if entry.job.cancel.after_frame():  # a newer state waits; a remote engine knows only the hard stop
            entry.job.cancel.set()

    def job_finished(self, job_id: int, images: list) -> None:
        entry = self._jobs.pop(job_id, None)
        if entry is None or not images or not self.enabled:
            return
        g = images[0]
        self.results += 1
        self.result, self.result_image = g.image, g
        self._result_source, self._result_key, self._result_seq = entry.source, entry.key, entry.seq
        took = time.perf_counter() - entry.stamp
        kind = "region" if entry.box is not None else "whole picture"
        self.view.show_frame(g.image, entry.stamp, f"{took * 1000:.0f} ms · {kind}")
        self.result_ready.emit()

    def job_ended(self, job_id: int, message: str | None = None) -> None:
        """Cancelled (``message`` None) or failed."""
        self._jobs.pop(job_id, None)
        if message:
            self.status.emit(f"Live update failed: {message}")

    # -- apply -----------------------------------------------------------------------------------

    def apply(self) -> bool:
        """Put the newest live result on the canvas (one undo step, the paint cleared with it) and
        save it to the gallery with its metadata."""
        if self.result_image is None:
            return False
        from studio.ui.images import to_qimage
        from studio.ui.live_saving import save_to_gallery

        g = self.result_image
        window = self.window
        image = to_qimage(g.image)
        stack = window.canvas.undo_stack
        stack.beginMacro("Apply live result")
        try:
            window.canvas.set_image(image, None, "Apply live result")
            self.paint.clear()
        finally:
            stack.endMacro()
        window._generated_for[id(image)] = g  # Save As writes its metadata
        save_to_gallery(window, g, image)
        return True


def _paste(base: np.ndarray, frame: np.ndarray, box) -> np.ndarray:
    """A region preview (often latent-sized) stretched over ``box`` of a copy of ``base``."""
    from PIL import Image

    x0, y0, x1, y1 = (int(v) for v in box)
    h, w = base.shape[:2]
    x1, y1 = min(x1, w), min(y1, h)
    out = base.copy()
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = np.asarray(Image.fromarray(np.ascontiguousarray(frame[..., :3])).resize((x1 - x0, y1 - y0), Image.BILINEAR))
    return out
