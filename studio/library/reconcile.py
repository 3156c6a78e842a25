"""Reconcile: make the index match the folders again after a crash or edits behind the library's back."""

from __future__ import annotations

import datetime as _dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.fsutil import is_temp_leftover
from studio.library.entry import IMAGE_EXTENSIONS, MASK_SUFFIX


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


class ReconcileMixin:
    """Scan the gallery folders and repair the index (mixed into :class:`Library`)."""

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
