"""Image > Upscale x2 / x4: the canvas image through the GAN upscaler, off the GUI thread, into the gallery.

The upscaler loads and runs on an executor thread (torch never runs on the GUI
thread); each finished tile moves the canvas progress bar; Esc cancels between
tiles. The result becomes the canvas image (undoable), and is saved to the
gallery as a new image that keeps the source's generation metadata and
records the upscale (A1111's ``Postprocess upscale by`` / ``upscaler`` keys and
the source file's hash).
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.ui import aio
from studio.ui.images import from_qimage, to_qimage


class _Relay(QObject):
    tile_done = Signal(int, int)


class CanvasUpscaler(QObject):
    """Runs one upscale at a time for the window; ``finished(path)`` when it is in the gallery."""

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.cancel_flag: threading.Event | None = None
        self._relay = _Relay()
        self._relay.tile_done.connect(self._on_tile)

    @property
    def busy(self) -> bool:
        return self.cancel_flag is not None

    def cancel(self) -> bool:
        if self.cancel_flag is None:
            return False
        self.cancel_flag.set()
        return True

    def upscale_canvas(self, scale: int) -> None:
        image = self.window.canvas.current_image()
        if image is None or image.isNull():
            self.window.statusBar().showMessage("Nothing to upscale: open or generate an image first.", 6000)
            return
        if self.busy:
            self.window.statusBar().showMessage("An upscale is already running (Esc cancels it).", 4000)
            return
        pixels = from_qimage(image)
        source_path = self.window.canvas.current_path()
        generated = self.window._generated_for.get(id(image))
        self.cancel_flag = threading.Event()
        panel = self.window.canvas_panel
        panel.progress.setRange(0, 1)
        panel.progress.setValue(0)
        panel.progress.setFormat(f"Upscaling x{scale}…")
        aio.spawn(self._run(pixels, scale, source_path, generated), on_error=self._on_error)

    def _on_tile(self, done: int, total: int) -> None:
        progress = self.window.canvas_panel.progress
        progress.setRange(0, total)
        progress.setValue(done)
        progress.setFormat(f"Upscaling: tile {done}/{total}")

    async def _run(self, pixels, scale, source_path, generated) -> None:
        cancel = self.cancel_flag
        try:
            entry, result = await aio.off_thread(_upscale_and_save, pixels, scale, source_path, generated,
                                                 self._relay.tile_done.emit, cancel,
                                                 getattr(self.window.settings, "allow_pickle", False))
        finally:
            self.cancel_flag = None
        if self.window._closing:
            return
        self.window.canvas.set_image(to_qimage(result), str(entry.path) if entry else None, f"Upscale x{scale}")
        panel = self.window.canvas_panel
        panel.progress.setFormat(f"Upscaled x{scale}: {result.shape[1]}x{result.shape[0]}")
        if entry is not None and self.window.gallery is not None:
            self.window.gallery.add_entry(entry)
        self.window.statusBar().showMessage(
            f"Upscaled x{scale} to {result.shape[1]}x{result.shape[0]}" + (f", saved as {entry.path.name}" if entry else ""),
            6000)
        self.finished.emit(str(entry.path) if entry else "")

    def _on_error(self, exc: BaseException) -> None:
        from studio.engine.errors import GenerationCancelled

        self.window.canvas_panel.progress.setFormat("Upscale cancelled" if isinstance(exc, GenerationCancelled) else "")
        message = str(exc) if not isinstance(exc, GenerationCancelled) else "Upscale cancelled."
        self.window.statusBar().showMessage(message, 10000)
        self.failed.emit(message)


def _upscale_and_save(pixels, scale, source_path, generated, on_tile, cancel, allow_pickle):
    """On an executor thread: upscale, encode with metadata, import into the library; (entry, pixels)."""
    from studio.engine.metadata import ImageMetadata, read_metadata
    from studio.engine.metadata.a1111 import a1111_parameters
    from studio.engine.metadata.writing import encode_image, encode_png, studio_metadata
    from studio.engine.upscale import models
    from studio.engine.upscale.run import postprocess_metadata, upscale
    from studio.library import Library

    upscaler = models.load(None, scale, allow_pickle=allow_pickle)
    result = upscale(upscaler, pixels, scale, on_tile=on_tile, cancel=cancel)
    if source_path and Path(source_path).is_file():
        source_bytes = Path(source_path).read_bytes()
        source, name = read_metadata(source_path), Path(source_path).name
    elif generated is not None:
        source_bytes = encode_png(generated)
        source = ImageMetadata(prompt=generated.request.prompt, studio=studio_metadata(generated))
        source.raw["parameters"] = a1111_parameters(generated)
        name = "canvas"
    else:
        source_bytes, source, name = encode_image(pixels, "png"), ImageMetadata(), "canvas"
    text, studio = postprocess_metadata(source, upscaler.name, scale, source_bytes, name)
    png = encode_image(result, "png", text, studio)
    library = Library.open()
    try:
        with tempfile.TemporaryDirectory(prefix="studio-upscale-") as tmp:
            staged = Path(tmp) / f"{Path(name).stem}-x{scale}.png"
            staged.write_bytes(png)
            report = library.import_files([staged])
        entry = library.get(report.added[0]) if report.added else None
    finally:
        library.close()
    return entry, result


def install(window, menu) -> CanvasUpscaler:
    """Add Upscale x2/x4 to ``menu`` and let Esc cancel a running upscale."""
    upscaler = CanvasUpscaler(window)
    window._action("Upscale x&2", lambda: upscaler.upscale_canvas(2), "Ctrl+Shift+2", None, menu, "upscale2")
    window._action("Upscale x&4", lambda: upscaler.upscale_canvas(4), "Ctrl+Shift+4", None, menu, "upscale4")
    return upscaler
