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
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio import paths
from studio.engine import metadata as md_mod
from studio.engine.errors import ImageLoadError, StudioError
from studio.engine.events import GeneratedImage
from studio.fsutil import StorageError, atomic_write, atomic_write_bytes, atomic_write_text, is_temp_leftover
from studio.library import db as dbmod
from studio.library.thumbnails import ThumbnailCache
from studio.library.names import DEFAULT_TEMPLATE, inside, render_template, safe_filename, template_fields, unique_name

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}
MASK_SUFFIX = ".mask.png"
SORTS = ("newest", "oldest", "random")
EXPORT_FORMATS = ("png", "jpeg", "webp")
_SQL_CHUNK = 500

_COLUMNS = (
    "id, path, created, file_size, file_mtime_ns, width, height, prompt, negative_prompt, seed, steps, "
    "cfg_scale, sampler, model, model_hash, params, source, favourite, trashed, trash_path, mask_path, broken"
)


@dataclass
class GalleryEntry:
    """One image of the library (a row of the index)."""

    id: int
    path: Path  # absolute; inside trash/ while trashed
    created: float
    width: int | None = None
    height: int | None = None
    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    cfg_scale: float | None = None
    sampler: str | None = None
    model: str | None = None
    model_hash: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "studio"
    favourite: bool = False
    file_size: int = 0
    file_mtime_ns: int = 0
    mask_path: Path | None = None
    trashed: float | None = None
    broken: bool = False
    rel_path: str = ""
    boards: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def created_iso(self) -> str:
        return _dt.datetime.fromtimestamp(self.created).astimezone().isoformat(timespec="seconds")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": str(self.path),
            "created": self.created_iso,
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": self.seed,
            "steps": self.steps,
            "cfg_scale": self.cfg_scale,
            "sampler": self.sampler,
            "width": self.width,
            "height": self.height,
            "model": self.model,
            "model_hash": self.model_hash,
            "favourite": self.favourite,
            "source": self.source,
            "boards": list(self.boards),
            "tags": list(self.tags),
            "trashed": self.trashed is not None,
            "params": self.params,
        }


@dataclass
class ReconcileReport:
    added: list[int] = field(default_factory=list)  # files found on disk without a row
    removed: list[str] = field(default_factory=list)  # rows whose file is gone
    updated: list[int] = field(default_factory=list)  # files changed on disk, metadata re-read
    broken: list[int] = field(default_factory=list)  # files that no longer decode (kept, flagged)
    repaired: list[int] = field(default_factory=list)  # interrupted deletes/restores finished
    leftovers: list[str] = field(default_factory=list)  # temp files of interrupted writes removed
    scanned: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.updated or self.broken or self.repaired)


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _to_ts(value: Any, end_of_day: bool = False) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = _dt.date.fromisoformat(value) if len(value) == 10 else _dt.datetime.fromisoformat(value)
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    if isinstance(value, _dt.date):
        day = _dt.datetime.combine(value, _dt.time.max if end_of_day else _dt.time.min)
        return day.timestamp()
    raise TypeError(f"not a date: {value!r}")


_TOKEN_RE = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def fts_query(text: str) -> tuple[str | None, str | None, list[str]]:
    """Turn what a user typed into an FTS5 query (prefix match on every word, AND).

    ``"a phrase"`` matches the phrase, ``-word`` excludes. Returns the MATCH
    expression to include, the one to exclude (None when empty) and the
    leftover pieces (emoji, symbols) to match with LIKE.
    """
    include: list[str] = []
    exclude: list[str] = []
    like: list[str] = []
    for m in _TOKEN_RE.finditer(text or ""):
        neg = bool(m.group(1) or m.group(3))
        raw = m.group(2) if m.group(2) is not None else m.group(4)
        words = re.findall(r"\w+", raw)
        if not words:
            if not neg and raw.strip():
                like.append(raw.strip())
            continue
        term = '"' + " ".join(words) + '"'
        if m.group(2) is None:
            term += "*"  # prefix match while typing
        (exclude if neg else include).append(term)
        # symbols next to words (e.g. "cat🐱") are matched with LIKE too
        rest = re.sub(r"\w+", "", raw).strip('-"\' ')
        if rest and not neg:
            like.append(rest)
    return (" AND ".join(include) or None), (" OR ".join(exclude) or None), like


class Library:
    """The image library under ``root``. Thread-safe: one SQLite connection per thread."""

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
        data = md_mod.encode_png(img)
        studio = md_mod.studio_metadata(img)
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

    def _where(
        self,
        query: str = "",
        *,
        model: str | None = None,
        date_from: Any = None,
        date_to: Any = None,
        favourite: bool | None = None,
        board: str | None = None,
        tag: str | None = None,
        trashed: bool = False,
        source: str | None = None,
    ) -> tuple[str, list[Any]]:
        clauses = ["trashed IS NOT NULL" if trashed else "trashed IS NULL"]
        args: list[Any] = []
        expr, exclude, like = fts_query(query)
        if expr:
            clauses.append("id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)")
            args.append(expr)
        if exclude:
            clauses.append("id NOT IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)")
            args.append(exclude)
        for piece in like:
            clauses.append("(prompt LIKE ? ESCAPE '\\' OR negative_prompt LIKE ? ESCAPE '\\')")
            pat = "%" + piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            args += [pat, pat]
        if model:
            clauses.append("model = ?")
            args.append(model)
        lo, hi = _to_ts(date_from), _to_ts(date_to, end_of_day=True)
        if lo is not None:
            clauses.append("created >= ?")
            args.append(lo)
        if hi is not None:
            clauses.append("created <= ?")
            args.append(hi)
        if favourite is not None:
            clauses.append("favourite = ?")
            args.append(1 if favourite else 0)
        if board:
            clauses.append(
                "id IN (SELECT ib.image_id FROM image_boards ib JOIN boards b ON b.id = ib.board_id WHERE b.name = ?)"
            )
            args.append(board)
        if tag:
            clauses.append("id IN (SELECT image_id FROM tags WHERE tag = ?)")
            args.append(tag)
        if source:
            clauses.append("source = ?")
            args.append(source)
        return " AND ".join(clauses), args

    def query_ids(
        self,
        query: str = "",
        *,
        sort: str = "newest",
        random_seed: int = 0,
        limit: int | None = None,
        offset: int = 0,
        **filters: Any,
    ) -> list[int]:
        """Ids of matching images, sorted; the fast path the gallery grid uses."""
        if sort not in SORTS:
            raise StudioError(f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.")
        where, args = self._where(query, **filters)
        if sort == "newest":
            order = "created DESC, id DESC"
        elif sort == "oldest":
            order = "created ASC, id ASC"
        else:
            order = f"((id * 2654435761 + {int(random_seed) & 0xFFFFFFFF}) % 4294967296), id"
        sql = f"SELECT id FROM images WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        try:
            return [r[0] for r in self._con().execute(sql, args)]
        except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse
            if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
                return []
            raise

    def count(self, query: str = "", **filters: Any) -> int:
        where, args = self._where(query, **filters)
        return int(self._con().execute(f"SELECT COUNT(*) FROM images WHERE {where}", args).fetchone()[0])

    def search(self, query: str = "", **filters: Any) -> list[GalleryEntry]:
        """Full-text search over prompt and negative prompt, with filters:

        ``model``, ``date_from``/``date_to`` (date, datetime, ISO string or
        timestamp; the end day is inclusive), ``favourite``, ``board``, ``tag``,
        ``trashed``, ``source``, ``sort`` (newest/oldest/random), ``limit``/``offset``.
        """
        return self.get_many(self.query_ids(query, **filters))

    def list(self, **filters: Any) -> list[GalleryEntry]:
        return self.search("", **filters)

    def models(self) -> list[str]:
        rows = self._con().execute(
            "SELECT DISTINCT model FROM images WHERE model IS NOT NULL AND model != '' AND trashed IS NULL ORDER BY model"
        )
        return [r[0] for r in rows]

    def find_by_path(self, path: Path | str) -> GalleryEntry | None:
        try:
            rel = self._rel(Path(path))
        except ValueError:
            return None
        row = self._con().execute("SELECT id FROM images WHERE path = ? OR trash_path = ?", (rel, rel)).fetchone()
        return self.get(row[0]) if row else None

    # -- favourites, boards, tags -------------------------------------------------------

    def set_favourite(self, ids: Iterable[int], value: bool = True) -> None:
        ids = [int(i) for i in ids]
        with self._tx() as con:
            con.executemany("UPDATE images SET favourite = ? WHERE id = ?", [(1 if value else 0, i) for i in ids])

    def toggle_favourite(self, image_id: int) -> bool:
        with self._tx() as con:
            con.execute("UPDATE images SET favourite = 1 - favourite WHERE id = ?", (int(image_id),))
            row = con.execute("SELECT favourite FROM images WHERE id = ?", (int(image_id),)).fetchone()
        return bool(row and row[0])

    def boards(self) -> list[tuple[str, int]]:
        """(name, number of images not in the trash) for every board."""
        rows = self._con().execute(
            "SELECT b.name, COUNT(i.id) FROM boards b LEFT JOIN image_boards ib ON ib.board_id = b.id "
            "LEFT JOIN images i ON i.id = ib.image_id AND i.trashed IS NULL GROUP BY b.id ORDER BY b.name"
        )
        return [(r[0], r[1]) for r in rows]

    def create_board(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise StudioError("A board needs a name.")
        with self._tx() as con:
            con.execute("INSERT OR IGNORE INTO boards(name, created) VALUES (?, ?)", (name, time.time()))

    def delete_board(self, name: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM boards WHERE name = ?", (name,))

    def add_to_board(self, ids: Iterable[int], name: str) -> None:
        self.create_board(name)
        with self._tx() as con:
            board_id = con.execute("SELECT id FROM boards WHERE name = ?", (name.strip(),)).fetchone()[0]
            con.executemany(
                "INSERT OR IGNORE INTO image_boards(image_id, board_id) SELECT id, ? FROM images WHERE id = ?",
                [(board_id, int(i)) for i in ids],
            )

    def remove_from_board(self, ids: Iterable[int], name: str) -> None:
        with self._tx() as con:
            con.executemany(
                "DELETE FROM image_boards WHERE image_id = ? AND board_id = (SELECT id FROM boards WHERE name = ?)",
                [(int(i), name) for i in ids],
            )

    def add_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        tags = [t.strip() for t in tags if t.strip()]
        with self._tx() as con:
            con.executemany(
                "INSERT OR IGNORE INTO tags(image_id, tag) SELECT id, ? FROM images WHERE id = ?",
                [(t, int(i)) for i in ids for t in tags],
            )

    def remove_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        with self._tx() as con:
            con.executemany("DELETE FROM tags WHERE image_id = ? AND tag = ?", [(int(i), t) for i in ids for t in tags])

    # -- trash -------------------------------------------------------------------------

    def _trash_name(self, image_id: int, rel: str) -> Path:
        return self.trash_dir / f"{image_id}__{Path(rel).name}"

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Move images (and their masks) to the trash; returns the ids moved."""
        moved: list[int] = []
        with self._write_lock:
            for entry in self.get_many(list(ids)):
                if entry.trashed is not None:
                    continue
                src = self._abs(entry.rel_path)
                dst = self._trash_name(entry.id, entry.rel_path)
                try:
                    if src.exists():
                        os.replace(src, dst)
                    if entry.mask_path is not None and entry.mask_path.exists():
                        os.replace(entry.mask_path, self._trash_name(entry.id, entry.mask_path.name))
                except OSError as exc:
                    raise StorageError(exc.errno, f"Could not move {src} to the trash: {exc.strerror}") from exc
                with self._tx() as con:
                    con.execute(
                        "UPDATE images SET trashed = ?, trash_path = ? WHERE id = ?",
                        (time.time(), self._rel(dst), entry.id),
                    )
                moved.append(entry.id)
        return moved

    def restore(self, ids: Iterable[int]) -> list[int]:
        """Bring images back from the trash to where they were; returns the ids restored."""
        restored: list[int] = []
        with self._write_lock:
            for entry in self.get_many(list(ids)):
                if entry.trashed is None:
                    continue
                target = self._abs(entry.rel_path)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():  # something new took its place: keep both
                    target = target.with_name(unique_name(target.name, set(), target.parent))
                src = entry.path
                mask_src = self._trash_name(entry.id, Path(entry.rel_path).stem + MASK_SUFFIX)
                mask_rel = None
                try:
                    if mask_src.exists():
                        mask_dst = target.with_name(target.stem + MASK_SUFFIX)
                        os.replace(mask_src, mask_dst)
                        mask_rel = self._rel(mask_dst)
                    if src.exists():
                        os.replace(src, target)
                    else:
                        continue  # the trash copy is gone; reconcile drops the row
                except OSError as exc:
                    raise StorageError(exc.errno, f"Could not restore {target}: {exc.strerror}") from exc
                with self._tx() as con:
                    con.execute(
                        "UPDATE images SET trashed = NULL, trash_path = NULL, path = ?, mask_path = COALESCE(?, mask_path) WHERE id = ?",
                        (self._rel(target), mask_rel, entry.id),
                    )
                restored.append(entry.id)
        return restored

    def empty_trash(self) -> int:
        """Delete trashed images for good; returns how many."""
        with self._write_lock:
            rows = self._con().execute("SELECT id, trash_path FROM images WHERE trashed IS NOT NULL").fetchall()
            for row in rows:
                if row["trash_path"]:
                    with contextlib.suppress(FileNotFoundError):
                        self._abs(row["trash_path"]).unlink()
            with self._tx() as con:
                con.executemany("DELETE FROM images WHERE id = ?", [(r["id"],) for r in rows])
            for leftover in self.trash_dir.iterdir():  # masks and files no row knows
                if leftover.is_file():
                    with contextlib.suppress(OSError):
                        leftover.unlink()
        return len(rows)

    # -- reconcile ---------------------------------------------------------------------

    def _scan(self) -> dict[str, tuple[int, int]]:
        """Every image file under gallery/: relative path -> (size, mtime_ns)."""
        found: dict[str, tuple[int, int]] = {}
        prefix = self.gallery_dir.relative_to(self.root).as_posix()
        stack = [(self.gallery_dir, prefix)]
        while stack:
            folder, rel = stack.pop()
            try:
                it = os.scandir(folder)
            except OSError:
                continue
            with it:
                for de in it:
                    if de.name.startswith("."):
                        continue
                    if de.is_dir(follow_symlinks=False):
                        stack.append((Path(de.path), f"{rel}/{de.name}"))
                        continue
                    lower = de.name.lower()
                    if lower.endswith(MASK_SUFFIX) or os.path.splitext(lower)[1] not in IMAGE_EXTENSIONS:
                        continue
                    try:
                        st = de.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    found[f"{rel}/{de.name}"] = (st.st_size, st.st_mtime_ns)
        return found

    def _remove_leftovers(self, min_age: float, report: ReconcileReport) -> None:
        now = time.time()
        for top in (self.gallery_dir, self.trash_dir, self.thumbs_dir):
            for dirpath, _dirs, files in os.walk(top):
                for name in files:
                    path = Path(dirpath) / name
                    if not is_temp_leftover(path):
                        continue
                    try:
                        if now - path.stat().st_mtime >= min_age:
                            path.unlink()
                            report.leftovers.append(str(path))
                    except OSError:
                        continue

    def reconcile(self, *, min_temp_age: float = 60.0) -> ReconcileReport:
        """Make the index match the folders again; never deletes an image file.

        Temp files of interrupted writes older than ``min_temp_age`` seconds are
        removed (younger ones may belong to a write in progress). Safe while
        other threads or processes add images: the rows are read before the
        folders are scanned (a row committed meanwhile is left alone), rows are
        dropped only after their file is checked again, and files indexed
        meanwhile by someone else are skipped. Reading files happens without
        holding the write lock; only the final transaction takes it.
        """
        t0 = time.perf_counter()
        report = ReconcileReport()
        self._remove_leftovers(min_temp_age, report)
        con = self._con()
        rows = con.execute("SELECT id, path, file_size, file_mtime_ns, trashed, trash_path FROM images").fetchall()
        all_known = {r["path"] for r in rows}
        on_disk = self._scan()
        report.scanned = len(on_disk)
        trash_files = {p.name for p in self.trash_dir.iterdir()} if self.trash_dir.exists() else set()
        updates: list[tuple[str, tuple]] = []
        deletes: list[tuple[int, str]] = []
        for row in rows:
            rel = row["path"]
            trash_name = f"{row['id']}__{Path(rel).name}"
            if row["trashed"] is None:
                stat = on_disk.get(rel)
                if stat is None:
                    if trash_name in trash_files:  # a delete interrupted before its commit
                        trash_rel = f"{self.trash_dir.relative_to(self.root).as_posix()}/{trash_name}"
                        updates.append(
                            ("UPDATE images SET trashed = ?, trash_path = ? WHERE id = ? AND trashed IS NULL", (time.time(), trash_rel, row["id"]))
                        )
                        report.repaired.append(row["id"])
                    else:
                        deletes.append((row["id"], rel))
                    continue
                if stat != (row["file_size"], row["file_mtime_ns"]):
                    path = self._abs(rel)
                    try:
                        fields, broken = self._row_for_file(path, os.stat(path))
                    except OSError:
                        continue  # vanished while we looked: the next reconcile sees it
                    fields.pop("path")
                    fields.pop("created")
                    if broken:  # keep what we knew about it; flag it
                        fields = {"file_size": fields["file_size"], "file_mtime_ns": fields["file_mtime_ns"], "broken": 1}
                        report.broken.append(row["id"])
                    else:
                        report.updated.append(row["id"])
                    keys = list(fields)
                    updates.append(
                        (
                            f"UPDATE images SET {', '.join(k + ' = ?' for k in keys)} WHERE id = ?",
                            tuple(fields[k] for k in keys) + (row["id"],),
                        )
                    )
            else:
                in_trash = bool(row["trash_path"]) and Path(row["trash_path"]).name in trash_files
                if not in_trash:
                    if rel in on_disk:  # a restore interrupted before its commit
                        updates.append(("UPDATE images SET trashed = NULL, trash_path = NULL WHERE id = ?", (row["id"],)))
                        report.repaired.append(row["id"])
                    else:
                        deletes.append((row["id"], rel))
        new_rows = []
        for rel in sorted(set(on_disk) - all_known):
            path = self._abs(rel)
            try:
                st = os.stat(path)
            except OSError:
                continue
            fields, _broken = self._row_for_file(path, st, created=_created_from_name(path, st.st_mtime))
            new_rows.append(fields)
        if updates or deletes or new_rows:
            with self._tx() as con:
                for sql, args in updates:
                    con.execute(sql, args)
                for image_id, rel in deletes:
                    # look again: the file may have come back (a restore, a slow copy) since the scan
                    if self._abs(rel).exists():
                        continue
                    con.execute("DELETE FROM images WHERE id = ?", (image_id,))
                    report.removed.append(rel)
                for fields in new_rows:
                    new_id = self._insert(con, fields, if_new=True)
                    if new_id is None:
                        continue  # indexed meanwhile by another writer
                    report.added.append(new_id)
                    if fields.get("broken"):
                        report.broken.append(new_id)
        report.seconds = time.perf_counter() - t0
        return report

    # -- import ------------------------------------------------------------------------

    def _same_content_exists(self, src: Path, size: int) -> bool:
        rows = self._con().execute("SELECT path FROM images WHERE file_size = ? AND trashed IS NULL", (size,)).fetchall()
        if not rows:
            return False
        digest = _sha1(src)
        return any(_sha1(self._abs(r[0])) == digest for r in rows if self._abs(r[0]).exists())

    def import_files(self, files: Iterable[Path | str]) -> ImportReport:
        """Copy image files into the library and index their metadata (A1111, ComfyUI, InvokeAI, studio)."""
        report = ImportReport()
        for src in files:
            src = Path(src)
            if src.suffix.lower() not in IMAGE_EXTENSIONS or src.name.lower().endswith(MASK_SUFFIX):
                report.skipped.append((src, "not a PNG, JPEG or WebP image"))
                continue
            try:
                st = src.stat()
                md = md_mod.read_metadata(src, verify=True)
            except ImageLoadError as exc:
                report.skipped.append((src, str(exc)))
                continue
            except OSError as exc:
                report.skipped.append((src, exc.strerror or str(exc)))
                continue
            if self._same_content_exists(src, st.st_size):
                report.duplicates.append(src)
                continue
            with self._write_lock:
                created = st.st_mtime
                tm = time.localtime(created)
                folder = self.gallery_dir / time.strftime("%Y-%m-%d", tm)
                folder.mkdir(parents=True, exist_ok=True)
                dest = inside(folder, unique_name(safe_filename(src.stem, src.suffix.lower()), set(), folder))
                with open(src, "rb") as fh_in:
                    atomic_write(dest, lambda fh, fh_in=fh_in: shutil.copyfileobj(fh_in, fh, 1 << 20))
                dst_st = dest.stat()
                row = {
                    "path": self._rel(dest),
                    "created": created,
                    "file_size": dst_st.st_size,
                    "file_mtime_ns": dst_st.st_mtime_ns,
                    **self._row_from_metadata(md),
                }
                report.added.append(self._insert_row(row))
        return report

    def import_folder(self, folder: Path | str, *, recursive: bool = True) -> ImportReport:
        folder = Path(folder)
        if not folder.is_dir():
            raise StudioError(f"{folder} is not a folder.")
        pattern = folder.rglob("*") if recursive else folder.glob("*")
        files = sorted(p for p in pattern if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not is_temp_leftover(p))
        return self.import_files(files)

    # -- export ------------------------------------------------------------------------

    def export(
        self,
        ids: Sequence[int],
        dest: Path | str,
        *,
        fmt: str | None = None,
        strip: bool = False,
        template: str = DEFAULT_TEMPLATE,
        sidecar: str | None = None,
        quality: int = 95,
    ) -> list[Path]:
        """Export images to a folder (or a ``.zip`` when ``dest`` ends with .zip).

        ``fmt``: png, jpeg, webp or None (keep each file's format). Metadata is
        kept (PNG text chunks; EXIF UserComment + XMP for JPEG/WebP) unless
        ``strip``. ``template`` names the files (fields: see
        :mod:`studio.library.names`). ``sidecar``: None, "txt" (AUTOMATIC1111
        text) or "json". Returns the files written (the archive for a zip).
        """
        dest = Path(dest)
        if fmt is not None:
            fmt = {"jpg": "jpeg"}.get(fmt.lower(), fmt.lower())
            if fmt not in EXPORT_FORMATS:
                raise StudioError(f"Unknown export format {fmt!r}; use png, jpeg or webp.")
        if sidecar not in (None, "txt", "json"):
            raise StudioError(f"Unknown sidecar {sidecar!r}; use txt or json.")
        template_fields(template)  # fail before writing anything
        entries = self.get_many(list(ids))
        missing = set(int(i) for i in ids) - {e.id for e in entries}
        if missing:
            raise StudioError(f"No image with id {', '.join(str(i) for i in sorted(missing))} in the library.")
        items = []  # (name, bytes)
        taken: set[str] = set()
        as_zip = dest.suffix.lower() == ".zip"
        folder = None if as_zip else dest
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(exc.errno, f"Could not create the folder {folder}: {exc.strerror}") from exc
        for index, entry in enumerate(entries):
            data, ext, md = self._export_bytes(entry, fmt, strip, quality)
            name = unique_name(render_template(template, entry, ext, index=index), taken, folder)
            items.append((name, data))
            if sidecar:
                stem = name[: -len(ext)]
                if sidecar == "txt":
                    side = md.a1111_text() if md is not None else ""
                else:
                    side = json.dumps(self._sidecar_json(entry, md), ensure_ascii=False, indent=2)
                items.append((unique_name(stem + "." + sidecar, taken, folder), side.encode("utf-8")))
        if as_zip:
            def write_zip(fh: Any) -> None:
                with zipfile.ZipFile(fh, "w") as zf:
                    for name, data in items:
                        info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                        info.compress_type = zipfile.ZIP_DEFLATED if name.endswith((".txt", ".json")) else zipfile.ZIP_STORED
                        zf.writestr(info, data)

            return [atomic_write(dest, write_zip)]
        assert folder is not None
        written = []
        for name, data in items:
            written.append(atomic_write_bytes(inside(folder, name), data))
        return written

    def _sidecar_json(self, entry: GalleryEntry, md: md_mod.ImageMetadata | None) -> dict[str, Any]:
        out = entry.to_json()
        out.pop("path", None)
        if md is not None:
            out["metadata"] = md.to_json()
        return out

    def _export_bytes(
        self, entry: GalleryEntry, fmt: str | None, strip: bool, quality: int
    ) -> tuple[bytes, str, md_mod.ImageMetadata | None]:
        path = entry.path
        try:
            md = md_mod.read_metadata(path)
        except ImageLoadError as exc:
            raise StudioError(f"Cannot export image {entry.id}: {exc}") from None
        source_fmt = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}.get(md.format, "png")
        target = fmt or source_fmt
        ext = md_mod.EXTENSIONS[target]
        if target == source_fmt and not strip and md.source == "studio":
            return path.read_bytes(), ext, md  # already carries everything: copy as is
        try:
            with Image.open(path) as im:
                im.load()
                if im.mode not in ("RGB", "RGBA", "L"):
                    im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
                pixels = im.copy()
        except (OSError, ValueError) as exc:
            raise StudioError(f"Cannot export image {entry.id}: {exc}") from None
        text = md.a1111_text() if (md.prompt or md.parameters or md.seed is not None) else None
        studio = md.studio
        if studio is None and entry.params:
            studio = {
                "format": "studio",
                "format_version": 1,
                "version": md_mod.studio_version(),
                "params": entry.params,
                "seed": entry.seed,
                "model_name": entry.model,
                "model_hash": entry.model_hash,
                "imported_from": md.source,
            }
        extra = {k: v for k, v in md.raw.items() if k not in (md_mod.A1111_CHUNK, md_mod.STUDIO_CHUNK)}
        data = md_mod.encode_image(pixels, target, text, studio, strip, extra_png_chunks=extra, quality=quality)
        return data, ext, md


def _sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_NAME_TIME_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})-(\d{3})-")


def _created_from_name(path: Path, fallback: float) -> float:
    """The creation time of a studio-named file (``gallery/YYYY-MM-DD/HHMMSS-mmm-...``)."""
    m = _NAME_TIME_RE.match(path.name)
    if not m:
        return fallback
    try:
        day = _dt.date.fromisoformat(path.parent.name)
        when = _dt.datetime(day.year, day.month, day.day, int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return when.timestamp() + int(m.group(4)) / 1000.0
    except ValueError:
        return fallback

