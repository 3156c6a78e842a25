"""Staging: finished results wait over the canvas image until the user accepts one or discards them.

Like InvokeAI's staging area. When a job finishes (with staging on, the
default), its images are *staged*: the canvas keeps its image (``current_image``
does not change, nothing goes on the undo stack) and the chosen staged result is
drawn over it (:class:`~studio.ui.staged_items.StagedImageItem`); an inpaint
result is the whole picture with the masked area repainted, so it shows in
place. The user cycles through them, compares one with the canvas image (a
split line to drag, or side by side), then:

* **Accept**: that result becomes the canvas image, one undoable step
  (Ctrl+Z brings the earlier image back);
* **Discard**: the staging goes; the canvas shows its image as before.

Every result is already in the gallery either way: staging never loses an image.
Results of a job that finishes while others are staged over the same canvas
image join them (the new ones shown first); when the canvas gets another image
(opened from the gallery, pasted, undo of an image change) the staging ends.
Step previews of a running job still stream to the canvas: the staged result is
hidden while they do, and comes back when the job ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QImage

from studio.ui.staged_items import SIDE_GAP, SplitHandle, StagedImageItem

COMPARE_MODES = ("off", "split", "side")
STAGED_LIMIT = 32  # results kept staged at once (the oldest leave first; all stay in the gallery)


@dataclass
class StagedResult:
    image: QImage
    path: str | None = None  # its gallery file, once saved


class Staging(QObject):
    """The staged results over one canvas, and how they are shown."""

    changed = Signal()  # the staged results, the shown one or the compare mode changed
    ended = Signal(str)  # "accepted", "discarded" or "replaced" (the canvas got another image)

    def __init__(self, canvas, parent=None):
        super().__init__(parent or canvas)
        self.canvas = canvas
        self.results: list[StagedResult] = []
        self.index = -1
        self.base: QImage | None = None  # the canvas image the results are staged over
        self.compare = "off"
        self.split = 0.5  # the split line, as a fraction of the staged image's width
        self._previewing = False
        self._shown: QImage | None = None
        self.item = StagedImageItem()
        self.handle = SplitHandle()
        canvas.add_overlay(self.item, z=3)
        canvas.add_overlay(self.handle, z=950)
        self.item.hide()
        self.handle.hide()
        self.handle.moved.connect(self.set_split)
        canvas.zoom_changed.connect(self.handle.set_zoom)
        canvas.image_changed.connect(self._image_changed)

    # -- what is staged ------------------------------------------------------------------------

    def active(self) -> bool:
        return bool(self.results)

    def current(self) -> QImage | None:
        return self.results[self.index].image if self.results else None

    def current_path(self) -> str | None:
        return self.results[self.index].path if self.results else None

    def stage(self, images: list[QImage]) -> None:
        """Stage a job's results over the canvas image (joining results staged over the same image)."""
        if not images:
            return
        base = self.canvas.current_image()
        if not self.results or base is not self.base:
            self.results, self.base = [], base
        self.results.extend(StagedResult(image) for image in images)
        first_new = len(self.results) - len(images)
        overflow = len(self.results) - STAGED_LIMIT
        if overflow > 0:
            del self.results[:overflow]
            first_new = max(0, first_new - overflow)
        self.index = first_new
        self._previewing = False
        self._show()

    def set_path(self, image: QImage, path: str) -> None:
        for result in self.results:
            if result.image is image:
                result.path = path
                self.changed.emit()

    def select(self, index: int) -> None:
        if 0 <= index < len(self.results) and index != self.index:
            self.index = index
            self._show()

    def next(self) -> None:
        if self.results:
            self.select((self.index + 1) % len(self.results))

    def prev(self) -> None:
        if self.results:
            self.select((self.index - 1) % len(self.results))

    # -- ending ----------------------------------------------------------------------------------

    def accept(self) -> QImage | None:
        """The shown result becomes the canvas image (one undo step); the staging ends."""
        if not self.results:
            return None
        result = self.results[self.index]
        self._end()
        self.canvas.set_image(result.image, result.path, "Accept result")
        self.ended.emit("accepted")
        return result.image

    def discard(self) -> None:
        """Drop the staged results (they stay in the gallery); the canvas shows its image again."""
        if self.results:
            self._end()
            self.ended.emit("discarded")

    def _image_changed(self, _size) -> None:
        if self.results and self.canvas.current_image() is not self.base:
            self._end()
            self.ended.emit("replaced")

    def _end(self) -> None:
        self.results, self.index, self.base = [], -1, None
        self._show()

    # -- showing -----------------------------------------------------------------------------------

    def set_compare(self, mode: str) -> None:
        if mode not in COMPARE_MODES:
            raise ValueError(f"Unknown compare mode {mode!r}: one of {', '.join(COMPARE_MODES)}")
        if mode != self.compare:
            old, self.compare = self.compare, mode
            self._show()
            if "side" in (old, mode):
                self.canvas.fit()  # both images in view (or the one again)

    def cycle_compare(self) -> None:
        self.set_compare(COMPARE_MODES[(COMPARE_MODES.index(self.compare) + 1) % len(COMPARE_MODES)])

    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, float(fraction)))
        if self.compare == "split":
            self._show()

    def previews_started(self) -> None:
        """A job's step previews go to the canvas: hide the staged result meanwhile."""
        if not self._previewing:
            self._previewing = True
            self._show()

    def previews_ended(self) -> None:
        if self._previewing:
            self._previewing = False
            self._show()

    def side_offset(self) -> float:
        """Where the staged result starts, side by side (image x)."""
        base = self.base if self.base is not None else self.canvas.current_image()
        return base.width() + SIDE_GAP if base is not None else 0.0

    def _show(self) -> None:
        image = self.current()
        visible = image is not None and not self._previewing
        if image is not self._shown:
            self._shown = image
            self.item.set_image(image)
        self.item.setVisible(visible)
        self.handle.setVisible(visible and self.compare == "split")
        extra = None
        if visible:
            side = self.compare == "side"
            self.item.setPos(self.side_offset() if side else 0.0, 0.0)
            self.item.set_split(self.split if self.compare == "split" else None)
            self.handle.set_geometry(image.width(), image.height(), self.split)
            self.handle.set_zoom(self.canvas.zoom())
            extra = QRectF(self.item.pos().x(), 0, image.width(), image.height())
        self.canvas.set_extra_rect(extra)
        self.changed.emit()
