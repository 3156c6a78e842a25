"""The studio window: docked prompt, parameters, gallery and queue around the canvas.

Data flow: prompt editor + parameter panel -> GenerationRequest -> job queue ->
worker thread (engine) -> progress/preview signals -> canvas -> finished
images -> gallery (saved by the worker before it takes the next job).

Hooks for the inpainting work (issue 5):

* ``window.canvas`` is the :class:`~studio.ui.canvas.CanvasView` (overlays, tools, undo stack).
* ``window.params.mode_changed(Mode)`` tells when the user picks Inpaint.
* ``window.mask_provider``: set it to a callable returning the current mask
  (HxW uint8, 255 = repaint) or None; inpaint requests take their mask from it.
* ``window.add_dock(widget, title, area)`` docks another panel (its layout is saved too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from studio import __version__
from studio.engine.errors import InvalidRequest, StudioError
from studio.engine.request import GenerationRequest, Mode
from studio.settings import Settings
from studio.ui import aio, job_flow, session
from studio.ui.canvas_panel import CanvasPanel, format_eta
from studio.ui.engine_status import EngineLoadBar
from studio.ui.fit_screen import fit_docks, scrolling
from studio.ui.images import from_qimage, read_rgb, to_qimage
from studio.ui.message_bar import MessageBar
from studio.ui.mode_logic import ModeIndicator
from studio.ui.saved_state import b64 as _b64
from studio.ui.saved_state import unb64 as _unb64
from studio.ui.params_panel import ParamsPanel
from studio.ui.prompt_editor import PromptEditor
from studio.ui.queue_panel import QueuePanel
from studio.ui.theme import icon
from studio.ui.worker import EngineOptions, GeneratorThread, ProgressUpdate

STATE_VERSION = 1
STATE_COLOURS = {"loading": "#f2c14e", "ready": "#7ec27e", "error": "#ff6b6b", "none": "#ff6b6b"}


STARTER_SAMPLE_PROMPT = "a large red star on the left and a small blue circle at the bottom right, yellow to green gradient background"

class MainWindow(QMainWindow):
    model_state_changed = Signal(str, str)
    images_shown = Signal(int)  # job id whose final images are on the canvas
    # how long closing waits for the generator thread; the app lowers it and exits at once if the
    # thread is still busy importing or loading (nothing of the user's is in flight then)
    shutdown_timeout_ms = 15000

    def __init__(self, settings: Settings | None = None, model: str | None = None, settings_path: Path | None = None):
        super().__init__()
        self.settings = settings or Settings.load(settings_path)
        self.settings_path = settings_path
        self.setWindowTitle("Studio")
        self.setWindowIcon(icon("app"))
        self.setObjectName("studioWindow")
        self.setDockNestingEnabled(True)
        self.mask_provider: Callable[[], np.ndarray | None] | None = None
        self.model_state = ("none", "")
        self.model_info = None
        self.gen: GeneratorThread | None = None
        self.last_images: list = []  # GeneratedImage of the last finished job
        self.preview_latencies: list[float] = []  # seconds from engine event to canvas painted
        self.previews_shown = 0
        self._preview_stamp: float | None = None
        self._jobs: dict[int, tuple[GenerationRequest, tuple[int, int]]] = {}  # queued/running: request, canvas size
        self.masking = None  # the inpainting mask controller (studio.ui.mask_panel), attached after show
        self._running_job: int | None = None
        self._shown_job: int | None = None
        self._generated_for: dict[int, object] = {}  # id(QImage) -> GeneratedImage of the last batch
        self._closing = False

        initial_model = model if model is not None else (self.settings.model or None)

        # centre and docks
        self.canvas_panel = CanvasPanel(self)
        self.canvas = self.canvas_panel.canvas
        self.messages = MessageBar(self.canvas_panel)  # errors stay until dismissed
        self.canvas_panel.layout().insertWidget(0, self.messages)
        self.setCentralWidget(self.canvas_panel)
        self.prompt_editor = PromptEditor(parent=self)
        self._session = session.load_state()
        if initial_model is None and not len(self.prompt_editor.history):
            # first launch on the starter model: a prompt it knows, ready for Ctrl+Enter
            self.prompt_editor.set_text(STARTER_SAMPLE_PROMPT, "")
        session.restore_prompt(self, self._session)
        self.params = ParamsPanel(self)
        self.params.restore_settings(self.settings.params)
        # a model's recommended settings (studio_defaults.json) fill the panel when it is picked, and on
        # first launch; saved settings from an earlier session are the user's and stay
        self._defaults_pending = not self.settings.params
        self.params.set_model_spec(initial_model)
        if self._defaults_pending:  # known from the model's folder before any torch import: right from the first frame
            self._defaults_pending = not self._apply_recommended(initial_model)
        self.canvas_panel.nearest_button.setChecked(self.settings.nearest_neighbour)
        self.prompt_dock = self.add_dock(self.prompt_editor, "Prompt", Qt.LeftDockWidgetArea, "promptDock")
        self.params_dock = self.add_dock(scrolling(self.params), "Parameters", Qt.LeftDockWidgetArea, "paramsDock")
        # the gallery (library, SQLite, thumbnails) is built right after the window is shown
        self.gallery = None
        opening = QLabel("Opening the gallery…", alignment=Qt.AlignCenter)
        self.gallery_dock = self.add_dock(opening, "Gallery", Qt.RightDockWidgetArea, "galleryDock")
        self.queue_panel: QueuePanel | None = None
        idle = QLabel("Idle", alignment=Qt.AlignCenter)  # the queue panel comes with the generator thread
        self.queue_dock = self.add_dock(idle, "Queue", Qt.RightDockWidgetArea, "queueDock")
        self.splitDockWidget(self.gallery_dock, self.queue_dock, Qt.Vertical)
        self.resizeDocks([self.prompt_dock, self.params_dock], [220, 420], Qt.Vertical)
        self.resizeDocks([self.prompt_dock, self.gallery_dock], [330, 300], Qt.Horizontal)
        self.resizeDocks([self.gallery_dock, self.queue_dock], [520, 160], Qt.Vertical)

        # status bar
        self.model_label = QLabel("Starting…", objectName="modelStatus")
        self.queue_label = QLabel("", objectName="queueStatus")
        self.engine_bar = EngineLoadBar(self)
        self.statusBar().addPermanentWidget(self.engine_bar)
        self.statusBar().addPermanentWidget(self.queue_label)
        self.statusBar().addWidget(self.model_label, 1)

        self.mask_dock = None
        self._attach_masking()  # before the layout is restored: the Mask dock comes back where it was left
        self._make_actions()
        self.mode_indicator = ModeIndicator(self)  # the mode and size that will run, on Generate and here
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_layout()

        self.canvas.image_dropped.connect(self.open_image)
        self.canvas.frame_painted.connect(self._frame_painted)
        self.canvas_panel.strip.chosen.connect(self._strip_chosen)
        self.params.model_chosen.connect(self._model_chosen)

    # -- construction helpers --------------------------------------------------------------

    def add_dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea, name: str | None = None) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name or f"{title.lower()}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        if hasattr(self, "view_menu"):  # a dock added after start-up: its saved place, and a View entry
            saved = bytes(_unb64(self.settings.window_state))
            if dock.objectName().encode("utf-16-be") in saved:
                self.restoreDockWidget(dock)  # where (and whether) the user last had it
            else:
                dock.show()  # new to this layout: where it was added
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _open_gallery(self) -> None:
        if self.gallery is not None:
            return
        from studio.ui.gallery.panel import GalleryPanel

        gallery = GalleryPanel(parent=self)
        gallery.reuse_parameters.connect(self.reuse_parameters)
        gallery.send_to_canvas.connect(self.send_to_canvas)
        gallery.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.gallery_dock.widget().deleteLater()
        self.gallery_dock.setWidget(gallery)
        self.gallery = gallery
        from studio.ui.gallery.full_view import FullGalleryView

        self.gallery_view = FullGalleryView(self, self.gallery_dock)  # Ctrl+G: the whole window to the gallery

    def _attach_masking(self) -> None:
        """Mask painting for Inpaint mode (issue 5's panel, docked through this window's hooks)."""
        if self.masking is not None:
            return
        from studio.ui.mask_window import attach_to_window

        attach_to_window(self)  # sets self.masking, self.mask_dock and self.mask_provider

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None, menu=None, name: str = "") -> QAction:
        act = QAction(text, self)
        if icon_name:
            act.setIcon(icon(icon_name))
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                act.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        act.setObjectName(name or text)
        self.addAction(act)  # shortcuts work in full screen and with docks floating
        if menu is not None:
            menu.addAction(act)
        return act

    def _make_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open image…", self._ask_open_image, QKeySequence.Open, "open", file_menu, "open")
        self.save_action = self._action("&Save image as…", self._ask_save_image, QKeySequence.Save, "save", file_menu, "save")
        file_menu.addSeparator()
        self.settings_action = self._action(
            "Se&ttings…", self.open_settings, QKeySequence.Preferences, "settings", file_menu, "settings"
        )
        file_menu.addSeparator()
        self._action("&Quit", self.close, QKeySequence.Quit, None, file_menu, "quit")

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.canvas.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.setIcon(icon("undo"))
        self.redo_action = self.canvas.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(icon("redo"))
        for act in (self.undo_action, self.redo_action):
            self.addAction(act)
            edit_menu.addAction(act)
        edit_menu.addSeparator()
        self.copy_action = self._action("&Copy image", self.copy_image, QKeySequence.Copy, "copy", edit_menu, "copy")
        self._action("&Paste image as init image", self.paste_image, QKeySequence.Paste, None, edit_menu, "paste")
        self._action("Use canvas image as &init image", self.use_canvas_as_init, "Ctrl+I", None, edit_menu, "useAsInit")

        self.view_menu = bar.addMenu("&View")
        self._action("&Fit to window", self.canvas.fit, "Ctrl+0", "fit", self.view_menu, "fit")
        self._action("&Actual size", self.canvas.actual_size, "Ctrl+1", "actual-size", self.view_menu, "actualSize")
        self._action("Zoom &in", lambda: self.canvas.zoom_by(1.25), QKeySequence.ZoomIn, "zoom-in", self.view_menu, "zoomIn")
        self._action("Zoom &out", lambda: self.canvas.zoom_by(0.8), QKeySequence.ZoomOut, "zoom-out", self.view_menu, "zoomOut")
        nearest = QAction("&Nearest-neighbour scaling", self, checkable=True)
        nearest.toggled.connect(self.canvas_panel.nearest_button.setChecked)
        self.canvas_panel.nearest_button.toggled.connect(nearest.setChecked)
        self.view_menu.addAction(nearest)
        self.view_menu.addSeparator()
        self.fullscreen_action = self._action("&Full screen", self.toggle_full_screen, "F11", "fullscreen", self.view_menu, "fullscreen")
        self.fullscreen_action.setCheckable(True)
        self._action("&Reset layout", self.reset_layout, None, None, self.view_menu, "resetLayout")
        self.view_menu.addSeparator()
        for dock in (self.prompt_dock, self.params_dock, self.gallery_dock, self.queue_dock, self.mask_dock):
            self.view_menu.addAction(dock.toggleViewAction())

        gen_menu = bar.addMenu("&Generate")
        self.generate_action = self._action(
            "&Generate", self.generate, ["Ctrl+Return", "Ctrl+Enter"], "generate", gen_menu, "generate"
        )
        self.cancel_action = self._action("&Cancel", self.cancel, "Esc", "cancel", gen_menu, "cancel")
        self._action("Clear the &queue", self.clear_queue, None, "remove", gen_menu, "clearQueue")
        from studio.ui import upscaling

        self.upscaler = upscaling.install(self, bar.addMenu("&Image"))

        help_menu = bar.addMenu("&Help")
        self._action("&About Studio", self._about, None, None, help_menu, "about")

        tools = self.addToolBar("Main")
        tools.setObjectName("mainToolBar")
        for act in (self.generate_action, self.cancel_action, self.undo_action, self.redo_action, self.save_action, self.settings_action):
            tools.addAction(act)
        tools.widgetForAction(self.generate_action).setToolButtonStyle(Qt.ToolButtonTextBesideIcon)

    # -- layout persistence ----------------------------------------------------------------

    def _restore_layout(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(_unb64(self.settings.window_geometry))
        else:
            screen = QGuiApplication.primaryScreen()
            avail = screen.availableGeometry() if screen else None
            w, h = (1400, 900) if avail is None else (min(1400, avail.width() - 40), min(900, avail.height() - 60))
            self.resize(w, h)
        if self.settings.window_state:
            self.restoreState(_unb64(self.settings.window_state), STATE_VERSION)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in (self.prompt_dock, self.params_dock, self.gallery_dock, self.queue_dock, self.mask_dock):
            dock.show()

    def save_settings(self) -> None:
        """Write the layout and the panel values (at close; small and atomic)."""
        s = self.settings
        s.window_geometry = _b64(self.saveGeometry())
        s.window_state = _b64(self.saveState(STATE_VERSION))
        s.params = self.params.settings_values()
        s.model = self.params.model_spec() or ""
        s.nearest_neighbour = self.canvas_panel.nearest_button.isChecked()
        try:
            s.save(self.settings_path)
            session.save_session(self)
        except OSError as exc:
            self.messages.show_error(f"Could not save the settings or the session: {exc}")

    # -- engine ---------------------------------------------------------------------------------

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
        job = self.gen.submit(request)
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
        self._running_job = job_id
        self._preview_stamp = None
        self.canvas_panel.show_progress(0, 1, 0, len(self.gen.queue.waiting()))
        self.canvas_panel.progress.setFormat("starting…")

    def _on_progress(self) -> None:
        update: ProgressUpdate | None = self.gen.worker.take_progress() if self.gen else None
        if update is None or update.job_id != self._running_job:
            return
        self.canvas_panel.show_progress(update.step, update.total, update.eta, len(self.gen.queue.waiting()))
        if update.preview is None:
            return
        request, (w, h) = self._jobs.get(update.job_id, (None, (0, 0)))
        if request is not None and request.mode is Mode.INPAINT and self.masking is not None:
            # drawn in place over the region being repainted, seen through the feathered mask
            self.masking.show_preview(update.preview, request, update.box)
            self.previews_shown += 1
        else:
            ph, pw = update.preview.shape[:2]
            self.canvas.show_preview(to_qimage(update.preview), w or pw * 8, h or ph * 8)
            self._preview_stamp = update.posted_at
            self.previews_shown += 1

    def _frame_painted(self) -> None:
        if self._preview_stamp is not None:
            self.preview_latencies.append(time.perf_counter() - self._preview_stamp)
            self._preview_stamp = None

    def _on_job_finished(self, job_id: int, images: list) -> None:
        request = self._jobs.get(job_id, (None,))[0]
        self._finish_job(job_id)
        if not images:
            return
        self.last_images = images
        self._shown_job = job_id
        qimages = [to_qimage(g.image) for g in images]
        self._generated_for = {id(q): g for q, g in zip(qimages, images)}
        job_flow.results_arrived(self, request, qimages)  # masks, and the init/mask kept for Reuse
        self.canvas_panel.strip.set_images(qimages)
        self.canvas.set_image(qimages[0], None, "Generate")
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
        images = self.canvas_panel.strip.images
        for i, entry in enumerate(entries):
            if job_id == self._shown_job and i < len(images):
                self.canvas_panel.strip.set_path(i, str(entry.path))
                self.canvas.set_image_path(images[i][0], str(entry.path))
            self.gallery.add_entry(entry)
        more = f" (+{len(entries) - 1})" if len(entries) > 1 else ""
        self.statusBar().showMessage(f"Saved to the gallery: {entries[0].path.name}{more}", 4000)

    def _on_job_failed(self, job_id: int, message: str) -> None:
        self._finish_job(job_id)
        self.canvas.restore()
        self.canvas_panel.reset_progress("Failed")
        self.messages.show_error(message)

    def _on_job_cancelled(self, job_id: int) -> None:
        self._finish_job(job_id)
        self.canvas.restore()
        self.canvas_panel.reset_progress("Cancelled")

    def _finish_job(self, job_id: int) -> None:
        self._jobs.pop(job_id, None)
        if self.masking is not None:
            self.masking.clear_preview()
        if self._running_job == job_id:
            self._running_job = None
        self._preview_stamp = None

    def _strip_chosen(self, index: int) -> None:
        images = self.canvas_panel.strip.images
        if 0 <= index < len(images):
            image, path = images[index]
            self.canvas.set_image(image, path, "Choose image")

    # -- images in and out ------------------------------------------------------------------------

    def open_image(self, path: str, mode: Mode | None = None) -> None:
        """Load an image file (off the GUI thread) onto the canvas and use it as the init image."""
        aio.spawn(self._open_image(path, mode), on_error=lambda e: self.statusBar().showMessage(str(e), 10000))

    async def _open_image(self, path: str, mode: Mode | None) -> None:
        try:
            array = await aio.off_thread(read_rgb, path)
        except StudioError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            return
        self._use_as_init(array, to_qimage(array), path, mode)

    def _use_as_init(self, array: np.ndarray, image: QImage, path: str | None, mode: Mode | None) -> None:
        self.canvas.set_image(image, path, "Open image")
        self.params.set_init_image(array, image)
        if mode is not None:
            self.params.set_mode(mode)
        self.statusBar().showMessage(f"Init image: {Path(path).name if path else 'pasted'} ({array.shape[1]}x{array.shape[0]})", 5000)

    def send_to_canvas(self, path: str, purpose: str = "init") -> None:
        self.open_image(path, Mode.INPAINT if purpose == "inpaint" else Mode.IMG2IMG)

    def reuse_parameters(self, params: dict) -> None:
        if "prompt" in params or "negative_prompt" in params:
            text = [v if isinstance(v, str) else "" for v in (params.get("prompt", ""), params.get("negative_prompt", ""))]
            self.prompt_editor.set_text(*text)
        notes = self.params.set_values(params, from_file=True)
        job_flow.reuse_sources(self, params)  # an edit's init image, mask and crop come back too
        self.statusBar().showMessage("Parameters reused" + (f" ({'; '.join(notes)})" if notes else ""), 8000 if notes else 3000)

    def use_canvas_as_init(self) -> None:
        image = self.canvas.current_image()
        if image is not None:
            self.params.set_init_image(from_qimage(image), image)

    def copy_image(self) -> None:
        image = self.canvas.current_image()
        if image is not None:
            QGuiApplication.clipboard().setImage(image)
            self.statusBar().showMessage("Image copied", 2000)

    def paste_image(self) -> None:
        image = QGuiApplication.clipboard().image()
        if not image.isNull():
            self._use_as_init(from_qimage(image), image, None, None)

    def _ask_open_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", "Images (*.png *.jpg *.jpeg *.webp *.bmp)")
        if path:
            self.open_image(path)

    def _ask_save_image(self) -> None:
        if self.canvas.current_image() is None:
            self.statusBar().showMessage("Nothing to save yet", 3000)
            return
        current = self.canvas.current_path()
        suggestion = Path(current).name if current else "image.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save image", suggestion, "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)")
        if path:
            self.save_image(path)

    def save_image(self, path: str):
        """Export the canvas image with its metadata (written off the GUI thread); returns the task."""
        from studio.ui.exporting import export_image

        image = self.canvas.current_image()
        pixels = from_qimage(image)
        source = self.canvas.current_path()
        generated = self._generated_for.get(id(image))

        async def run():
            written = await aio.off_thread(export_image, path, pixels, generated, source)
            self.statusBar().showMessage(f"Saved {written}", 5000)
            return written

        return aio.spawn(run(), on_error=lambda e: self.statusBar().showMessage(f"Could not save: {e}", 10000))

    # -- other actions ---------------------------------------------------------------------------

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
            self.fullscreen_action.setChecked(False)
        else:
            self.showFullScreen()
            self.fullscreen_action.setChecked(True)

    def open_settings(self) -> None:
        from studio.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() == SettingsDialog.Accepted:
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, new: Settings) -> None:
        """Save edited settings and hand device/dtype/preview changes to the worker."""
        folder_changed = new.data_folder != self.settings.data_folder
        self.settings = new
        self.save_settings()
        if self.gen is not None:
            self.gen.apply_options(EngineOptions.from_settings(new))
        if folder_changed:
            self.statusBar().showMessage("The new data folder is used from the next launch.", 8000)

    def _about(self) -> None:
        QMessageBox.about(self, "About Studio", f"<b>Studio {__version__}</b><br>A desktop AI art studio built on diffusers.")

    # -- closing -----------------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        self.canvas.undo_stack.blockSignals(False)
        super().showEvent(event)

    def closeEvent(self, event) -> None:
        # listeners of the undo stack must not hear the clear() it does when it is destroyed,
        # after other panels of the window are already gone
        self.canvas.undo_stack.blockSignals(True)
        if not self._closing:
            self._closing = True
            self.save_settings()
            if self.gen is not None:
                self.gen.shutdown(self.shutdown_timeout_ms)
            if self.gallery is not None:
                self.gallery.shutdown()
        super().closeEvent(event)
