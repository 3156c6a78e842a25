"""GalleryPanel: search and filters, the board list, the thumbnail grid and the detail panel.

The panel builds the layout and wires its parts; what it does lives beside it:
:mod:`.panel_actions` (favourite, rate, delete/undo, boards, context menu,
lightbox, trash), :mod:`.panel_work` (reconcile, import, export on a worker
thread), :mod:`.filter_bar`, :mod:`.boards`, :mod:`.detail`, :mod:`.view`.
None of them imports this module.

Signals to the main window:

* ``reuse_parameters(dict)``: a ``GenerationRequest.to_params()``-style dict.
* ``send_to_canvas(str path, str purpose)``: purpose is ``"init"`` or ``"inpaint"``.
* ``upscale_requested(list paths, int scale)``: Upscale x2/x4 of the selected images (the window runs it).
* ``status(str)``: a short message for the status bar.

Slots: :meth:`add_entry` (a new image landed in the library) and :meth:`refresh`.
When the panel is wide (the full gallery view) the detail panel sits beside the
grid, else under it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QToolButton, QVBoxLayout, QWidget

from studio.library import GalleryEntry, Library
from studio.ui.gallery.boards import BoardList
from studio.ui.gallery.detail import DetailPanel
from studio.ui.gallery.filter_bar import FilterBar
from studio.ui.gallery.model import GalleryModel
from studio.ui.gallery.panel_actions import PanelActions
from studio.ui.gallery.panel_work import PanelWork
from studio.ui.gallery.thumbnails import ThumbnailLoader
from studio.ui.gallery.view import GalleryView
from studio.ui.gallery.widgets import ElidedLabel

WIDE = 900  # px: from this width (and wider than tall) the detail panel goes beside the grid


class GalleryPanel(PanelActions, PanelWork, QWidget):
    reuse_parameters = Signal(dict)
    send_to_canvas = Signal(str, str)
    upscale_requested = Signal(list, int)
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
        self._tasks: set = set()
        self.loader = ThumbnailLoader(self.library.thumbnails, workers=2, parent=self)
        self.model = GalleryModel(self.library, self.loader, self)
        self.undo_stack = QUndoStack(self)
        self.lightbox = None
        self.trash_dialog = None
        self._closed = False

        # search and filters (the panel's attributes name the bar's widgets)
        self.filter_bar = fb = FilterBar(self)
        self.search_box, self.sort_combo, self.size_slider = fb.search_box, fb.sort_combo, fb.size_slider
        self.model_combo, self.board_combo, self.fav_button = fb.model_combo, fb.board_combo, fb.fav_button
        self.date_combo, self.date_from, self.date_to, self.custom_dates = fb.date_combo, fb.date_from, fb.date_to, fb.custom_dates
        self.count_label = QLabel("", objectName="galleryCount")
        self.message_label = ElidedLabel("", objectName="galleryMessage")
        self.message_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.trash_button = QToolButton(text="Trash", objectName="galleryTrashButton", toolTip="Browse and restore deleted images")
        self._message_timer = QTimer(self, singleShot=True, interval=6000)
        self._message_timer.timeout.connect(lambda: self.message_label.setText(""))

        self.view = GalleryView(self)
        self.view.setModel(self.model)
        self.detail = DetailPanel(self)
        self.boards = BoardList(self.library, self)
        self.boards.hide()
        self.undo_bar = QWidget(objectName="galleryUndoBar")
        self.undo_label = ElidedLabel("")
        self.undo_button = QPushButton("Undo", objectName="galleryUndo")
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.undo_label, 1)
        bar.addWidget(self.undo_button)
        self.undo_bar.hide()

        grid_box = QWidget()
        grid_layout = QVBoxLayout(grid_box)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.view, 1)
        grid_layout.addWidget(self.undo_bar)
        status_row = QHBoxLayout()
        status_row.addWidget(self.count_label)
        status_row.addWidget(self.message_label, 1)
        status_row.addWidget(self.size_slider)
        status_row.addWidget(self.trash_button)
        grid_layout.addLayout(status_row)
        self.splitter = QSplitter(Qt.Vertical, objectName="gallerySplitter")
        self.splitter.addWidget(grid_box)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.body = QSplitter(Qt.Horizontal, objectName="galleryBody")
        self.body.addWidget(self.boards)
        self.body.addWidget(self.splitter)
        self.body.setStretchFactor(1, 1)
        self.body.setCollapsible(1, False)
        self.detail.set_compact(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.body, 1)
        self._wire()

        self._fill_combos()
        self.apply_filters()
        self._update_trash_button()
        QTimer.singleShot(0, lambda: None if self._closed else self._fill_combos(models=True, sizes=True))
        if reconcile_on_start:
            QTimer.singleShot(0, self.start_reconcile)

    def _wire(self) -> None:
        self.filter_bar.changed.connect(self.apply_filters)
        self.model_combo.about_to_popup.connect(lambda: self._fill_combos(models=True))
        self.filter_bar.size_combo.about_to_popup.connect(lambda: self._fill_combos(sizes=True))
        self.filter_bar.boards_button.toggled.connect(self._show_boards)
        self.size_slider.valueChanged.connect(self.view.set_thumb_size)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._show_current())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_count())
        self.view.delete_pressed.connect(self.delete_selected)
        self.view.undo_pressed.connect(self.undo)
        self.view.favourite_pressed.connect(self.toggle_favourite)
        self.view.rate_pressed.connect(self.set_rating)
        self.view.activated_entry.connect(self.open_lightbox)
        self.view.files_dropped.connect(self.import_paths)
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.boards.chosen.connect(self._board_chosen)
        self.boards.changed.connect(self._boards_changed)
        self.boards.message.connect(self.status)
        self.undo_button.clicked.connect(self.undo)
        self.trash_button.clicked.connect(self.open_trash)
        self.status.connect(self._show_message)
        self.undo_stack.indexChanged.connect(self._update_undo_bar)
        b = self.detail.buttons
        b["open"].clicked.connect(self.open_lightbox)
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

    # -- filters -----------------------------------------------------------------------

    def _fill_combos(self, models: bool = False, sizes: bool = False) -> None:
        """Refill the board filter and list (cheap: every refresh); the model and size lists scan the
        whole index, so they are read at open (after the first paint) and when their list opens."""
        boards = self.library.boards()
        self.filter_bar.fill_combos(
            self.library.models() if models else None,
            [name for name, _n in boards],
            self.library.sizes() if sizes else None,
        )
        self.boards.fill(boards)

    def _boards_changed(self) -> None:
        wanted = self.boards.current_board  # follows a rename of the board being viewed
        self._fill_combos()
        if wanted != self.board_combo.currentData():
            self.filter_bar.set_board(wanted)
            self.apply_filters()
        elif wanted:
            self.refresh()

    def _show_boards(self, on: bool) -> None:
        self.boards.setVisible(on)
        if on:
            side = min(180, max(110, self.width() // 6))
            self.body.setSizes([side, max(1, self.body.width() - side)])

    def _board_chosen(self, name: str) -> None:
        self.boards.current_board = name or None
        self.filter_bar.set_board(name or None)

    def current_filters(self) -> dict[str, Any]:
        return self.filter_bar.current_filters()

    def apply_filters(self) -> None:
        """Run the search box's query with the filters and sort (the instant search)."""
        self.filter_bar.cancel_pending()
        keep = self._current_id()
        sort = self.sort_combo.currentData()
        seed = self.model.random_seed + 1 if sort == "random" else None
        self.boards.current_board = self.board_combo.currentData()
        self.model.set_query(self.search_box.text().strip(), sort=sort, random_seed=seed, **self.current_filters())
        self._after_reload(select=[keep] if keep is not None else [])

    def refresh(self, select: list[int] | None = None) -> None:
        """Re-run the current query (after a change in the library), keeping selection and the
        item under the pointer where they were."""
        if self._closed:
            return
        keep = select if select is not None else self.selected_ids()
        anchor = self.view.anchor()
        self._fill_combos()
        self.model.reload()
        self._after_reload(select=keep, scroll=select is not None)
        if select is None:
            self.view.restore_anchor(anchor)
        self._update_trash_button()

    def _after_reload(self, select: list[int], scroll: bool = True) -> None:
        sel = self.view.selectionModel()
        rows = [r for r in (self.model.row_of(i) for i in select) if r >= 0]
        if rows:
            selection = QItemSelection()
            for r in rows:
                idx = self.model.index(r)
                selection.select(idx, idx)
            sel.select(selection, QItemSelectionModel.ClearAndSelect)
            sel.setCurrentIndex(self.model.index(rows[0]), QItemSelectionModel.NoUpdate)
            if scroll:
                self.view.scrollTo(self.model.index(rows[0]))
        self._show_current()
        self._update_count()

    def _show_message(self, text: str) -> None:
        """Messages also show in the panel (the main window may put them in its status bar too)."""
        if self._closed:
            return
        self.message_label.setText(text)
        self._message_timer.start()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        selected = len(self.view.selectionModel().selectedRows())
        text = f"{n:,} image{'s' if n != 1 else ''}"
        if selected > 1:
            text += f" · {selected:,} selected"
        self.count_label.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wide = self.width() >= WIDE and self.width() > 1.2 * self.height()
        orientation = Qt.Horizontal if wide else Qt.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            self.detail.set_compact(not wide)
            total = self.width() if wide else self.height()
            self.splitter.setSizes([int(total * 0.7), int(total * 0.3)] if wide else [int(total * 0.62), int(total * 0.38)])

    # -- selection ---------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
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

    def select_all(self) -> None:
        """Ctrl+A: every image of the current filter."""
        self.view.selectAll()

    def _show_current(self) -> None:
        entry = self.current_entry()
        self.detail.show_entry(entry if entry is not None and entry.trashed is None else None)

    # -- new images ----------------------------------------------------------------------

    def add_entry(self, entry: GalleryEntry) -> None:
        """A new image is in the library (called by the main window)."""
        plain = not self.search_box.text().strip() and not any(self.current_filters().values())
        if plain and self.model.sort == "newest":
            anchor = self.view.anchor()
            self.model.prepend(entry)
            self.view.restore_anchor(anchor)
            if entry.model and self.model_combo.findData(entry.model) < 0:
                self._fill_combos(models=True)
            self._update_count()
        else:
            self.refresh()

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
        if self.lightbox is not None:
            try:
                self.lightbox.close()
            except RuntimeError:
                pass
        self.loader.close()
        self._pool.waitForDone(10000)
        self.detail.wait(2000)
        if self._owns_library:
            self.library.close()


__all__ = ["GalleryPanel"]
