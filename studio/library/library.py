"""The local library: every image the studio makes, as files plus an SQLite index.

Layout under the library root (``STUDIO_HOME`` by default)::

    gallery/2026-11-25/141813-042-1234-0.png   images in dated folders
    gallery/2026-11-25/141813-042-1234-0.mask.png   the mask of an inpainting
    trash/17__141813-042-1234-0.png             deleted, restorable
    thumbnails/ab/<key>.webp                    cached thumbnails
    library.db                                  the index (WAL mode)

Every file is written atomically (temp file, fsync, rename) and its database
row is committed only after the file is in place, so a crash can leave a file
without a row but never a row without a file. :meth:`Library.reconcile` (run at
start-up) indexes such files, drops rows of files removed behind the library's
back, re-reads files changed on disk, finishes interrupted deletes/restores and
clears temp leftovers, without deleting any image.
"""

from __future__ import annotations

import contextlib
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
from studio.engine.errors import ImageLoadError
from studio.engine.events import GeneratedImage
from studio.fsutil import StorageError, atomic_write_bytes
from studio.library import db as dbmod
from studio.library.entry import MASK_SUFFIX, GalleryEntry
from studio.library.export import ExportMixin
from studio.library.importing import ImportMixin
from studio.library.organize import OrganizeMixin
from studio.library.reconcile import ReconcileMixin
from studio.library.search import SearchMixin
from studio.library.thumbnails import ThumbnailCache
from studio.library.trash import TrashMixin

_SQL_CHUNK = 500

_COLUMNS = (
    "id, path, created, file_size, file_mtime_ns, width, height, prompt, negative_prompt, seed, steps, "
    "cfg_scale, sampler, model, model_hash, params, source, favourite, trashed, trash_path, mask_path, broken"
)


class Library(SearchMixin, OrganizeMixin, TrashMixin, ReconcileMixin, ImportMixin, ExportMixin):
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
        try:
            for folder in (self.gallery_dir, self.trash_dir, self.thumbs_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(exc.errno, f"Could not create the gallery folders under {self.root}: {exc.strerror}") from exc
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        con = self._con()
        try:
            dbmod.migrate(con)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"The gallery database {self.db_path} is damaged: {exc}") from exc

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
            con = dbmod.connect(self.db_path)
            self._local.con = con
            with self._conn_lock:
                self._connections.append(con)
        return con

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
        con = self._con()
        with self._write_lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- paths -------------------------------------------------------------------------

    def _rel(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

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
        )

    # -- adding ------------------------------------------------------------------------

    def _new_image_path(self, when: float, stem: str, ext: str = ".png") -> Path:
        tm = time.localtime(when)
        folder = self.gallery_dir / time.strftime("%Y-%m-%d", tm)
        base = f"{time.strftime('%H%M%S', tm)}-{int((when % 1) * 1000):03d}-{stem}"
        candidate = folder / f"{base}{ext}"
        n = 2
        while candidate.exists() or (folder / f"{candidate.stem}{MASK_SUFFIX}").exists():
            candidate = folder / f"{base}-{n}{ext}"
            n += 1
        return candidate

    def add_generated(self, img: GeneratedImage, *, mask: np.ndarray | None = None) -> GalleryEntry:
        """Write ``img`` as a PNG with its metadata (and ``mask`` beside it), then index it."""
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
            path = self._new_image_path(now, f"{img.seed}-{img.index}")
            mask_path = None
            if mask_data is not None:  # the mask first: an image row never points at a missing mask
                mask_path = path.with_name(path.stem + MASK_SUFFIX)
                atomic_write_bytes(mask_path, mask_data)
            atomic_write_bytes(path, data)
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
                "params": json.dumps(studio["params"], ensure_ascii=False),
                "source": "studio",
                "mask_path": self._rel(mask_path) if mask_path else None,
            }
            new_id = self._insert_row(row)
        entry = self.get(new_id)
        assert entry is not None
        return entry

    def _insert_row(self, row: dict[str, Any]) -> int:
        with self._tx() as con:
            return self._insert(con, row)

    @staticmethod
    def _insert(con: sqlite3.Connection, row: dict[str, Any], *, if_new: bool = False) -> int | None:
        """Insert a row; when its path is already indexed (a reconcile got there first),
        update that row instead, or leave it and return None with ``if_new``."""
        keys = list(row)
        sql = f"INSERT INTO images ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})"
        if if_new:
            sql += " ON CONFLICT(path) DO NOTHING"
        else:
            updates = ", ".join(f"{k} = excluded.{k}" for k in keys if k != "path")
            sql += f" ON CONFLICT(path) DO UPDATE SET {updates}"
        cur = con.execute(sql + " RETURNING id", [row[k] for k in keys])
        found = cur.fetchone()
        cur.close()
        return int(found[0]) if found else None

    @staticmethod
    def _row_from_metadata(md: md_mod.ImageMetadata) -> dict[str, Any]:
        return {
            "width": md.width,
            "height": md.height,
            "prompt": md.prompt or "",
            "negative_prompt": md.negative_prompt or "",
            "seed": md.seed,
            "steps": md.steps,
            "cfg_scale": md.cfg_scale,
            "sampler": md.scheduler or md.sampler,
            "model": md.model,
            "model_hash": md.model_hash,
            "params": json.dumps(md.to_params(), ensure_ascii=False),
            "source": md.source,
        }

    def _row_for_file(self, path: Path, st: os.stat_result, *, created: float | None = None) -> tuple[dict[str, Any], bool]:
        """Index fields read from a file; ``(row, broken)``."""
        row: dict[str, Any] = {
            "path": self._rel(path),
            "created": created if created is not None else st.st_mtime,
            "file_size": st.st_size,
            "file_mtime_ns": st.st_mtime_ns,
        }
        try:
            md = md_mod.read_metadata(path, verify=True)
        except ImageLoadError:
            row.update(source="unknown", broken=1)
            return row, True
        row.update(self._row_from_metadata(md), broken=0)
        mask = path.with_name(path.stem + MASK_SUFFIX)
        if mask.exists():
            row["mask_path"] = self._rel(mask)
        return row, False

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
