"""Undo for mask edits: one QUndoCommand per stroke or operation, holding only the changed tiles."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.engine.masks import Mask, MaskRecorder, bbox

TILE = 64


class TileEditCommand(QUndoCommand):
    """An edit already applied to the array ``layer.<target>``, recorded tile by tile by a :class:`MaskRecorder`.

    Pushing it does not re-apply the edit; undo/redo copy the saved tiles back
    and repaint only their rectangle. Once the layer holds another array (e.g. a
    new image size), the record no longer applies and undo/redo do nothing.
    """

    target = "mask"

    def __init__(self, layer, recorder: MaskRecorder, text: str):
        super().__init__(text)
        self.layer = layer
        self.recorder = recorder
        self._array = getattr(layer, self.target)
        self._first = True

    @property
    def nbytes(self) -> int:
        return self.recorder.nbytes

    def _live(self) -> bool:
        return getattr(self.layer, self.target) is self._array

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        if self._live():
            self.layer.refresh(self.recorder.redo())

    def undo(self) -> None:
        if self._live():
            self.layer.refresh(self.recorder.undo())


class MaskEditCommand(TileEditCommand):
    """A mask edit (one stroke or operation) on ``layer.mask`` (the base's default target)."""

    def __init__(self, layer, recorder: MaskRecorder, text: str = "Paint mask"):
        super().__init__(layer, recorder, text)


class ReplaceMaskCommand(QUndoCommand):
    """Swap the layer's whole mask (used when the canvas size changes, e.g. outpainting)."""

    def __init__(self, layer, new: Mask, text: str = "Replace mask", old: Mask | None = None):
        super().__init__(text)
        self.layer = layer
        self.new = new
        self.old = layer.mask if old is None else old

    def redo(self) -> None:
        self.layer.set_mask(self.new)

    def undo(self) -> None:
        self.layer.set_mask(self.old)


def apply_edit(layer, stack: QUndoStack | None, text: str, compute: Callable[[np.ndarray], np.ndarray]) -> bool:
    """Replace the mask by ``compute(mask.data)`` as one undoable step; only changed tiles are stored.

    Returns False (and pushes nothing) when nothing changed.
    """
    return record_edit(layer, layer.mask.data, stack, text, compute, MaskEditCommand)


def record_edit(layer, data: np.ndarray, stack: QUndoStack | None, text: str,
                compute: Callable[[np.ndarray], np.ndarray], command: type[TileEditCommand]) -> bool:
    """Replace ``data`` (the layer's array) in place by ``compute(copy)``, store the changed tiles and push
    ``command`` for them; False (nothing pushed) when nothing changed."""
    new = compute(data.copy())
    changed = bbox((new != data).view(np.uint8))
    if changed is None:
        return False
    rec = MaskRecorder(data, TILE)
    rec.before(changed)
    x0, y0, x1, y1 = changed
    data[y0:y1, x0:x1] = new[y0:y1, x0:x1]
    rec.finish()
    layer.refresh(changed)
    if stack is not None:
        stack.push(command(layer, rec, text))
    return True
