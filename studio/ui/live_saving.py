"""Saving an applied live result to the gallery, off the GUI thread, with its metadata."""

from __future__ import annotations

from studio.ui import aio


def _save(generated):
    """On an executor thread: the image into the library (PNG with metadata), its sources kept for Reuse."""
    from studio.library import Library
    from studio.library.sources import store_request_sources

    library = Library.open()
    try:
        entry = library.add_generated(generated)
    finally:
        library.close()
    store_request_sources(generated.request)  # the init image (and a region update's mask) for Reuse
    return entry


def save_to_gallery(window, generated, image):
    """Save ``generated`` (a GeneratedImage) and tell the canvas and the gallery; returns the task."""

    async def run():
        entry = await aio.off_thread(_save, generated)
        if window._closing:
            return entry
        window.canvas.set_image_path(image, str(entry.path))
        if window.gallery is not None:
            window.gallery.add_entry(entry)
        window.statusBar().showMessage(f"Live result saved to the gallery: {entry.path.name}", 4000)
        return entry

    return aio.spawn(run(), on_error=lambda e: window.messages.show_error(f"Could not save the live result: {e}"))
