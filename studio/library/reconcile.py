"""Reconcile: make the index match the folders again after a crash or edits behind the library's back."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from studio.fsutil import is_temp_leftover
from studio.library.entry import IMAGE_EXTENSIONS, MASK_SUFFIX
from studio.library.rows import clean_row


@dataclass
class ReconcileReport:
    added: list[int] = field(default_factory=list)  # files found on disk without a row
    removed: list[str] = field(default_factory=list)  # rows whose file is gone
    updated: list[int] = field(default_factory=list)  # files changed on disk, metadata re-read
    broken: list[int] = field(default_factory=list)  # files that no longer decode (kept, flagged)
    repaired: list[int] = field(default_factory=list)  # interrupted deletes/restores finished
    leftovers: list[str] = field(default_factory=list)  # temp files of interrupted writes removed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why): links, FIFOs, files that failed
    read_only: bool = False  # a read-only gallery: nothing was checked or changed
    scanned: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.updated or self.broken or self.repaired)


class ReconcileMixin:
    """Scan the gallery folders and repair the index (mixed into :class:`Library`)."""

    def _scan(self) -> dict[str, tuple[int, int]]:
        """Every image file under gallery/: relative path -> (size, mtime_ns).

        Only regular files count: symbolic links are not followed and FIFOs,
        sockets and devices are never opened (both kept in ``self._local.scan_skipped``).
        """
        found: dict[str, tuple[int, int]] = {}
        skipped = self._local.scan_skipped = []
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
                    try:
                        if de.is_dir(follow_symlinks=False):
                            stack.append((Path(de.path), f"{rel}/{de.name}"))
                            continue
                        lower = de.name.lower()
                        if lower.endswith(MASK_SUFFIX) or os.path.splitext(lower)[1] not in IMAGE_EXTENSIONS:
                            continue
                        st = de.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if not stat.S_ISREG(st.st_mode):
                        why = "a symbolic link (not followed)" if stat.S_ISLNK(st.st_mode) else "not a regular file"
                        skipped.append((f"{rel}/{de.name}", why))
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
                        if now - path.lstat().st_mtime >= min_age:
                            path.unlink()
                            report.leftovers.append(str(path))
                    except OSError:
                        continue

    def reconcile(self, *, min_temp_age: float = 60.0) -> ReconcileReport:
        """Make the index match the folders again; never deletes an image file.

        Each file is handled on its own: one that cannot be indexed is skipped
        and named in ``report.skipped`` while the others are indexed and the
        rows of removed files dropped. Temp files of interrupted writes older
        than ``min_temp_age`` seconds are removed (younger ones may belong to a
        write in progress). Safe while other threads or processes add images:
        the rows are read before the folders are scanned (a row committed
        meanwhile is left alone), rows are dropped only after their file is
        checked again, and files indexed meanwhile by someone else are skipped.
        Reading files happens without holding the write lock. A read-only
        gallery is left as it is.
        """
        t0 = time.perf_counter()
        report = ReconcileReport()
        if self.read_only:
            report.read_only = True
            report.seconds = time.perf_counter() - t0
            return report
        self._remove_leftovers(min_temp_age, report)
        con = self._con()
        rows = con.execute("SELECT id, path, file_size, file_mtime_ns, trashed, trash_path FROM images").fetchall()
        all_known = {r["path"] for r in rows}
        on_disk = self._scan()
        report.skipped += getattr(self._local, "scan_skipped", [])
        report.scanned = len(on_disk)
        try:
            trash_files = {p.name for p in self.trash_dir.iterdir()} if self.trash_dir.exists() else set()
        except OSError:
            trash_files = set()
        steps: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []
        for row in rows:
            rel = row["path"]
            trash_name = f"{row['id']}__{Path(rel).name}"
            if row["trashed"] is None:
                stat_now = on_disk.get(rel)
                if stat_now is None:
                    if trash_name in trash_files:  # a delete interrupted before its commit
                        trash_rel = f"{self.trash_dir.relative_to(self.root).as_posix()}/{trash_name}"
                        steps.append((rel, self._step_sql(
                            "UPDATE images SET trashed = ?, trash_path = ? WHERE id = ? AND trashed IS NULL",
                            (time.time(), trash_rel, row["id"]), report.repaired, row["id"])))
                    else:
                        steps.append((rel, self._step_drop(row["id"], rel, report)))
                    continue
                if trash_name in trash_files and self._unlink_second_link(self.trash_dir / trash_name, self._abs(rel)):
                    report.repaired.append(row["id"])  # a delete before its commit, or a restore after it
                if stat_now != (row["file_size"], row["file_mtime_ns"]):
                    step = self._step_reread(row["id"], rel, report)
                    if step is not None:
                        steps.append((rel, step))
            else:
                in_trash = bool(row["trash_path"]) and Path(row["trash_path"]).name in trash_files
                if not in_trash:
                    if rel in on_disk:  # a restore interrupted before its commit
                        steps.append((rel, self._step_sql(
                            "UPDATE images SET trashed = NULL, trash_path = NULL WHERE id = ?", (row["id"],), report.repaired, row["id"])))
                    else:
                        steps.append((rel, self._step_drop(row["id"], rel, report)))
                elif rel in on_disk and self._unlink_second_link(self._abs(rel), self._abs(row["trash_path"])):
                    report.repaired.append(row["id"])  # a delete after its commit, or a restore before it
        for rel in sorted(set(on_disk) - all_known):
            path = self._abs(rel)
            try:
                st = os.stat(path, follow_symlinks=False)
                fields, _broken = self._row_for_file(path, st, created=_created_from_name(path, st.st_mtime))
            except Exception as exc:  # noqa: BLE001 - one unreadable file never stops the others
                report.skipped.append((rel, _why(exc)))
                continue
            steps.append((rel, self._step_add(fields, report)))
        self._run_steps(steps, report)
        report.seconds = time.perf_counter() - t0
        return report

    # -- the steps, each applied on its own (a savepoint inside a chunked transaction) ------------

    def _run_steps(self, steps: list, report: ReconcileReport, chunk: int = 256) -> None:
        for start in range(0, len(steps), chunk):
            with self._tx() as con:
                for rel, step in steps[start : start + chunk]:
                    con.execute("SAVEPOINT one_file")
                    try:
                        step(con)
                    except sqlite3.OperationalError:
                        con.execute("ROLLBACK TO one_file")
                        raise  # full or read-only disk: no later file would do better
                    except Exception as exc:  # noqa: BLE001 - this file only
                        con.execute("ROLLBACK TO one_file")
                        report.skipped.append((rel, _why(exc)))
                    con.execute("RELEASE one_file")

    @staticmethod
    def _step_sql(sql: str, args: tuple, into: list, image_id: int) -> Callable:
        def step(con: sqlite3.Connection) -> None:
            con.execute(sql, args)
            into.append(image_id)

        return step

    def _step_drop(self, image_id: int, rel: str, report: ReconcileReport) -> Callable:
        def step(con: sqlite3.Connection) -> None:
            # look again: the file may have come back (a restore, a slow copy) since the scan
            if os.path.lexists(self._abs(rel)):
                return
            con.execute("DELETE FROM images WHERE id = ?", (image_id,))
            report.removed.append(rel)

        return step

    def _step_add(self, fields: dict, report: ReconcileReport) -> Callable:
        def step(con: sqlite3.Connection) -> None:
            new_id = self._insert(con, fields)
            if new_id is None:
                return  # indexed meanwhile by another writer
            report.added.append(new_id)
            if fields.get("broken"):
                report.broken.append(new_id)

        return step

    def _step_reread(self, image_id: int, rel: str, report: ReconcileReport) -> Callable | None:
        path = self._abs(rel)
        try:
            fields, broken = self._row_for_file(path, os.stat(path, follow_symlinks=False))
        except Exception as exc:  # noqa: BLE001 - vanished or unreadable: the next reconcile looks again
            if not isinstance(exc, FileNotFoundError):
                report.skipped.append((rel, _why(exc)))
            return None
        fields.pop("path")
        fields.pop("created")
        if broken:  # keep what we knew about it; flag it
            fields = {"file_size": fields["file_size"], "file_mtime_ns": fields["file_mtime_ns"], "broken": 1}
        fields["content_hash"] = None
        fields = clean_row(fields)
        keys = list(fields)
        sql = f"UPDATE images SET {', '.join(k + ' = ?' for k in keys)} WHERE id = ?"
        return self._step_sql(sql, tuple(fields[k] for k in keys) + (image_id,), report.broken if broken else report.updated, image_id)

    def _unlink_second_link(self, extra: Path, kept: Path) -> bool:
        """Finish a delete/restore killed half-way: the file is in both places (hard links); drop ``extra``."""
        try:
            if not os.path.samefile(extra, kept):
                return False
            extra.unlink()
        except OSError:
            return False
        for mask_extra, mask_kept in _mask_pair(extra, kept):
            with contextlib.suppress(OSError):
                if os.path.samefile(mask_extra, mask_kept):
                    mask_extra.unlink()
        return True


def _mask_pair(extra: Path, kept: Path) -> list[tuple[Path, Path]]:
    """The masks beside a gallery file and its trash copy (``<id>__<stem>.mask.png``)."""
    def mask_of(p: Path) -> Path:
        return p.with_name(p.stem + MASK_SUFFIX)

    return [(mask_of(extra), mask_of(kept))]


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


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
