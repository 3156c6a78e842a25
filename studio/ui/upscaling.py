"""Upscale x2 / x4 with the GAN upscaler, off the GUI thread, into the gallery: the canvas image
(Image > Upscale) or the gallery's selected images (its context menu).

The upscaler loads and runs on an executor thread (torch never runs on the GUI
thread); each finished tile moves the canvas progress bar; Esc cancels between
tiles. A canvas result becomes the canvas image (undoable). Every result is
saved to the gallery as a new image that keeps the source's generation
metadata and records the upscale (A1111's ``Postprocess upscale by`` /
``upscaler`` keys; in the studio chunk ``postprocess.source``, the source
file's name and SHA-256).
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
    file_done = Signal(int, object, str)  # index in the batch, gallery entry (None on failure), error


class CanvasUpscaler(QObject):
    """Runs one upscale at a time for the window; ``finished(path)`` when it is in the gallery."""

    finished = Signal(str)
    failed = Signal(str)
    files_finished = Signal(list, list)  # gallery paths written, "name: reason" for each file that failed

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.cancel_flag: threading.Event | None = None
        self._relay = _Relay()
        self._relay.tile_done.connect(self._on_tile)
        self._relay.file_done.connect(self._on_file)
        self._batch: tuple[int, int] = (0, 0)  # (file being upscaled, files) of a gallery upscale

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

    def upscale_files(self, paths: list[str], scale: int) -> None:
        """The gallery's Upscale x2/x4: each file upscaled and saved as a new gallery image."""
        if not paths:
            return
        if self.busy:
            self.window.statusBar().showMessage("An upscale is already running (Esc cancels it).", 4000)
            return
        self.cancel_flag = threading.Event()
        self._batch = (1, len(paths))
        panel = self.window.canvas_panel
        panel.progress.setRange(0, 1)
        panel.progress.setValue(0)
        panel.progress.setFormat(f"Upscaling {len(paths)} image(s) x{scale}…")
        aio.spawn(self._run_files(list(paths), scale), on_error=self._on_error)

    async def _run_files(self, paths: list[str], scale: int) -> None:
        cancel = self.cancel_flag
        try:
            saved, failed = await aio.off_thread(_upscale_files, paths, scale, self._relay.file_done.emit,
                                                 self._relay.tile_done.emit, cancel,
                                                 getattr(self.window.settings, "allow_pickle", False))
        finally:
            self.cancel_flag, self._batch = None, (0, 0)
        if self.window._closing:
            return
        progress = self.window.canvas_panel.progress
        progress.setFormat(f"Upscaled {len(saved)} image(s) x{scale}" + (f", {len(failed)} failed" if failed else ""))
        if failed:
            self.window.messages.show_error(f"Could not upscale {len(failed)} of {len(paths)} image(s): "
                                            + "; ".join(failed[:3]) + (" …" if len(failed) > 3 else ""))
        if saved:
            self.window.statusBar().showMessage(
                f"Upscaled x{scale}: {len(saved)} new image(s) in the gallery ({Path(saved[0]).name}"
                + (" …)" if len(saved) > 1 else ")"), 6000)
        self.files_finished.emit(saved, failed)

    def _on_file(self, index: int, entry, error: str) -> None:
        self._batch = (index + 2, self._batch[1])
        if entry is not None and self.window.gallery is not None and not self.window._closing:
            self.window.gallery.add_entry(entry)

    def _on_tile(self, done: int, total: int) -> None:
        progress = self.window.canvas_panel.progress
        progress.setRange(0, total)
        progress.setValue(done)
        n, files = self._batch
        which = f" {min(n, files)}/{files}" if files > 1 else ""
        progress.setFormat(f"Upscaling{which}: tile {done}/{total}")

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
    from studio.engine.provenance.derived import seal_derived
    from studio.engine.upscale import models
    from studio.engine.upscale.run import postprocess_metadata, upscale
    from studio.library import Library

    upscaler = models.load(None, scale, allow_pickle=allow_pickle)
    result = upscale(upscaler, pixels, scale, on_tile=on_tile, cancel=cancel)
    trained = None  # a file says it itself (its XMP)
    if source_path and Path(source_path).is_file():
        source_bytes = Path(source_path).read_bytes()
        source, name = read_metadata(source_path), Path(source_path).name
    elif generated is not None:
        source_bytes = encode_png(generated)
        source = ImageMetadata(prompt=generated.request.prompt, studio=studio_metadata(generated))
        source.raw["parameters"] = a1111_parameters(generated)
        name = "canvas"
        trained = getattr(generated.request.mode, "value", generated.request.mode) == "txt2img"
    else:
        source_bytes, source, name = encode_image(pixels, "png"), ImageMetadata(), "canvas"
        trained = False  # pixels of unknown origin
    text, studio = postprocess_metadata(source, upscaler.name, scale, source_bytes, name)
    out_name = f"{Path(name).stem}-x{scale}.png"
    png = seal_derived(encode_image(result, "png", text, studio), "png", tool=upscaler.name, title=out_name,
                       parent=source_bytes, parent_title=name, keeps_content=True, parent_trained=trained)
    library = Library.open()
    try:
        entry = _save(library, png, out_name)
    finally:
        library.close()
    return entry, result


def _upscale_files(paths, scale, on_file, on_tile, cancel, allow_pickle):
    """On an executor thread: each file upscaled and imported; (gallery paths, "name: reason" failures).
    A cancel stops the batch (what is saved stays); a file that cannot be read is reported and skipped."""
    from studio.engine.errors import GenerationCancelled, StudioError
    from studio.engine.metadata.writing import encode_image
    from studio.engine.provenance.derived import seal_derived
    from studio.engine.upscale import models
    from studio.engine.upscale.run import upscale_file
    from studio.library import Library

    upscaler = models.load(None, scale, allow_pickle=allow_pickle)
    saved, failed = [], []
    library = Library.open()
    try:
        for index, path in enumerate(map(Path, paths)):
            try:
                result = upscale_file(upscaler, path, scale, on_tile=on_tile, cancel=cancel)
                name = f"{path.stem}-x{scale}.png"
                png = seal_derived(encode_image(result.pixels, "png", result.text, result.studio), "png",
                                   tool=upscaler.name, title=name, parent=result.source, parent_title=path.name,
                                   keeps_content=True)
                entry = _save(library, png, name)
            except GenerationCancelled:
                raise
            except (StudioError, OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                failed.append(f"{path.name}: {reason}")
                on_file(index, None, failed[-1])
                continue
            if entry is not None:
                saved.append(str(entry.path))
            on_file(index, entry, "")
    finally:
        library.close()
    return saved, failed


def _save(library, png: bytes, name: str):
    """Import one encoded image into the gallery under (a free variant of) ``name``; its entry."""
    with tempfile.TemporaryDirectory(prefix="studio-upscale-") as tmp:
        staged = Path(tmp) / name
        staged.write_bytes(png)
        report = library.import_files([staged])
    return library.get(report.added[0]) if report.added else None


def install(window, menu) -> CanvasUpscaler:
    """Add Upscale x2/x4 to ``menu`` and let Esc cancel a running upscale."""
    upscaler = CanvasUpscaler(window)
    window._action("Upscale x&2", lambda: upscaler.upscale_canvas(2), "Ctrl+Shift+2", None, menu, "upscale2")
    window._action("Upscale x&4", lambda: upscaler.upscale_canvas(4), "Ctrl+Shift+4", None, menu, "upscale4")
    return upscaler
