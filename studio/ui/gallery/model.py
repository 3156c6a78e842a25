"""The grid's model: the ids of the current query, with entries and thumbnails fetched on demand.

Opening a library of 20,000 images costs one indexed ``SELECT id`` (a few
milliseconds); rows are read in pages when a cell first needs them, and a
thumbnail is asked for only when its cell is painted.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QImage, QPixmap

from studio.library import GalleryEntry, Library
from studio.ui.gallery.thumbnails import ThumbnailLoader

EntryRole = Qt.UserRole + 1
IdRole = Qt.UserRole + 2
ThumbRole = Qt.UserRole + 3
StateRole = Qt.UserRole + 4  # "loading", "ready", "broken"

PAGE = 128
MAX_PIXMAPS = 3000
MAX_ENTRIES = 20000


class GalleryModel(QAbstractListModel):
    def __init__(self, library: Library, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.library = library
        self.loader = loader
        self.ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._entries: OrderedDict[int, GalleryEntry] = OrderedDict()
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._failed: set[int] = set()
        self._prefetch: set[int] = set()  # page starts to read when the event loop is idle
        self.query = ""
        self.filters: dict[str, Any] = {}
        self.sort = "newest"
        self.random_seed = 0
        loader.loaded.connect(self._thumbnail_loaded)
        loader.failed.connect(self._thumbnail_failed)

    # -- query -------------------------------------------------------------------------

    def set_query(self, query: str = "", *, sort: str | None = None, random_seed: int | None = None, **filters: Any) -> None:
        self.query = query
        self.filters = {k: v for k, v in filters.items() if v not in (None, "", False)}
        if sort is not None:
            self.sort = sort
        if random_seed is not None:
            self.random_seed = random_seed
        self.reload(keep_entries=True)

    def reload(self, *, keep_entries: bool = False) -> None:
        """Re-run the query. A new query over an unchanged library keeps the cached entries
        (each search would otherwise read every visible row again); a reload after a change
        in the library (``refresh``) drops them: favourites and paths may have changed."""
        ids = self.library.query_ids(self.query, sort=self.sort, random_seed=self.random_seed, **self.filters)
        self.beginResetModel()
        self.ids = ids
        self._row_of = {image_id: row for row, image_id in enumerate(ids)}
        if not keep_entries:
            self._entries.clear()
        self.endResetModel()

    def forget(self, ids: list[int]) -> None:
        """Drop cached thumbnails and entries (their files changed)."""
        for image_id in ids:
            self._pixmaps.pop(image_id, None)
            self._entries.pop(image_id, None)
            self._failed.discard(image_id)

    def prepend(self, entry: GalleryEntry) -> None:
        """A new image at the top (newest first, no filter): no reload needed."""
        if entry.id in self._row_of:
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.ids.insert(0, entry.id)
        self._row_of = {image_id: row for row, image_id in enumerate(self.ids)}
        self._entries[entry.id] = entry
        self.endInsertRows()

    # -- access ------------------------------------------------------------------------

    def entry(self, row: int) -> GalleryEntry | None:
        if not 0 <= row < len(self.ids):
            return None
        image_id = self.ids[row]
        entry = self._entries.get(image_id)
        if entry is None:
            self._read_page(row - row % PAGE)
            entry = self._entries.get(image_id)
        offset = row % PAGE
        if offset >= PAGE * 3 // 4:  # near a page's end: read the next one between frames
            self._ask_page(row - offset + PAGE)
        elif offset < PAGE // 4 and row >= PAGE:
            self._ask_page(row - offset - PAGE)
        return entry

    def _read_page(self, start: int) -> None:
        for e in self.library.get_many(self.ids[start : start + PAGE]):
            self._entries[e.id] = e
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def _ask_page(self, start: int) -> None:
        """Read the page at ``start`` when the event loop is next idle (a scroll reaching it then
        finds its rows read: the read no longer lands inside a frame)."""
        if start >= len(self.ids) or start in self._prefetch or self.ids[start] in self._entries:
            return
        if not self._prefetch:
            QTimer.singleShot(0, self, self._read_asked)  # dropped with the model
        self._prefetch.add(start)

    def _read_asked(self) -> None:
        starts, self._prefetch = self._prefetch, set()
        if self.library.closed:
            return  # the panel closed meanwhile
        for start in starts:
            if start < len(self.ids) and self.ids[start] not in self._entries:
                self._read_page(start)

    def thumbnail(self, row: int) -> QPixmap | None:
        """The cell's thumbnail, or None while it loads (asking the loader for it).

        The delegate calls this directly rather than through ``index.data()``:
        it runs for every painted cell, and a plain call skips the QVariant
        round trip (whose None handling leaks references in some PySide6 builds).
        """
        image_id = self.ids[row]
        pix = self._pixmaps.get(image_id)
        if pix is not None:
            self._pixmaps.move_to_end(image_id)
            return pix
        if image_id not in self._failed:
            entry = self.entry(row)
            if entry is not None:
                self.loader.request(image_id, entry.path)
        return None

    def state(self, row: int) -> str:
        """``ready``, ``loading`` or ``broken``."""
        image_id = self.ids[row]
        if image_id in self._pixmaps:
            return "ready"
        entry = self.entry(row)
        return "broken" if image_id in self._failed or (entry is not None and entry.broken) else "loading"

    def row_of(self, image_id: int) -> int:
        return self._row_of.get(image_id, -1)

    def update_entry(self, entry: GalleryEntry) -> None:
        self._entries[entry.id] = entry
        row = self.row_of(entry.id)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def clear_thumbnails(self) -> None:
        self._pixmaps.clear()
        self._failed.clear()

    # -- Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        if row >= len(self.ids):
            return None
        image_id = self.ids[row]
        if role == IdRole:
            return image_id
        if role == ThumbRole:
            return self.thumbnail(row)
        if role == StateRole:
            return self.state(row)
        entry = self.entry(row)
        if entry is None:
            return None
        if role == EntryRole:
            return entry
        if role == Qt.DisplayRole:
            return entry.prompt
        if role == Qt.ToolTipRole:
            seed = "" if entry.seed is None else f"\nSeed {entry.seed}"
            prompt = entry.prompt if len(entry.prompt) < 300 else entry.prompt[:300] + "…"
            stars = f"  {'★' * entry.rating}" if entry.rating else ""
            return f"{prompt}{seed}\n{entry.width}×{entry.height}  {entry.model or ''}{stars}"
        return None

    _ITEM_FLAGS = Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # called for every painted cell: keep it cheap
        return self._ITEM_FLAGS if index.isValid() else Qt.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes) -> QMimeData:
        """Dragging out: the image files, so other apps (file managers, editors, browsers) take them."""
        mime = QMimeData()
        paths: list[Path] = []
        for index in indexes:
            entry = self.entry(index.row())
            if entry is not None and entry.path.exists():
                paths.append(entry.path)
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        mime.setData("application/x-studio-gallery-ids", ",".join(str(self.ids[i.row()]) for i in indexes).encode())
        if len(paths) == 1:
            image = QImage(str(paths[0]))
            if not image.isNull():
                mime.setImageData(image)
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.CopyAction

    # -- thumbnails --------------------------------------------------------------------

    def _thumbnail_loaded(self, image_id: int, image: QImage) -> None:
        self._pixmaps[image_id] = QPixmap.fromImage(image)
        while len(self._pixmaps) > MAX_PIXMAPS:
            self._pixmaps.popitem(last=False)
        row = self._row_of.get(image_id, -1)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def _thumbnail_failed(self, image_id: int) -> None:
        self._failed.add(image_id)
        row = self._row_of.get(image_id, -1)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def loaded_count(self) -> int:
        return len(self._pixmaps)
