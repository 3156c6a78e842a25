"""The gallery panel's disk work on a worker thread: start-up reconcile, imports and exports
(a mixin of :class:`GalleryPanel`; results come back as signals on the GUI thread)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog

from studio.ui.gallery import actions
from studio.ui.gallery.export_dialog import ExportDialog
from studio.ui.gallery.tasks import BackgroundTask


class PanelWork:
    """Needs ``_pool`` (one thread: work runs in order), ``_tasks``, ``_closed``, ``library`` and the
    panel's ``status``/``reconciled``/``imported``/``exported`` signals."""

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], what: str) -> BackgroundTask:
        task = BackgroundTask(fn)
        self._tasks.add(task)

        def finished(result: Any) -> None:
            self._tasks.discard(task)
            if not self._closed:
                done(result)

        def failed(message: str) -> None:
            self._tasks.discard(task)
            if not self._closed:
                self.status.emit(f"{what} failed: {message}")

        task.signals.done.connect(finished)
        task.signals.failed.connect(failed)
        task.setAutoDelete(False)
        self._pool.start(task)
        return task

    def start_reconcile(self) -> None:
        """Check the folders against the index on a worker thread (start-up)."""
        self._run(self.library.reconcile, self._reconciled, "Checking the gallery")

    def _reconciled(self, report) -> None:
        if report.changed:
            self.model.forget(report.updated + report.broken)
            self.refresh()
        message = actions.reconcile_message(report)  # also when nothing changed: skipped files, a read-only gallery
        if message:
            self.status.emit(message)
        self._update_trash_button()
        self.reconciled.emit(report)

    def import_paths(self, paths: list[str]) -> None:
        """Import dropped files and folders (copied into the library) on a worker thread."""

        def done(report) -> None:
            self.refresh(select=report.added)
            self.status.emit(actions.import_message(report))
            self.imported.emit(report)

        self._run(lambda: actions.import_paths(self.library, paths), done, "Import")

    def export_dialog(self) -> ExportDialog | None:
        """The export dialog for the selection (None when nothing is selected)."""
        ids = self._targets()
        return ExportDialog(self.library, ids, self) if ids else None

    def open_export_dialog(self) -> None:
        dialog = self.export_dialog()
        if dialog is None or dialog.exec() != QDialog.Accepted:
            return
        values = dialog.values()
        if dialog.as_zip.isChecked():
            dest, _f = QFileDialog.getSaveFileName(self, "Export to archive", "gallery-export.zip", "Zip archive (*.zip)")
            if dest and not dest.lower().endswith(".zip"):
                dest += ".zip"
        else:
            dest = QFileDialog.getExistingDirectory(self, "Export to folder")
        if dest:
            self.export_selected(Path(dest), ids=dialog.ids, **values)

    def export_selected(self, dest: Path, ids: list[int] | None = None, **options: Any) -> None:
        """Export on a worker thread; ``exported(list[Path])`` when done."""
        ids = ids if ids is not None else self._targets()

        def done(paths) -> None:
            self.status.emit(f"Exported {len(ids)} image(s) to {dest}.")
            self.exported.emit(paths)

        self._run(lambda: self.library.export(ids, dest, **options), done, "Export")

    def wait_for_tasks(self, msecs: int = 30000) -> bool:
        return self._pool.waitForDone(msecs)


__all__ = ["PanelWork"]
