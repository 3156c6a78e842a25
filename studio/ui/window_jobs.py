"""The main window's job flow: engine start, model state, requests, queue, progress, results."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer

from studio.engine.errors import InvalidRequest, StudioError
from studio.engine.request import GenerationRequest, Mode
from studio.ui import job_flow, session, staging_window
from studio.ui.canvas_panel import format_eta
from studio.ui.fit_screen import fit_docks
from studio.ui.images import to_qimage
from studio.ui.queue_panel import QueuePanel
from studio.ui.worker import EngineOptions, GeneratorThread, ProgressUpdate


STATE_COLOURS = {"loading": "#f2c14e", "ready": "#7ec27e", "error": "#ff6b6b", "none": "#ff6b6b"}


class WindowJobs:
    """Mixed into :class:`studio.ui.main_window.MainWindow` (uses its panels and signals)."""

    def start_engine(self) -> None:
        """Open the gallery, start the generator thread and load the model (after the window is shown)."""
        if self.gen is not None:
            return
        self._open_gallery()
        self._attach_masking()
        from studio.ui.style_tool import attach_to_window as attach_style

        attach_style(self)  # the Style tool (issue 20): its own dock and thread
        session.restore_session(self, self._session)
        s = self.settings
        self.gen = GeneratorThread(EngineOptions.from_settings(s), self)
        w = self.gen.worker
        w.model_state.connect(self._on_model_state)
        w.load_phase.connect(self.engine_bar.show_phase)
        w.model_loaded.connect(self._on_model_loaded)
        w.tokenizer_ready.connect(self.prompt_editor.set_tokenizer)
        w.job_started.connect(self._on_job_started)
        w.job_status.connect(self.canvas_panel.progress_label.setText)
        w.progress_ready.connect(self._on_progress)
        w.job_finished.connect(self._on_job_finished)
        w.job_saved.connect(self._on_job_saved)
        w.job_failed.connect(self._on_job_failed)
        w.job_cancelled.connect(self._on_job_cancelled)
        w.save_failed.connect(lambda msg: self.statusBar().showMessage(msg, 15000))
        w.queue_changed.connect(self._on_queue_changed)
        self.queue_panel = QueuePanel(self.gen.queue)
        self.queue_panel.cancel_requested.connect(self.cancel)
        self.queue_dock.widget().deleteLater()
        self.queue_dock.setWidget(self.queue_panel)
        fit_docks(self)  # every panel scrolls: the window fits 1280x720 and 200% scale
        self._on_model_state("loading", "Loading model…")
        self.gen.start(self.params.model_spec())
        self.params.refresh_models()
        self.params.hires.refresh_upscalers()

    def _on_model_state(self, state: str, message: str) -> None:
        self.model_state = (state, message)
        if state in ("error", "none"):
            self.engine_bar.stop()
        if state == "none":
            message = "No model installed. Choose a model folder or file in Parameters > Model."
        colour = STATE_COLOURS.get(state, "#8a93a3")
        self.model_label.setText(f'<span style="color:{colour}">●</span> {message}')
        self.model_label.setToolTip(message)
        self.model_state_changed.emit(state, message)

    def _on_model_loaded(self, info) -> None:
        self.model_info = info
        self.params.set_native_size(info.native_width, info.native_height)
        for hook in self.model_loaded_hooks:
            hook(info)
        if self._defaults_pending and info.spec == self.params.model_spec():
            self._defaults_pending = False
            recommended = info.defaults.as_params()
            if recommended:
                self.params.set_values(recommended)
                self.statusBar().showMessage(f"{info.name}: the model's recommended settings ({info.defaults.describe()})", 8000)

    def _apply_recommended(self, spec: str | None) -> bool:
        """Fill the panel with the model's recommended settings read from its folder (no torch); False if unknown."""
        from studio.engine.model_defaults import defaults_of
        from studio.engine.models import resolve

        try:
            source = resolve(spec)
        except (StudioError, OSError):
            return False  # e.g. no model installed: the load reports it
        if source.kind != "folder":
            return False  # a hub model's folder is known after its download: the load applies them
        defaults = defaults_of(source)
        recommended = defaults.as_params()
        if recommended:
            self.params.set_values(recommended)
            message = f"The model's recommended settings ({defaults.describe()})"
            # a message shown before the window is (QStatusBar hides its widgets for it) would keep the model
            # label hidden for good: say it once the event loop runs
            QTimer.singleShot(0, lambda: self.statusBar().showMessage(message, 8000))
        return True

    def _model_chosen(self, spec: str | None) -> None:
        self._defaults_pending = not self._apply_recommended(spec)
        if self.gen is not None:
            self.prompt_editor.set_tokenizer(None)
            self._on_model_state("loading", f"Loading model {Path(spec).name if spec else 'starter'}…")
            self.gen.load_model(spec)

    # -- generation -----------------------------------------------------------------------------

    def build_request(self) -> GenerationRequest:
        return job_flow.build_request(self)

    def generate(self) -> object | None:
        """Queue a job from the prompt and parameters (runs next, or after the running one)."""
        if self.gen is None:
            self.start_engine()
        try:
            request = self.build_request()
        except InvalidRequest as exc:
            self.messages.show_error(str(exc))
            return None
        self.messages.dismiss_info()
        hires = self.params.hires_options() if request.mode is Mode.TXT2IMG else None
        job = self.gen.submit(request, hires)
        self._jobs[job.id] = (request, job_flow.target_size(self, request))
        self.prompt_editor.remember()
        if self._running_job is not None:
            self.statusBar().showMessage(f"Queued: {job.summary()}", 4000)
        return job

    def cancel(self) -> None:
        if self.upscaler.cancel():
            return
        if self.gen is not None and self.gen.cancel() is not None:
            self.canvas_panel.progress_label.setText("Cancelling…")

    def clear_queue(self) -> None:
        if self.gen is not None:
            self.gen.queue.clear()

    def _on_queue_changed(self) -> None:
        if self.queue_panel is not None:
            self.queue_panel.refresh()
        waiting = len(self.gen.queue.waiting()) if self.gen else 0
        self.queue_label.setText(f"{waiting} queued" if waiting else "")

    def _on_job_started(self, job_id: int) -> None:
        if self.live is not None and self.live.owns(job_id):
            return self.live.job_started(job_id)
        self._running_job = job_id
        self._preview_stamp = None
        self.canvas_panel.show_progress(0, 1, 0, len(self.gen.queue.waiting()))
        self.canvas_panel.progress.setFormat("starting…")

    def _on_progress(self) -> None:
        update: ProgressUpdate | None = self.gen.worker.take_progress() if self.gen else None
        if update is not None and self.live is not None and self.live.owns(update.job_id):
            return self.live.job_progress(update)
        if update is None or update.job_id != self._running_job:
            return
        self.canvas_panel.show_progress(update.step, update.total, update.eta, len(self.gen.queue.waiting()))
        if update.preview is None:
            return
        request, (w, h) = self._jobs.get(update.job_id, (None, (0, 0)))
        if request is not None and request.mode is Mode.INPAINT and self.masking is not None:
            self.staging.previews_started()
            # drawn in place over the region being repainted, seen through the feathered mask
            self.masking.show_preview(update.preview, request, update.box)
            self.previews_shown += 1
        else:
            ph, pw = update.preview.shape[:2]
            self.staging.previews_started()  # previews stream to the canvas; staged results wait under them
            self.canvas.show_preview(to_qimage(update.preview), w or pw * 8, h or ph * 8)
            self._preview_stamp = update.posted_at
            self.previews_shown += 1

    def _frame_painted(self) -> None:
        if self._preview_stamp is not None:
            self.preview_latencies.append(time.perf_counter() - self._preview_stamp)
            self._preview_stamp = None

    def _on_job_finished(self, job_id: int, images: list) -> None:
        if self.live is not None and self.live.owns(job_id):
            return self.live.job_finished(job_id, images)
        request = self._jobs.get(job_id, (None,))[0]
        self._finish_job(job_id)
        if not images:
            return
        self.last_images = images
        self._shown_job = job_id
        qimages = [to_qimage(g.image) for g in images]
        alive = {id(r.image) for r in self.staging.results} | {id(self.canvas.current_image())}  # still shown
        kept = {k: g for k, g in self._generated_for.items() if k in alive}
        self._generated_for = kept | {id(q): g for q, g in zip(qimages, images)}
        job_flow.results_arrived(self, request, qimages)  # masks, and the init/mask kept for Reuse
        self._result_images[job_id] = qimages
        staging_window.show_results(self, qimages)  # staged over the canvas image, or onto it
        self.params.set_last_seed(images[0].seed)
        elapsed = images[-1].elapsed
        took = format_eta(elapsed) if elapsed >= 1 else f"{elapsed:.2f} s"
        self.canvas_panel.reset_progress(f"seed {images[0].seed}")
        self.canvas_panel.progress.setValue(1)
        self.canvas_panel.progress.setFormat(f"Done in {took}" + (f" · {len(images)} images" if len(images) > 1 else ""))
        self.images_shown.emit(job_id)

    def _on_job_saved(self, job_id: int, entries: list) -> None:
        if self._closing:
            return  # a save that finished while the window was closing: the gallery is shut
        images = self._result_images.pop(job_id, [])
        for i, entry in enumerate(entries):
            if i < len(images):
                staging_window.result_saved(self, images[i], str(entry.path))
            self.gallery.add_entry(entry)
        more = f" (+{len(entries) - 1})" if len(entries) > 1 else ""
        self.statusBar().showMessage(f"Saved to the gallery: {entries[0].path.name}{more}", 4000)

    def _on_job_failed(self, job_id: int, message: str) -> None:
        if self.live is not None and self.live.owns(job_id):
            return self.live.job_ended(job_id, message)
        self._finish_job(job_id)
        self.canvas.restore()
        self.canvas_panel.reset_progress("Failed")
        self.messages.show_error(message)

    def _on_job_cancelled(self, job_id: int) -> None:
        if self.live is not None and self.live.owns(job_id):
            return self.live.job_ended(job_id)
        self._finish_job(job_id)
        self.canvas.restore()
        self.canvas_panel.reset_progress("Cancelled")

    def _finish_job(self, job_id: int) -> None:
        self._jobs.pop(job_id, None)
        if self.masking is not None:
            self.masking.clear_preview()
        self.staging.previews_ended()
        if self._running_job == job_id:
            self._running_job = None
        self._preview_stamp = None

    def _strip_chosen(self, index: int) -> None:
        images = self.canvas_panel.strip.images
        if 0 <= index < len(images):
            image, path = images[index]
            self.canvas.set_image(image, path, "Choose image")
