"""GalleryPanel: search, filters, the thumbnail grid, the detail panel and every gallery action.

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

import datetime as _dt
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QObject, QProcess, QRunnable, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QImage, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.library import DEFAULT_TEMPLATE, GalleryEntry, Library
from studio.ui.gallery.detail import DetailPanel
from studio.ui.gallery.model import GalleryModel
from studio.ui.gallery.thumbnails import ThumbnailLoader
from studio.ui.gallery.view import DEFAULT_THUMB, MAX_THUMB, MIN_THUMB, GalleryView

SORT_LABELS = [("Newest", "newest"), ("Oldest", "oldest"), ("Random", "random")]
DATE_RANGES = ["Any time", "Today", "Last 7 days", "Last 30 days", "This year", "Custom range"]


# -- background work ---------------------------------------------------------------------


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _TaskSignals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # noqa: BLE001 - reported to the user as one line
            if not isinstance(exc, (OSError, ValueError)) and type(exc).__module__.split(".")[0] != "studio":
                traceback.print_exc()
            self.signals.failed.emit(str(exc) or type(exc).__name__)
            return
        self.signals.done.emit(result)


class DeleteCommand(QUndoCommand):
    """Moving images to the trash; undo brings them back."""

    def __init__(self, panel: GalleryPanel, ids: list[int]):
        super().__init__(f"Delete {len(ids)} image{'s' if len(ids) != 1 else ''}")
        self.panel = panel
        self.ids = list(ids)

    def redo(self) -> None:
        self.ids = self.panel.library.delete(self.ids) or self.ids
        self.panel.refresh()

    def undo(self) -> None:
        self.panel.library.restore(self.ids)
        self.panel.refresh(select=self.ids)


class ExportDialog(QDialog):
    def __init__(self, count: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Export {count} image{'s' if count != 1 else ''}")
        self.format = QComboBox()
        for label, value in (("Keep each file's format", None), ("PNG", "png"), ("JPEG", "jpeg"), ("WebP", "webp")):
            self.format.addItem(label, value)
        self.template = QLineEdit(DEFAULT_TEMPLATE)
        self.template.setToolTip("Fields: {date} {time} {datetime} {seed} {prompt} {negative} {model} {id} {steps} {cfg} {sampler} {width} {height} {index}")
        self.strip = QCheckBox("Strip all metadata (pixels only)")
        self.sidecar = QComboBox()
        for label, value in (("No sidecar file", None), (".txt beside each image (AUTOMATIC1111 text)", "txt"), (".json beside each image", "json")):
            self.sidecar.addItem(label, value)
        self.as_zip = QCheckBox("Into one .zip archive")
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("File names", self.template)
        form.addRow("", self.strip)
        form.addRow("Sidecar", self.sidecar)
        form.addRow("", self.as_zip)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {
            "fmt": self.format.currentData(),
            "template": self.template.text().strip() or DEFAULT_TEMPLATE,
            "strip": self.strip.isChecked(),
            "sidecar": self.sidecar.currentData(),
        }


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
        self._tasks: set[_Task] = set()
        self.loader = ThumbnailLoader(self.library.thumbnails, workers=2, parent=self)
        self.model = GalleryModel(self.library, self.loader, self)
        self.undo_stack = QUndoStack(self)
        self._closed = False

        # search and filters
        self.search_box = QLineEdit(placeholderText="Search prompts…", objectName="gallerySearch")
        self.search_box.setClearButtonEnabled(True)
        self.sort_combo = QComboBox(objectName="gallerySort")
        for label, value in SORT_LABELS:
            self.sort_combo.addItem(label, value)
        self.size_slider = QSlider(Qt.Horizontal, objectName="galleryThumbSize")
        self.size_slider.setRange(MIN_THUMB, MAX_THUMB)
        self.size_slider.setValue(DEFAULT_THUMB)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.setMaximumWidth(90)
        self.model_combo = QComboBox(objectName="galleryModelFilter")
        self.model_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(8)
        self.board_combo = QComboBox(objectName="galleryBoardFilter")
        self.board_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.board_combo.setMinimumContentsLength(6)
        self.fav_button = QToolButton(text="★", checkable=True, objectName="galleryFavFilter", toolTip="Favourites only")
        self.date_combo = QComboBox(objectName="galleryDateFilter")
        self.date_combo.addItems(DATE_RANGES)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7), calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.date_to = QDateEdit(today, calendarPopup=True, displayFormat="yyyy-MM-dd")
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

        row1 = QHBoxLayout()
        row1.addWidget(self.search_box, 1)
        row1.addWidget(self.sort_combo)
        row1.addWidget(self.size_slider)
        row2 = QHBoxLayout()
        row2.addWidget(self.fav_button)
        row2.addWidget(self.model_combo, 1)
        row2.addWidget(self.board_combo, 1)
        row2.addWidget(self.date_combo)
        row3 = QHBoxLayout()
        row3.addWidget(self.date_from)
        row3.addWidget(QLabel("to"))
        row3.addWidget(self.date_to)
        row3.addStretch(1)
        self.custom_dates = QWidget()
        self.custom_dates.setLayout(row3)
        row3.setContentsMargins(0, 0, 0, 0)
        self.custom_dates.hide()
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
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.custom_dates)
        layout.addWidget(splitter, 1)

        # wiring
        self._search_timer = QTimer(self, singleShot=True, interval=60)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.returnPressed.connect(self.apply_filters)
        for combo in (self.sort_combo, self.model_combo, self.board_combo):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.date_combo.currentIndexChanged.connect(self._date_range_changed)
        self.date_from.dateChanged.connect(lambda _d: self.apply_filters())
        self.date_to.dateChanged.connect(lambda _d: self.apply_filters())
        self.fav_button.toggled.connect(lambda _on: self.apply_filters())
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
        def refill(combo: QComboBox, first: str, items: list[str]) -> None:
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(first, None)
            for item in items:
                combo.addItem(item, item)
            i = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(0, i))
            combo.blockSignals(False)

        refill(self.model_combo, "All models", self.library.models())
        refill(self.board_combo, "All boards", [name for name, _n in self.library.boards()])

    def _date_range_changed(self, _index: int) -> None:
        self.custom_dates.setVisible(self.date_combo.currentText() == "Custom range")
        self.apply_filters()

    def _date_filter(self) -> tuple[Any, Any]:
        choice = self.date_combo.currentText()
        today = _dt.date.today()
        if choice == "Today":
            return today, today
        if choice == "Last 7 days":
            return today - _dt.timedelta(days=6), today
        if choice == "Last 30 days":
            return today - _dt.timedelta(days=29), today
        if choice == "This year":
            return _dt.date(today.year, 1, 1), today
        if choice == "Custom range":
            return self.date_from.date().toPython(), self.date_to.date().toPython()
        return None, None

    def current_filters(self) -> dict[str, Any]:
        date_from, date_to = self._date_filter()
        return {
            "model": self.model_combo.currentData(),
            "board": self.board_combo.currentData(),
            "favourite": True if self.fav_button.isChecked() else None,
            "date_from": date_from,
            "date_to": date_to,
        }

    def apply_filters(self) -> None:
        """Run the search box's query with the filters and sort (the instant search)."""
        self._search_timer.stop()
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
        params = dict(entry.params)
        params.setdefault("prompt", entry.prompt)
        params.setdefault("negative_prompt", entry.negative_prompt)
        if entry.seed is not None and 0 <= entry.seed <= 2**32 - 1:
            params["seed"] = int(entry.seed)
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
        image = QImage(str(entry.path))
        if image.isNull():
            self.status.emit(f"Could not read {entry.path.name}.")
            return
        QGuiApplication.clipboard().setImage(image)
        self.status.emit("Image copied.")

    def parameters_text(self, entry: GalleryEntry) -> str:
        from studio.engine.errors import ImageLoadError
        from studio.engine.metadata import read_metadata

        try:
            return read_metadata(entry.path).a1111_text()
        except ImageLoadError:
            return entry.prompt

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
        path = str(entry.path)
        if sys.platform == "darwin":
            QProcess.startDetached("open", ["-R", path])
        elif sys.platform.startswith("win"):
            QProcess.startDetached("explorer", ["/select," + str(entry.path).replace("/", "\\")])
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.path.parent)))

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
        menu = QMenu(self)
        menu.addAction("Reuse parameters", self.reuse_current)
        menu.addAction("Send to canvas (img2img)", lambda: self.send_current("init"))
        menu.addAction("Send to canvas for inpainting", lambda: self.send_current("inpaint"))
        menu.addSeparator()
        menu.addAction("Toggle favourite\tF", self.toggle_favourite)
        boards = menu.addMenu("Add to board")
        for name, _n in self.library.boards():
            boards.addAction(name, lambda n=name: self.add_to_board(n))
        boards.addSeparator()
        boards.addAction("New board…", self._new_board)
        current_board = self.board_combo.currentData()
        if current_board:
            menu.addAction(f"Remove from {current_board}", lambda: self.remove_from_board(current_board))
        menu.addSeparator()
        menu.addAction("Copy image", self.copy_image)
        menu.addAction("Copy parameters", self.copy_parameters)
        menu.addAction("Show in file manager", self.reveal_current)
        menu.addAction("Export…", self.open_export_dialog)
        menu.addSeparator()
        delete = QAction("Delete\tDel", menu)
        delete.triggered.connect(self.delete_selected)
        menu.addAction(delete)
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

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], what: str) -> _Task:
        task = _Task(fn)
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
            parts = []
            if report.added:
                parts.append(f"{len(report.added)} found")
            if report.removed:
                parts.append(f"{len(report.removed)} missing removed")
            if report.updated:
                parts.append(f"{len(report.updated)} changed")
            if parts:
                self.status.emit("Gallery updated: " + ", ".join(parts) + ".")
        self.reconciled.emit(report)

    def import_paths(self, paths: list[str]) -> None:
        """Import dropped files and folders (copied into the library) on a worker thread."""

        def work():
            from studio.library import ImportReport

            total = ImportReport()
            files = []
            for p in map(Path, paths):
                if p.is_dir():
                    r = self.library.import_folder(p)
                    total.added += r.added
                    total.duplicates += r.duplicates
                    total.skipped += r.skipped
                else:
                    files.append(p)
            if files:
                r = self.library.import_files(files)
                total.added += r.added
                total.duplicates += r.duplicates
                total.skipped += r.skipped
            return total

        def done(report) -> None:
            self.refresh(select=report.added)
            msg = f"Imported {len(report.added)} image(s)."
            if report.duplicates:
                msg += f" {len(report.duplicates)} already there."
            if report.skipped:
                msg += f" {len(report.skipped)} skipped."
            self.status.emit(msg)
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
