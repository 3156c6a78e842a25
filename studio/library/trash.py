"""The trash: delete moves images (and masks) to ``trash/``, restore brings them back (mixed into :class:`Library`)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

from studio.fsutil import StorageError
from studio.library.entry import MASK_SUFFIX
from studio.library.names import unique_name


class TrashMixin:
    """Delete, restore and empty the trash; files move first, rows are committed after."""

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

    def trash_count(self) -> int:
        return int(self._con().execute("SELECT COUNT(*) FROM images WHERE trashed IS NOT NULL").fetchone()[0])

    def purge(self, ids: Iterable[int]) -> int:
        """Delete trashed images for good (files and rows); images not in the trash are left alone."""
        ids = [int(i) for i in ids]
        with self._write_lock:
            entries = [e for e in self.get_many(ids) if e.trashed is not None]
            for entry in entries:
                with contextlib.suppress(FileNotFoundError):
                    entry.path.unlink()
                mask = self._trash_name(entry.id, Path(entry.rel_path).stem + MASK_SUFFIX)
                with contextlib.suppress(FileNotFoundError):
                    mask.unlink()
            with self._tx() as con:
                con.executemany("DELETE FROM images WHERE id = ?", [(e.id,) for e in entries])
        return len(entries)

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
