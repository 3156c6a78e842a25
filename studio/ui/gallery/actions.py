"""What the gallery does to images, apart from the panel's wiring: clipboard copies, showing a file
in the file manager, reusing parameters, imports and the messages about them. Imports nothing of the
panel (the panel imports this)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage

from studio.library import GalleryEntry, Library

if TYPE_CHECKING:
    from studio.library import ImportReport


def reuse_params(entry: GalleryEntry) -> dict[str, Any]:
    """The entry's parameters as a ``GenerationRequest.to_params()``-style dict, its seed included."""
    params = dict(entry.params)
    params.setdefault("prompt", entry.prompt)
    params.setdefault("negative_prompt", entry.negative_prompt)
    if entry.seed is not None and 0 <= entry.seed <= 2**32 - 1:
        params["seed"] = int(entry.seed)
    return params


def copy_image(entry: GalleryEntry) -> bool:
    """Put the image on the clipboard; False when the file cannot be read."""
    image = QImage(str(entry.path))
    if image.isNull():
        return False
    QGuiApplication.clipboard().setImage(image)
    return True


def parameters_text(entry: GalleryEntry) -> str:
    """The AUTOMATIC1111 text of the image's metadata (its prompt when the file is unreadable)."""
    from studio.engine.errors import ImageLoadError
    from studio.engine.metadata import read_metadata

    try:
        return read_metadata(entry.path).a1111_text()
    except ImageLoadError:
        return entry.prompt


def reveal_in_file_manager(entry: GalleryEntry) -> None:
    path = str(entry.path)
    if sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", path])
    elif sys.platform.startswith("win"):
        QProcess.startDetached("explorer", ["/select," + str(entry.path).replace("/", "\\")])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.path.parent)))


def import_paths(library: Library, paths: list[str]) -> ImportReport:
    """Import files and folders (folders recursively) into ``library``; one report for all."""
    from studio.library import ImportReport

    total = ImportReport()
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            r = library.import_folder(p)
            total.added += r.added
            total.duplicates += r.duplicates
            total.skipped += r.skipped
        else:
            files.append(p)
    if files:
        r = library.import_files(files)
        total.added += r.added
        total.duplicates += r.duplicates
        total.skipped += r.skipped
    return total


def import_message(report: ImportReport) -> str:
    msg = f"Imported {len(report.added)} image(s)."
    if report.duplicates:
        msg += f" {len(report.duplicates)} already there."
    if report.skipped:
        msg += f" {len(report.skipped)} skipped."
    return msg


def reconcile_message(report) -> str | None:
    """The status line for a reconcile that changed something (None when nothing worth saying)."""
    parts = []
    if report.added:
        parts.append(f"{len(report.added)} found")
    if report.removed:
        parts.append(f"{len(report.removed)} missing removed")
    if report.updated:
        parts.append(f"{len(report.updated)} changed")
    skipped = getattr(report, "skipped", [])
    note = f" {len(skipped)} file(s) skipped (links, FIFOs or unreadable): {skipped[0][0]}…" if skipped else ""
    if getattr(report, "read_only", False):
        return "The gallery is on a read-only disk or folder: you can browse it, not change it."
    if parts:
        return "Gallery updated: " + ", ".join(parts) + "." + note
    return note.strip() or None


__all__ = [
    "copy_image",
    "import_message",
    "import_paths",
    "parameters_text",
    "reconcile_message",
    "reuse_params",
    "reveal_in_file_manager",
]
