"""Importing image files from elsewhere, skipping duplicates (mixed into :class:`Library`)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from studio.engine import metadata as md_mod
from studio.engine.errors import ImageLoadError, StudioError
from studio.fsutil import StorageError, is_temp_leftover, write_new_file
from studio.library.entry import IMAGE_EXTENSIONS, MASK_SUFFIX
from studio.library.names import safe_filename


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    stopped: str | None = None  # why the import stopped early (a full or read-only disk)


class ImportMixin:
    """Copy files into dated gallery folders and index their metadata.

    Only regular files are opened (FIFOs, sockets and devices are skipped with
    a note). A folder import skips symbolic links to files outside that
    folder. Duplicates are found through the indexed content hash, so the
    cost per file does not grow with the number of same-size files.
    """

    def _has_content(self, digest: str, size: int) -> bool:
        con = self._con()
        if con.execute("SELECT 1 FROM images WHERE content_hash = ? AND trashed IS NULL LIMIT 1", (digest,)).fetchone():
            return True
        # rows indexed by a reconcile carry no hash yet: hash those of this size once and keep it
        rows = con.execute(
            "SELECT id, path FROM images WHERE file_size = ? AND content_hash IS NULL AND trashed IS NULL", (size,)
        ).fetchall()
        found, hashes = False, []
        for row in rows:
            try:
                h = _sha1(self._abs(row["path"]))
            except OSError:
                continue
            hashes.append((h, row["id"]))
            found = found or h == digest
        if hashes:
            with self._tx() as con:
                con.executemany("UPDATE images SET content_hash = ? WHERE id = ?", hashes)
        return found

    def import_files(self, files: Iterable[Path | str]) -> ImportReport:
        """Copy image files into the library and index their metadata (A1111, ComfyUI, InvokeAI, studio)."""
        report = ImportReport()
        if self.read_only:
            report.stopped = str(self._read_only_error())
            return report
        for src in files:
            src = Path(src)
            if src.suffix.lower() not in IMAGE_EXTENSIONS or src.name.lower().endswith(MASK_SUFFIX):
                report.skipped.append((src, "not a PNG, JPEG or WebP image"))
                continue
            try:
                st = os.stat(src)
                if not stat.S_ISREG(st.st_mode):
                    report.skipped.append((src, "not a regular file (a FIFO, socket or device); not opened"))
                    continue
                data = _read_regular(src)
                md = md_mod.read_metadata(src, verify=True)
            except ImageLoadError as exc:
                report.skipped.append((src, str(exc)))
                continue
            except OSError as exc:
                report.skipped.append((src, exc.strerror or str(exc)))
                continue
            except Exception:  # noqa: BLE001 - metadata a reader cannot parse: import the picture without it
                md = md_mod.ImageMetadata(source="unknown")
            digest = hashlib.sha1(data).hexdigest()
            try:
                if self._has_content(digest, len(data)):
                    report.duplicates.append(src)
                    continue
                report.added.append(self._import_one(src, st, data, digest, md))
            except StorageError as exc:  # a full or read-only disk: no later file would do better
                report.stopped = str(exc)
                break
        return report

    def _import_one(self, src: Path, st: os.stat_result, data: bytes, digest: str, md: md_mod.ImageMetadata) -> int:
        with self._write_lock:
            created = st.st_mtime
            folder = self.gallery_dir / time.strftime("%Y-%m-%d", time.localtime(created))
            name = safe_filename(src.stem, src.suffix.lower())
            stem, ext = name[: -len(src.suffix)], name[-len(src.suffix) :]
            dest = write_new_file(folder, self._free_names(folder, stem, ext), data)
            try:
                dst_st = dest.stat()
                row = {
                    "path": self._rel(dest),
                    "created": created,
                    "file_size": dst_st.st_size,
                    "file_mtime_ns": dst_st.st_mtime_ns,
                    **self._row_from_metadata(md, dest),
                    "content_hash": digest,
                }
                return self._insert_row(row)
            except BaseException:
                with contextlib.suppress(OSError):  # the original is still where it was: leave no orphan copy
                    dest.unlink()
                raise

    def import_folder(self, folder: Path | str, *, recursive: bool = True) -> ImportReport:
        """Import the images of ``folder``; links to files outside it are skipped (not followed)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise StudioError(f"{folder} is not a folder.")
        base = folder.resolve()
        pattern = folder.rglob("*") if recursive else folder.glob("*")
        files, skipped = [], []
        for p in sorted(pattern):
            if p.suffix.lower() not in IMAGE_EXTENSIONS or is_temp_leftover(p) or p.name.lower().endswith(MASK_SUFFIX):
                continue
            try:
                if p.is_symlink() and not p.resolve().is_relative_to(base):
                    skipped.append((p, "a link to a file outside the folder; not followed"))
                    continue
                if p.is_dir():
                    continue
            except OSError as exc:
                skipped.append((p, exc.strerror or str(exc)))
                continue
            files.append(p)
        report = self.import_files(files)
        report.skipped[:0] = skipped
        return report


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO swapped in meanwhile is refused)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file; not opened")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def _sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
