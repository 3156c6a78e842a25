"""GalleryPanel: search, filters, the thumbnail grid, the detail panel and every gallery action.

The pieces live beside it: :mod:`.filter_bar` (search and filters), :mod:`.actions`
(delete/undo, export dialog, copy, reveal, import, context menu), :mod:`.tasks`
(background work); the panel wires them together.

Signals to the main window:

* ``reuse_parameters(dict)``: a ``GenerationRequest.to_params()``-style dict
  (prompt, negative prompt, scheduler, steps, CFG, size, seed...).
* ``send_to_canvas(str path, str purpose)``: purpose is ``"init"`` or ``"inpaint"``.
* ``status(str)``: a short message for the status bar.

Slots: :meth:`add_entry` (a new image landed in the library) and :meth:`refresh`.
Disk work (start-up reconcile, imports, exports, thumbnails, previews) runs on
worker threads; the GUI thread only runs indexed SQLite queries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.library import GalleryEntry, Library
from studio.ui.gallery import actions
from studio.ui.gallery.actions import DeleteCommand, ExportDialog
from studio.ui.gallery.detail import DetailPanel
from studio.ui.gallery.filter_bar import FilterBar
from studio.ui.gallery.model import GalleryModel
from studio.ui.gallery.tasks import BackgroundTask
from studio.ui.gallery.thumbnails import ThumbnailLoader
from studio.ui.gallery.view import GalleryView


# -- the panel ---------------------------------------------------------------------------


class GalleryPanel(QWidget):
    reuse_parameters = Signal(dict)
    send_to_canvas = Signal(str, str)
    status = Signal(str)
    reconciled = Signal(object)  # ReconcileReport
    imported = Signal(object)  # ImportReport
    exported = Signal(list)  # written paths

    def __init__(self, library: Library | None = None, parent: QWidget | None = None, *, reconcile_on_start: bool = True):
        super().__init__(parent)
        self.setObjectName("galleryPanel")
        self.library = library if library is not None else Library.open()
        self._owns_library = library is None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # reconcile/import/export one at a time, in order
        self._tasks: set[BackgroundTask] = set()
        self.loader = ThumbnailLoader(self.library.thumbnails, workers=2, parent=self)
        self.model = GalleryModel(self.library, self.loader, self)
        self.undo_stack = QUndoStack(self)
        self._closed = False

        # search and filters (the panel's attributes name the bar's widgets, as before the bar was split out)
        self.filter_bar = FilterBar(self)
        fb = self.filter_bar
        self.search_box, self.sort_combo, self.size_slider = fb.search_box, fb.sort_combo, fb.size_slider
        self.model_combo, self.board_combo, self.fav_button = fb.model_combo, fb.board_combo, fb.fav_button
        self.date_combo, self.date_from, self.date_to, self.custom_dates = fb.date_combo, fb.date_from, fb.date_to, fb.custom_dates
        self.count_label = QLabel("", objectName="galleryCount")
        self.message_label = QLabel("", objectName="galleryMessage")
        self.message_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self._message_timer = QTimer(self, singleShot=True, interval=6000)
        self._message_timer.timeout.connect(self.message_label.clear)

        self.view = GalleryView(self)
        self.view.setModel(self.model)
        self.detail = DetailPanel(self)
        self.undo_bar = QWidget(objectName="galleryUndoBar")
        self.undo_label = QLabel("")
        self.undo_button = QPushButton("Undo", objectName="galleryUndo")
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.undo_label, 1)
        bar.addWidget(self.undo_button)
        self.undo_bar.hide()

        splitter = QSplitter(Qt.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.view, 1)
        top_layout.addWidget(self.undo_bar)
        status_row = QHBoxLayout()
        status_row.addWidget(self.count_label)
        status_row.addWidget(self.message_label, 1)
        top_layout.addLayout(status_row)
        splitter.addWidget(top)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.filter_bar)
        layout.addWidget(splitter, 1)

        # wiring
        self.filter_bar.changed.connect(self.apply_filters)
        self.size_slider.valueChanged.connect(self.view.set_thumb_size)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_count())
        self.view.delete_pressed.connect(self.delete_selected)
        self.view.undo_pressed.connect(self.undo)
        self.view.favourite_pressed.connect(self.toggle_favourite)
        self.view.activated_entry.connect(self.reuse_current)
        self.view.files_dropped.connect(self.import_paths)
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.undo_button.clicked.connect(self.undo)
        self.status.connect(self._show_message)
        self.undo_stack.indexChanged.connect(self._update_undo_bar)
        b = self.detail.buttons
        b["reuse"].clicked.connect(self.reuse_current)
        b["init"].clicked.connect(lambda: self.send_current("init"))
        b["inpaint"].clicked.connect(lambda: self.send_current("inpaint"))
        b["favourite"].clicked.connect(self.toggle_favourite)
        b["copy_image"].clicked.connect(self.copy_image)
        b["copy_params"].clicked.connect(self.copy_parameters)
        b["reveal"].clicked.connect(self.reveal_current)
        b["export"].clicked.connect(self.open_export_dialog)
        b["delete"].clicked.connect(self.delete_selected)
        self.setAcceptDrops(True)
        app = QGuiApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

        self._fill_combos()
        self.apply_filters()
        if reconcile_on_start:
            QTimer.singleShot(0, self.start_reconcile)

    # -- filters -----------------------------------------------------------------------

    def _fill_combos(self) -> None:
        self.filter_bar.fill_combos(self.library.models(), [name for name, _n in self.library.boards()])

    def current_filters(self) -> dict[str, Any]:
        return self.filter_bar.current_filters()

    def apply_filters(self) -> None:
        """Run the search box's query with the filters and sort (the instant search)."""
        self.filter_bar.cancel_pending()
        keep = self._current_id()
        sort = self.sort_combo.currentData()
        seed = self.model.random_seed + 1 if sort == "random" else None
        self.model.set_query(self.search_box.text().strip(), sort=sort, random_seed=seed, **self.current_filters())
        self._after_reload(select=[keep] if keep is not None else [])

    def refresh(self, select: list[int] | None = None) -> None:
        """Re-run the current query (after a change in the library), keeping selection and scroll."""
        if self._closed:
            return
        keep = select if select is not None else self.selected_ids()
        scroll = self.view.verticalScrollBar().value()
        self._fill_combos()
        self.model.reload()
        self._after_reload(select=keep)
        if select is None:
            self.view.verticalScrollBar().setValue(scroll)

    def _after_reload(self, select: list[int]) -> None:
        sel = self.view.selectionModel()
        rows = [self.model.row_of(i) for i in select]
        rows = [r for r in rows if r >= 0]
        if rows:
            from PySide6.QtCore import QItemSelection, QItemSelectionModel

            selection = QItemSelection()
            for r in rows:
                idx = self.model.index(r)
                selection.select(idx, idx)
            sel.select(selection, QItemSelectionModel.ClearAndSelect)
            sel.setCurrentIndex(self.model.index(rows[0]), QItemSelectionModel.NoUpdate)
            self.view.scrollTo(self.model.index(rows[0]))
        self._show_current()
        self._update_count()

    def _show_message(self, text: str) -> None:
        """Messages also show in the panel (the main window may put them in its status bar too)."""
        if self._closed:
            return
        self.message_label.setText(text if len(text) < 120 else text[:119] + "…")
        self.message_label.setToolTip(text)
        self._message_timer.start()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        selected = len(self.view.selectionModel().selectedIndexes())
        text = f"{n:,} image{'s' if n != 1 else ''}"
        if selected > 1:
            text += f" · {selected} selected"
        self.count_label.setText(text)

    # -- selection ---------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.model.ids[r] for r in rows if r < len(self.model.ids)]

    def _current_id(self) -> int | None:
        idx = self.view.currentIndex()
        if idx.isValid() and idx.row() < len(self.model.ids):
            return self.model.ids[idx.row()]
        return None

    def current_entry(self) -> GalleryEntry | None:
        image_id = self._current_id()
        if image_id is None:
            ids = self.selected_ids()
            image_id = ids[0] if ids else None
        return self.library.get(image_id) if image_id is not None else None

    def select_ids(self, ids: list[int]) -> None:
        self._after_reload(select=ids)

    def _current_changed(self, *_args) -> None:
        self._show_current()

    def _show_current(self) -> None:
        entry = self.current_entry()
        if entry is not None and entry.trashed is not None:
            entry = None
        self.detail.show_entry(entry)

    # -- actions -----------------------------------------------------------------------

    def reuse_current(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        params = actions.reuse_params(entry)
        self.reuse_parameters.emit(params)
        self.status.emit(f"Parameters of image {entry.id} reused (seed {params.get('seed', 'random')}).")

    def send_current(self, purpose: str = "init") -> None:
        entry = self.current_entry()
        if entry is not None:
            self.send_to_canvas.emit(str(entry.path), purpose)

    def toggle_favourite(self) -> None:
        ids = self.selected_ids() or ([self._current_id()] if self._current_id() is not None else [])
        if not ids:
            return
        entries = self.library.get_many(ids)
        value = not all(e.favourite for e in entries)
        self.library.set_favourite(ids, value)
        if self.fav_button.isChecked():
            self.refresh()
        else:
            for e in self.library.get_many(ids):
                self.model.update_entry(e)
            self.detail.set_favourite(value)

    def copy_image(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        if not actions.copy_image(entry):
            self.status.emit(f"Could not read {entry.path.name}.")
            return
        self.status.emit("Image copied.")

    def parameters_text(self, entry: GalleryEntry) -> str:
        return actions.parameters_text(entry)

    def copy_parameters(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        QGuiApplication.clipboard().setText(self.parameters_text(entry))
        self.status.emit("Parameters copied.")

    def reveal_current(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        actions.reveal_in_file_manager(entry)

    def delete_selected(self) -> None:
        ids = self.selected_ids() or ([self._current_id()] if self._current_id() is not None else [])
        if ids:
            self.undo_stack.push(DeleteCommand(self, ids))

    def undo(self) -> None:
        if self.undo_stack.canUndo():
            self.undo_stack.undo()

    def _update_undo_bar(self, _index: int = 0) -> None:
        try:
            if self._closed:
                return
            if self.undo_stack.canUndo():
                self.undo_label.setText(self.undo_stack.undoText() + " — moved to the trash.")
                self.undo_bar.show()
            else:
                self.undo_bar.hide()
        except RuntimeError:  # the panel is being destroyed
            pass

    def add_to_board(self, name: str, ids: list[int] | None = None) -> None:
        ids = ids if ids is not None else self.selected_ids()
        if ids and name.strip():
            self.library.add_to_board(ids, name)
            self._fill_combos()
            self.status.emit(f"Added {len(ids)} image(s) to {name}.")

    def remove_from_board(self, name: str, ids: list[int] | None = None) -> None:
        ids = ids if ids is not None else self.selected_ids()
        self.library.remove_from_board(ids, name)
        if self.board_combo.currentData() == name:
            self.refresh()

    def _new_board(self) -> None:
        name, ok = QInputDialog.getText(self, "New board", "Board name:")
        if ok and name.strip():
            self.add_to_board(name.strip())

    def _context_menu(self, pos) -> None:
        if not self.view.indexAt(pos).isValid():
            return
        menu = actions.context_menu(self, self.board_combo.currentData())
        menu.exec(self.view.viewport().mapToGlobal(pos))

    # -- new images, reconcile, import, export -------------------------------------------

    def add_entry(self, entry: GalleryEntry) -> None:
        """A new image is in the library (called by the main window)."""
        plain = not self.search_box.text().strip() and not any(self.current_filters().values())
        if plain and self.model.sort == "newest":
            self.model.prepend(entry)
            if entry.model and self.model_combo.findData(entry.model) < 0:
                self._fill_combos()
            self._update_count()
        else:
            self.refresh()

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
        message = actions.reconcile_message(report)
        if message:
            self.status.emit(message)
        self.reconciled.emit(report)

    def import_paths(self, paths: list[str]) -> None:
        """Import dropped files and folders (copied into the library) on a worker thread."""

        def work():
            return actions.import_paths(self.library, paths)

        def done(report) -> None:
            self.refresh(select=report.added)
            self.status.emit(actions.import_message(report))
            self.imported.emit(report)

        self._run(work, done, "Import")

    def open_export_dialog(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        dialog = ExportDialog(len(ids), self)
        if dialog.exec() != QDialog.Accepted:
            return
        values = dialog.values()
        if dialog.as_zip.isChecked():
            dest, _f = QFileDialog.getSaveFileName(self, "Export to archive", "gallery-export.zip", "Zip archive (*.zip)")
            if dest and not dest.lower().endswith(".zip"):
                dest += ".zip"
        else:
            dest = QFileDialog.getExistingDirectory(self, "Export to folder")
        if dest:
            self.export_selected(Path(dest), ids=ids, **values)

    def export_selected(self, dest: Path, ids: list[int] | None = None, **options: Any) -> None:
        """Export on a worker thread; ``exported(list[Path])`` when done."""
        ids = ids if ids is not None else self.selected_ids()

        def done(paths) -> None:
            self.status.emit(f"Exported {len(ids)} image(s) to {dest}.")
            self.exported.emit(paths)

        self._run(lambda: self.library.export(ids, dest, **options), done, "Export")

    def wait_for_tasks(self, msecs: int = 30000) -> bool:
        return self._pool.waitForDone(msecs)

    # -- drops on the panel (outside the grid) ---------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    def shutdown(self) -> None:
        """Stop background work and close the library (the app is quitting)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.undo_stack.indexChanged.disconnect(self._update_undo_bar)
        except (RuntimeError, TypeError):
            pass
        self.loader.close()
        self._pool.waitForDone(10000)
        self.detail.wait(2000)
        if self._owns_library:
            self.library.close()


__all__ = ["DeleteCommand", "ExportDialog", "GalleryPanel"]
