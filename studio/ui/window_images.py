"""The main window's image commands: open, drop, paste, copy, Save As, send to canvas, reuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QFileDialog,
)

from studio.engine.errors import StudioError
from studio.engine.request import Mode
from studio.ui import aio, job_flow, staging_window
from studio.ui.images import from_qimage, read_rgb, to_qimage



class WindowImages:
    """Mixed into :class:`studio.ui.main_window.MainWindow` (uses its panels and signals)."""

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
        image, _path = staging_window.shown_image(self)  # a staged result while one is shown
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
        image, current = staging_window.shown_image(self)
        if image is None:
            self.statusBar().showMessage("Nothing to save yet", 3000)
            return
        suggestion = Path(current).name if current else "image.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save image", suggestion, "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)")
        if path:
            self.save_image(path)

    def save_image(self, path: str):
        """Export the shown image (the canvas image, or the staged result) with its metadata (written off
        the GUI thread); returns the task."""
        from studio.ui.exporting import export_image

        image, source = staging_window.shown_image(self)
        pixels = from_qimage(image)
        generated = self._generated_for.get(id(image))

        async def run():
            written = await aio.off_thread(export_image, path, pixels, generated, source)
            self.statusBar().showMessage(f"Saved {written}", 5000)
            return written

        return aio.spawn(run(), on_error=lambda e: self.statusBar().showMessage(f"Could not save: {e}", 10000))
