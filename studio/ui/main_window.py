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

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from studio import __version__
from studio.engine.request import GenerationRequest
from studio.settings import Settings
from studio.ui import session, staging_window
from studio.ui.canvas_panel import CanvasPanel
from studio.ui.engine_status import EngineLoadBar
from studio.ui.fit_screen import scrolling
from studio.ui.message_bar import MessageBar
from studio.ui.mode_logic import ModeIndicator
from studio.ui.saved_state import b64 as _b64
from studio.ui.saved_state import unb64 as _unb64
from studio.ui.params_panel import ParamsPanel
from studio.ui.prompt_editor import PromptEditor
from studio.ui.queue_panel import QueuePanel
from studio.ui.theme import icon
from studio.ui.worker import EngineOptions, GeneratorThread
from studio.ui.window_images import WindowImages
from studio.ui.window_jobs import WindowJobs
from studio.ui.window_menus import WindowMenus

STATE_VERSION = 1
STATE_COLOURS = {"loading": "#f2c14e", "ready": "#7ec27e", "error": "#ff6b6b", "none": "#ff6b6b"}


STARTER_SAMPLE_PROMPT = "a large red star on the left and a small blue circle at the bottom right, yellow to green gradient background"

class MainWindow(WindowMenus, WindowJobs, WindowImages, QMainWindow):
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
        self.live = None  # live painting (studio.ui.live_window): the paint layer and the live jobs
        self.model_loaded_hooks: list[Callable] = []  # called with the ModelInfo of each loaded model
        self._running_job: int | None = None
        self._shown_job: int | None = None
        self._generated_for: dict[int, object] = {}  # id(QImage) -> GeneratedImage of the last batch
        self._result_images: dict[int, list] = {}  # job id -> its shown QImages, until the gallery has their files
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
        staging_window.attach_to_window(self)  # results wait over the canvas image until accepted (issue 17)
        self._make_actions()
        from studio.ui.live_window import attach_to_window as attach_live

        attach_live(self)  # the Live dock, before the layout is restored (it comes back where it was left)
        self.mode_indicator = ModeIndicator(self)  # the mode and size that will run, on Generate and here
        from studio.ui import wheel_guard

        self.wheel_guard = wheel_guard.install(self)  # the wheel scrolls the docks, not the field under it
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
        gallery.upscale_requested.connect(lambda paths, scale: self.upscaler.upscale_files(paths, scale))
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
        for dock in (self.prompt_dock, self.params_dock, self.gallery_dock, self.queue_dock, self.mask_dock, self.live_dock):
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
            self.prompt_editor.shutdown()
            if self.gen is not None:
                self.gen.shutdown(self.shutdown_timeout_ms)
            if self.gallery is not None:
                self.gallery.shutdown()
        super().closeEvent(event)
