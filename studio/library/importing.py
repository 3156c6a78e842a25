"""Importing image files from elsewhere, skipping duplicates (mixed into :class:`Library`)."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from studio.engine import metadata as md_mod
from studio.engine.errors import ImageLoadError, StudioError
from studio.fsutil import atomic_write, is_temp_leftover
from studio.library.entry import IMAGE_EXTENSIONS, MASK_SUFFIX
from studio.library.names import inside, safe_filename, unique_name


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


class ImportMixin:
    """Copy files into dated gallery folders and index their metadata."""

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


def _sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
