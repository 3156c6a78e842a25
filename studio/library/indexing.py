"""Rows for files: names claimed without clobbering, rows inserted without overwriting another file's row.

Mixed into :class:`~studio.library.library.Library`. Every row goes through
:func:`studio.library.rows.clean_row` first, so what a file says never makes
an insert fail.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.engine import metadata as md_mod
from studio.engine.errors import ImageLoadError
from studio.library.entry import MASK_SUFFIX
from studio.library.rows import clean_row


class IndexingMixin:
    """Name choice, row inserts and reading a file's index fields."""

    def _path_has_row(self, rel: str) -> bool:
        return self._con().execute("SELECT 1 FROM images WHERE path = ?", (rel,)).fetchone() is not None

    def _free_names(self, folder: Path, base: str, ext: str) -> Iterator[str]:
        """``base.ext``, ``base-2.ext``... skipping names a row (maybe in the trash) or a mask holds.

        Only candidates: the caller claims one atomically (:func:`write_new_file`).
        """
        prefix = self._rel(folder / "x")[:-1]
        n = 1
        while True:
            name = f"{base}{ext}" if n == 1 else f"{base}-{n}{ext}"
            n += 1
            if (folder / f"{Path(name).stem}{MASK_SUFFIX}").exists() or self._path_has_row(prefix + name):
                continue
            yield name

    def _day_folder(self, when: float) -> tuple[Path, str]:
        tm = time.localtime(when)
        return self.gallery_dir / time.strftime("%Y-%m-%d", tm), f"{time.strftime('%H%M%S', tm)}-{int((when % 1) * 1000):03d}"

    def _insert_row(self, row: dict[str, Any]) -> int:
        """Index a file this process just placed (its name claimed, so the path is ours)."""
        with self._tx() as con:
            return self._insert_owned(con, row)

    @classmethod
    def _insert_owned(cls, con: sqlite3.Connection, row: dict[str, Any]) -> int:
        """Insert the row of a file we own. A row a reconcile made for that same file
        meanwhile is updated; a trashed row still naming the path is moved aside first."""
        row = clean_row(row)
        new_id = cls._insert(con, row, cleaned=True)
        if new_id is not None:
            return new_id
        con.execute(
            "UPDATE images SET path = path || '.trashed-' || id WHERE path = ? AND trashed IS NOT NULL", (row["path"],)
        )
        keys = [k for k in row if k != "path"]
        found = con.execute(
            f"UPDATE images SET {', '.join(k + ' = ?' for k in keys)} WHERE path = ? RETURNING id",
            [row[k] for k in keys] + [row["path"]],
        ).fetchone()
        if found is not None:  # reconcile indexed our file first
            return int(found[0])
        new_id = cls._insert(con, row, cleaned=True)
        assert new_id is not None
        return new_id

    @staticmethod
    def _insert(con: sqlite3.Connection, row: dict[str, Any], *, cleaned: bool = False) -> int | None:
        """Insert a row (cleaned first); None when its path is already indexed (never overwrites that row)."""
        if not cleaned:
            row = clean_row(row)
        keys = list(row)
        sql = f"INSERT INTO images ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)}) ON CONFLICT(path) DO NOTHING"
        cur = con.execute(sql + " RETURNING id", [row[k] for k in keys])
        found = cur.fetchone()
        cur.close()
        return int(found[0]) if found else None

    @staticmethod
    def _row_from_metadata(md: md_mod.ImageMetadata, path: Path | None = None) -> dict[str, Any]:
        """Index fields from what a file says; any value is accepted (see :mod:`.rows`). The size is the
        file's own when ``path`` is given (an upscaled copy keeps its source's generation "Size")."""
        try:
            params = md.to_params()
        except Exception:  # noqa: BLE001 - hostile metadata: keep the row, lose the params
            params = {}
        size = _pixel_size(path) if path is not None else None
        width, height = size if size is not None else (md.width, md.height)
        return {
            "width": width,
            "height": height,
            "prompt": md.prompt or "",
            "negative_prompt": md.negative_prompt or "",
            "seed": md.seed,
            "steps": md.steps,
            "cfg_scale": md.cfg_scale,
            "sampler": md.scheduler or md.sampler,
            "model": md.model,
            "model_hash": md.model_hash,
            "params": params,
            "source": md.source,
        }

    def _row_for_file(self, path: Path, st: os.stat_result, *, created: float | None = None) -> tuple[dict[str, Any], bool]:
        """Index fields read from a file; ``(row, broken)``. Only regular files are opened."""
        row: dict[str, Any] = {
            "path": self._rel(path),
            "created": created if created is not None else st.st_mtime,
            "file_size": st.st_size,
            "file_mtime_ns": st.st_mtime_ns,
        }
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        try:
            md = md_mod.read_metadata(path, verify=True)
        except ImageLoadError:
            row.update(source="unknown", broken=1)
            return row, True
        except Exception:  # noqa: BLE001 - a reader failure on hostile metadata: index the file without it
            row.update(source="unknown", broken=0)
            return row, False
        row.update(self._row_from_metadata(md, path), broken=0)
        mask = path.with_name(path.stem + MASK_SUFFIX)
        if mask.exists():
            row["mask_path"] = self._rel(mask)
        return row, False


def _pixel_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the image header (no decode), or None when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return int(im.width), int(im.height)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
