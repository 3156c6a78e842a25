"""The local library: every image the studio makes, as files plus an SQLite index.

Layout under the library root (``STUDIO_HOME`` by default)::

    gallery/2026-11-25/141813-042-1234-0.png   images in dated folders
    gallery/2026-11-25/141813-042-1234-0.mask.png   the mask of an inpainting
    trash/17__141813-042-1234-0.png             deleted, restorable
    thumbnails/ab/<key>.webp                    cached thumbnails
    library.db                                  the index (WAL mode)

Every file is written atomically (temp file, fsync, then a hard link that
claims its name, so two processes never get the one name) and its database
row is committed only after the file is in place; deletes and restores link
the file to its new place before the commit and unlink the old name after it.
So a crash can leave a file without a row (or one file under two names) but
never a row without a file. :meth:`Library.reconcile` (run at start-up)
indexes such files, drops rows of files removed behind the library's back,
re-reads files changed on disk, finishes interrupted deletes/restores and
clears temp leftovers, without deleting any image. What a file's metadata says
never makes a row insert fail (:mod:`studio.library.rows`). On a read-only
disk the library opens read-only (:attr:`Library.read_only`) for browsing.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from studio import paths
from studio.engine import metadata as md_mod
from studio.engine import provenance
from studio.engine.events import GeneratedImage
from studio.fsutil import StorageError, atomic_write_bytes, describe_os_error, write_new_file
from studio.library import db as dbmod
from studio.library.entry import MASK_SUFFIX, GalleryEntry
from studio.library.export import ExportMixin
from studio.library.importing import ImportMixin
from studio.library.indexing import IndexingMixin
from studio.library.organize import OrganizeMixin
from studio.library.reconcile import ReconcileMixin
from studio.library.search import SearchMixin
from studio.library.thumbnails import ThumbnailCache
from studio.library.trash import TrashMixin

_SQL_CHUNK = 500


def _cannot_create(root: Path, exc: OSError) -> str:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "it is on a read-only disk" if exc.errno == errno.EROFS else "there is no permission to write there"
        return f"Cannot create the gallery under {root}: {why}. Set STUDIO_HOME to a folder you can write."
    return f"Cannot create the gallery under {root}: {describe_os_error(exc, root / 'gallery')}"


def _writable(root: Path, db_path: Path) -> bool:
    try:
        if os.statvfs(root).f_flag & getattr(os, "ST_RDONLY", 1):
            return False  # a read-only mount (os.access says yes to root there)
    except (OSError, AttributeError):
        pass
    return os.access(root, os.W_OK) and (not db_path.exists() or os.access(db_path, os.W_OK))

_COLUMNS = (
    "id, path, created, file_size, file_mtime_ns, width, height, prompt, negative_prompt, seed, steps, "
    "cfg_scale, sampler, model, model_hash, params, source, favourite, trashed, trash_path, mask_path, broken, rating"
)


class Library(IndexingMixin, SearchMixin, OrganizeMixin, TrashMixin, ReconcileMixin, ImportMixin, ExportMixin):
    """The image library under ``root``. Thread-safe: one SQLite connection per thread.

    This module holds the core (folders, connections, adding, reading rows);
    search, boards/tags, trash, reconcile, import and export are mixins in
    their own modules.
    """

    DB_NAME = "library.db"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.gallery_dir = self.root / "gallery"
        self.trash_dir = self.root / "trash"
        self.thumbs_dir = self.root / "thumbnails"
        self.db_path = self.root / self.DB_NAME
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        #: True on a read-only disk or folder: the gallery can be browsed, nothing is changed.
        self.read_only = False
        try:
            for folder in (self.gallery_dir, self.trash_dir, self.thumbs_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if not (self.db_path.is_file() and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)):
                raise StorageError(exc.errno, _cannot_create(self.root, exc)) from exc
            self.read_only = True
        if not self.read_only and not _writable(self.root, self.db_path):
            if not self.db_path.is_file():
                raise StorageError(errno.EROFS, f"The folder {self.root} is read-only and holds no gallery yet; set STUDIO_HOME to a folder you can write.")
            self.read_only = True
        try:
            con = self._con()
            if not self.read_only:
                dbmod.migrate(con)
        except sqlite3.Error as exc:
            err = dbmod.storage_error(exc, self.db_path)
            if self.read_only or err.errno != errno.EROFS:
                raise err from exc
            self.close()  # SQLite found it read-only: browse it as such
            self._closed, self.read_only = False, True
            self._con()

    @classmethod
    def open(cls, root: Path | str | None = None) -> Library:
        return cls(Path(root) if root is not None else paths.data_dir())

    @property
    def thumbnails(self) -> ThumbnailCache:
        """The on-disk thumbnail cache (made lazily; its pool starts on first use)."""
        cache = getattr(self, "_thumbs", None)
        if cache is None:
            cache = self._thumbs = ThumbnailCache(self.thumbs_dir)
        return cache

    # -- connections -----------------------------------------------------------------

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            if self._closed:
                raise StorageError("The library is closed.")
            con = dbmod.connect(self.db_path, read_only=self.read_only)
            self._local.con = con
            with self._conn_lock:
                self._connections.append(con)
        return con

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        cache = getattr(self, "_thumbs", None)
        if cache is not None:
            cache.shutdown(wait=False)
        with self._conn_lock:
            for con in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    con.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a full or read-only disk becomes a :class:`StorageError` saying so."""
        if self.read_only:
            raise self._read_only_error()
        con = self._con()
        with self._write_lock:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise dbmod.storage_error(exc, self.db_path) from exc
            try:
                yield con
                con.execute("COMMIT")
            except BaseException as exc:
                if con.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        con.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise dbmod.storage_error(exc, self.db_path) from exc
                raise

    def _read_only_error(self) -> StorageError:
        return dbmod.storage_error(sqlite3.OperationalError("attempt to write a readonly database"), self.db_path)

    # -- paths -------------------------------------------------------------------------

    def _rel(self, path: Path) -> str:
        """``path`` relative to the root, '/'-separated; ValueError when it lies outside."""
        path = Path(os.path.abspath(path))
        try:
            return path.relative_to(os.path.abspath(self.root)).as_posix()
        except ValueError:
            # the root given through a symlinked path: compare the real folders, not the file itself
            return (path.parent.resolve() / path.name).relative_to(self.root.resolve()).as_posix()

    def _abs(self, rel: str) -> Path:
        # hot path (every row read): reuse the folder's Path, only the name is parsed
        folder, _sep, name = rel.rpartition("/")
        cache = self.__dict__.setdefault("_folders", {})
        base = cache.get(folder)
        if base is None:
            base = cache[folder] = self.root.joinpath(*folder.split("/")) if folder else self.root
        return base / name

    def _entry(self, row: sqlite3.Row) -> GalleryEntry:
        trashed = row["trashed"]
        rel = row["trash_path"] if trashed is not None and row["trash_path"] else row["path"]
        try:
            params = json.loads(row["params"] or "{}")
        except json.JSONDecodeError:
            params = {}
        mask = row["mask_path"]
        return GalleryEntry(
            id=row["id"],
            path=self._abs(rel),
            created=row["created"],
            width=row["width"],
            height=row["height"],
            prompt=row["prompt"] or "",
            negative_prompt=row["negative_prompt"] or "",
            seed=row["seed"],
            steps=row["steps"],
            cfg_scale=row["cfg_scale"],
            sampler=row["sampler"],
            model=row["model"],
            model_hash=row["model_hash"],
            params=params,
            source=row["source"],
            favourite=bool(row["favourite"]),
            file_size=row["file_size"],
            file_mtime_ns=row["file_mtime_ns"],
            mask_path=self._abs(mask) if mask and trashed is None else None,
            trashed=trashed,
            broken=bool(row["broken"]),
            rel_path=row["path"],
            rating=int(row["rating"] or 0),
        )

    # -- adding ------------------------------------------------------------------------

    def add_generated(self, img: GeneratedImage, *, mask: np.ndarray | None = None) -> GalleryEntry:
        """Write ``img`` as a PNG with its metadata and provenance (and ``mask`` beside it), then index it.

        Safe with other processes saving at the same moment: the file name is
        claimed atomically and the row is new, never one that belongs to another file.
        """
        if self.read_only:
            raise self._read_only_error()
        studio = md_mod.studio_metadata(img)
        record = provenance.record_for(img, f"{img.seed}-{img.index}.png")
        data = provenance.seal(md_mod.encode_png(img), "png", record, provenance.GALLERY)  # XMP source type, C2PA
        mask_data = None
        if mask is not None:
            arr = np.asarray(mask)
            if arr.dtype == bool:
                arr = arr.astype(np.uint8) * 255
            if arr.ndim == 3:
                arr = arr[:, :, 0]
            mask_data = md_mod.encode_image(arr.astype(np.uint8), "png")
        now = time.time()
        with self._write_lock:
            folder, stamp = self._day_folder(now)
            path = write_new_file(folder, self._free_names(folder, f"{stamp}-{img.seed}-{img.index}", ".png"), data)
            mask_path = None
            try:
                if mask_data is not None:  # the row (committed last) never points at a missing mask
                    mask_path = path.with_name(path.stem + MASK_SUFFIX)
                    atomic_write_bytes(mask_path, mask_data)
                st = path.stat()
                req = img.request
                row = {
                    "path": self._rel(path),
                    "created": now,
                    "file_size": st.st_size,
                    "file_mtime_ns": st.st_mtime_ns,
                    "width": img.width,
                    "height": img.height,
                    "prompt": req.prompt,
                    "negative_prompt": req.negative_prompt,
                    "seed": int(img.seed),
                    "steps": req.steps,
                    "cfg_scale": req.cfg_scale,
                    "sampler": req.scheduler,
                    "model": img.model_name,
                    "model_hash": img.model_hash,
                    "params": studio["params"],
                    "source": "studio",
                    "mask_path": self._rel(mask_path) if mask_path else None,
                    "content_hash": hashlib.sha1(data).hexdigest(),
                }
                new_id = self._insert_row(row)
            except StorageError as exc:
                # the image is complete in the gallery: keep it (the next reconcile indexes it) and say so
                err = StorageError(exc.errno, f"{exc} The image is kept at {path}; it is indexed once the gallery can be written.")
                err.kept_at = path
                raise err from exc
        entry = self.get(new_id)
        assert entry is not None
        return entry

    # -- reading -----------------------------------------------------------------------

    def get(self, image_id: int) -> GalleryEntry | None:
        con = self._con()
        row = con.execute(f"SELECT {_COLUMNS} FROM images WHERE id = ?", (int(image_id),)).fetchone()
        if row is None:
            return None
        entry = self._entry(row)
        entry.boards = [
            r[0]
            for r in con.execute(
                "SELECT b.name FROM boards b JOIN image_boards ib ON ib.board_id = b.id WHERE ib.image_id = ? ORDER BY b.name",
                (entry.id,),
            )
        ]
        entry.tags = [r[0] for r in con.execute("SELECT tag FROM tags WHERE image_id = ? ORDER BY tag", (entry.id,))]
        return entry

    def get_many(self, ids: Sequence[int]) -> list[GalleryEntry]:
        """Entries for ``ids`` in the same order (unknown ids left out); no boards/tags."""
        con = self._con()
        found: dict[int, GalleryEntry] = {}
        ids = [int(i) for i in ids]
        for start in range(0, len(ids), _SQL_CHUNK):
            chunk = ids[start : start + _SQL_CHUNK]
            q = f"SELECT {_COLUMNS} FROM images WHERE id IN ({','.join('?' * len(chunk))})"
            for row in con.execute(q, chunk):
                found[row["id"]] = self._entry(row)
        return [found[i] for i in ids if i in found]
