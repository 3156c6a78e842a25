"""The Style tool in the window: the panel docked, runs on the style thread, every iteration on the canvas.

``attach_to_window(window)`` docks a :class:`~studio.ui.style_panel.StylePanel`
("Style", tabbed with the gallery and the mask), adds *Generate > Style transfer…*, and
sets ``window.style_tool``. A run stylizes the canvas image (only inside the
painted mask when asked); previews stream to the canvas like denoising
previews, the loss curve grows per iteration, Cancel stops within one
iteration and puts the canvas image back; the result becomes the canvas image
(an undo step) and goes to the gallery with its metadata.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QScrollArea

from studio.engine.errors import StudioError
from studio.ui.images import from_qimage, read_rgb, to_qimage
from studio.ui.style_panel import StylePanel
from studio.ui.style_worker import StyleJob, StyleThread


class StyleController(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = StylePanel()
        self.thread = StyleThread(self)
        self._size = (0, 0)
        self._result_image = None
        self.steps_shown = 0
        w = self.thread.worker
        w.step_ready.connect(self._on_steps)
        w.finished.connect(self._on_finished)
        w.saved.connect(self._on_saved)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        self.panel.run_clicked.connect(self.run)
        self.panel.cancel_clicked.connect(self.cancel)
        self.panel.gallery_clicked.connect(self.style_from_gallery)
        self.panel.status.connect(self._status)

    def _status(self, text: str, ms: int = 6000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def style_from_gallery(self) -> None:
        gallery = getattr(self.window, "gallery", None)
        entry = gallery.current_entry() if gallery is not None else None
        if entry is None:
            self._status("Select an image in the gallery first")
            return
        try:
            self.panel.set_style_image(read_rgb(entry.path))
        except StudioError as exc:
            self._status(str(exc))

    def run(self) -> bool:
        """Stylize the canvas image; False (with a status message) when something is missing."""
        image = self.window.canvas.current_image()
        if image is None:
            self._status("Open or generate an image first: the Style tool restyles the canvas image")
            return False
        if self.panel.style_image is None:
            self._status("Choose a style image first (file, gallery, paste or drop)")
            return False
        mask = None
        if self.panel.masked.isChecked():
            masking = getattr(self.window, "masking", None)
            mask = masking.mask_for_request() if masking is not None else None
            if mask is None:
                self._status("Paint a mask first, or untick 'Only inside the painted mask'")
                return False
        try:
            settings = self.panel.settings()
        except StudioError as exc:
            self._status(str(exc))
            return False
        content = from_qimage(image)
        self._size = (content.shape[1], content.shape[0])
        if not self.thread.submit(StyleJob(content, self.panel.style_image, settings, mask)):
            self._status("A style transfer is already running")
            return False
        self.panel.curve.clear()
        self.panel.set_running(True)
        self.panel.progress.setText("starting…")
        return True

    def cancel(self) -> None:
        if self.thread.busy():
            self.thread.cancel()
            self.panel.progress.setText("Cancelling…")

    def _on_steps(self) -> None:
        batch = self.thread.worker.take_steps()
        if batch is None or not self.thread.busy():
            return
        for iteration, content, style, total in batch.losses:
            self.panel.curve.add(iteration, content, style, total, batch.total)
        if batch.preview is not None:
            self.window.canvas.show_preview(to_qimage(batch.preview), *self._size)
            self.steps_shown += 1
        c, s, t = (self.panel.curve.last(n) for n in ("content", "style", "total"))
        losses = f"total {t:.4g} (content {c or 0:.3g}, style {s or 0:.3g})" if t else ""
        self.panel.progress.setText(f"iteration {batch.iteration}/{batch.total} · {losses} · {batch.elapsed:.1f} s")

    def _on_finished(self, result) -> None:
        self.panel.set_running(False)
        self._result_image = to_qimage(result.image)
        self.window.canvas.set_image(self._result_image, None, "Style transfer")
        first, last = result.first_losses, result.last_losses
        if result.settings.mode == "fast":  # its figures come after the image: start and result
            for i, h in enumerate(result.history):
                self.panel.curve.add(i, h["content_loss"], h["style_loss"], h["total_loss"], max(1, len(result.history) - 1))
        self.panel.progress.setText(
            f"Done in {result.elapsed:.1f} s · total loss {first.get('total_loss', 0):.4g} → {last.get('total_loss', 0):.4g}"
            f" · {result.network}"
        )

    def _on_saved(self, entry) -> None:
        gallery = getattr(self.window, "gallery", None)
        if gallery is not None and not getattr(self.window, "_closing", False):
            gallery.add_entry(entry)
        if self._result_image is not None:
            self.window.canvas.set_image_path(self._result_image, str(entry.path))
        self._status(f"Saved to the gallery: {entry.path.name}", 4000)

    def _on_failed(self, message: str) -> None:
        if self.panel.cancel_button.isEnabled():
            self.window.canvas.restore()
        self.panel.set_running(False)
        self.panel.progress.setText("Failed")
        self._status(message, 15000)

    def _on_cancelled(self) -> None:
        self.window.canvas.restore()
        self.panel.set_running(False)
        self.panel.progress.setText("Cancelled")

    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Close:
            self.thread.shutdown()
        return False


def _generate_menu(window):
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "Generate":
            return action.menu()
    return None


def attach_to_window(window) -> StyleController:
    ctl = StyleController(window)
    window.style_tool = ctl
    scroll = QScrollArea()
    scroll.setObjectName("styleScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setWidget(ctl.panel)
    dock = window.add_dock(scroll, "Style", Qt.RightDockWidgetArea, "styleDock")
    ctl.dock = dock
    gallery_dock = getattr(window, "gallery_dock", None)
    if gallery_dock is not None:
        window.tabifyDockWidget(gallery_dock, dock)  # full height, beside the gallery and the mask
        gallery_dock.raise_()
    menu = _generate_menu(window)
    if menu is not None:
        menu.addSeparator()
        action = menu.addAction("&Style transfer…")
        action.setObjectName("styleTransfer")
        action.triggered.connect(lambda: (dock.show(), dock.raise_()))
    window.installEventFilter(ctl)
    return ctl
