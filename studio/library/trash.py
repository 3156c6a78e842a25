"""The trash: delete moves images (and masks) to ``trash/``, restore brings them back (mixed into :class:`Library`)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from studio.fsutil import StorageError, describe_os_error
from studio.library.entry import MASK_SUFFIX
from studio.library.names import unique_name


class TrashMixin:
    """Delete, restore and empty the trash.

    A row always names a file that exists, even if the process is killed
    half-way: the file is first hard-linked to its new place, then the row is
    committed, then the old name is removed (a kill in between leaves one file
    under two names, which :meth:`reconcile` resolves). Where hard links are
    not supported the file is renamed before the commit, and reconcile
    finishes such an interrupted move.
    """

    def _trash_name(self, image_id: int, rel: str) -> Path:
        return self.trash_dir / f"{image_id}__{Path(rel).name}"

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Move images (and their masks) to the trash; returns the ids moved."""
        moved: list[int] = []
        if self.read_only:
            raise self._read_only_error()
        with self._write_lock:
            for entry in self.get_many(list(ids)):
                if entry.trashed is not None:
                    continue
                src = self._abs(entry.rel_path)
                dst = self._trash_name(entry.id, entry.rel_path)
                if not os.path.lexists(src) and not os.path.lexists(dst):
                    with self._tx() as con:  # its file is gone already: no row may point at nothing
                        con.execute("DELETE FROM images WHERE id = ?", (entry.id,))
                    moved.append(entry.id)
                    continue
                pairs = [(src, dst)]
                if entry.mask_path is not None:
                    pairs.append((entry.mask_path, self._trash_name(entry.id, entry.mask_path.name)))
                try:
                    linked = [_place(a, b, replace=True) for a, b in pairs if os.path.lexists(a)]
                except OSError as exc:
                    raise StorageError(exc.errno, f"Could not move {src} to the trash: {describe_os_error(exc, dst)}") from exc
                with self._tx() as con:
                    con.execute(
                        "UPDATE images SET trashed = ?, trash_path = ? WHERE id = ?",
                        (time.time(), self._rel(dst), entry.id),
                    )
                for old in linked:
                    if old is not None:
                        with contextlib.suppress(OSError):
                            old.unlink()
                moved.append(entry.id)
        return moved

    def restore(self, ids: Iterable[int]) -> list[int]:
        """Bring images back from the trash to where they were; returns the ids restored."""
        restored: list[int] = []
        if self.read_only:
            raise self._read_only_error()
        with self._write_lock:
            for entry in self.get_many(list(ids)):
                if entry.trashed is None:
                    continue
                src = entry.path
                if not src.exists():
                    continue  # the trash copy is gone; reconcile drops the row
                target = self._abs(re.sub(r"\.trashed-\d+$", "", entry.rel_path))
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StorageError(exc.errno, f"Could not restore {target}: {exc.strerror}") from exc
                if target.exists() or self._rel(target) != entry.rel_path:
                    # something new took its place: keep both, and name the new place in the row first
                    target = target.with_name(unique_name(target.name, set(), target.parent))
                    while self._path_has_row(self._rel(target)):
                        target = target.with_name(unique_name(target.name, {target.name.lower()}, target.parent))
                    with self._tx() as con:
                        con.execute("UPDATE images SET path = ? WHERE id = ?", (self._rel(target), entry.id))
                mask_src = self._trash_name(entry.id, Path(entry.rel_path).stem + MASK_SUFFIX)
                mask_dst = target.with_name(target.stem + MASK_SUFFIX)
                try:
                    linked = [_place(src, target)]
                    if mask_src.exists():
                        linked.append(_place(mask_src, mask_dst, replace=True))
                except FileExistsError:
                    continue  # taken this very moment by another writer: left in the trash
                except OSError as exc:
                    raise StorageError(exc.errno, f"Could not restore {target}: {exc.strerror}") from exc
                with self._tx() as con:
                    con.execute(
                        "UPDATE images SET trashed = NULL, trash_path = NULL, path = ?, mask_path = COALESCE(?, mask_path) WHERE id = ?",
                        (self._rel(target), self._rel(mask_dst) if len(linked) > 1 else None, entry.id),
                    )
                for old in linked:
                    if old is not None:
                        with contextlib.suppress(OSError):
                            old.unlink()
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
        """Delete trashed images for good; returns how many (rows first, then files)."""
        with self._write_lock:
            rows = self._con().execute("SELECT id, trash_path FROM images WHERE trashed IS NOT NULL").fetchall()
            with self._tx() as con:
                con.executemany("DELETE FROM images WHERE id = ?", [(r["id"],) for r in rows])
            for row in rows:
                if row["trash_path"]:
                    with contextlib.suppress(OSError):
                        self._abs(row["trash_path"]).unlink()
            for leftover in self.trash_dir.iterdir():  # masks and files no row knows
                if leftover.is_file() or leftover.is_symlink():
                    with contextlib.suppress(OSError):
                        leftover.unlink()
        return len(rows)


def _place(src: Path, dst: Path, *, replace: bool = False) -> Path | None:
    """Give ``src`` the name ``dst`` too (a hard link); returns ``src`` to unlink after the commit.

    With ``replace`` a stale ``dst`` (left by an earlier interrupted move) is
    replaced. Without hard links the file is renamed now and None is returned.
    """
    if replace:
        with contextlib.suppress(FileNotFoundError):
            if not os.path.samefile(src, dst):
                dst.unlink()
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        if os.path.samefile(src, dst):
            return src
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if dst.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(dst)) from None
        os.replace(src, dst)
        return None
    return src
