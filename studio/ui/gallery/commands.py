"""Undoable gallery commands (Qt's undo stack): moving images to the trash."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from studio.library import Library


class DeleteCommand(QUndoCommand):
    """Moving images to the trash; undo brings them back. ``refresh(select)`` re-runs the view's query."""

    def __init__(self, library: Library, ids: list[int], refresh: Callable[[list[int] | None], None],
                 report: Callable[[str], None] | None = None):
        super().__init__(f"Delete {len(ids)} image{'s' if len(ids) != 1 else ''}")
        self.library = library
        self.ids = list(ids)
        self.refresh = refresh
        self.report = report or (lambda _message: None)

    def redo(self) -> None:
        try:
            self.ids = self.library.delete(self.ids) or self.ids
        except OSError as exc:  # a read-only or full disk: say so, change nothing
            self.report(str(exc))
            self.setObsolete(True)
        self.refresh(None)

    def undo(self) -> None:
        try:
            self.library.restore(self.ids)
        except OSError as exc:
            self.report(str(exc))
        self.refresh(self.ids)


__all__ = ["DeleteCommand"]
