"""What the gallery does to images, apart from the panel's wiring: delete with undo, the export
dialog, clipboard copies, showing a file in the file manager, imports and the context menu."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QImage, QUndoCommand
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMenu

from studio.engine.provenance import STRIP_ALL_WARNING
from studio.library import DEFAULT_TEMPLATE, GalleryEntry, Library

if TYPE_CHECKING:
    from studio.library import ImportReport
    from studio.ui.gallery.panel import GalleryPanel


class DeleteCommand(QUndoCommand):
    """Moving images to the trash; undo brings them back."""

    def __init__(self, panel: GalleryPanel, ids: list[int]):
        super().__init__(f"Delete {len(ids)} image{'s' if len(ids) != 1 else ''}")
        self.panel = panel
        self.ids = list(ids)

    def redo(self) -> None:
        self.ids = self.panel.library.delete(self.ids) or self.ids
        self.panel.refresh()

    def undo(self) -> None:
        self.panel.library.restore(self.ids)
        self.panel.refresh(select=self.ids)


class ExportDialog(QDialog):
    def __init__(self, count: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Export {count} image{'s' if count != 1 else ''}")
        self.format = QComboBox()
        for label, value in (("Keep each file's format", None), ("PNG", "png"), ("JPEG", "jpeg"), ("WebP", "webp")):
            self.format.addItem(label, value)
        self.template = QLineEdit(DEFAULT_TEMPLATE)
        self.template.setToolTip("Fields: {date} {time} {datetime} {seed} {prompt} {negative} {model} {id} {steps} {cfg} {sampler} {width} {height} {index}")
        self.keep = QComboBox(objectName="exportKeep")
        for label, value in (
            ("Keep everything (parameters and provenance)", "all"),
            ("Strip generation parameters, keep provenance", "provenance"),
            ("Strip everything (pixels only)", "none"),
        ):
            self.keep.addItem(label, value)
        self.keep_warning = QLabel(STRIP_ALL_WARNING, objectName="exportStripWarning", wordWrap=True)
        self.keep_warning.setStyleSheet("color: #d08030")
        self.keep_warning.setVisible(False)
        self.keep.currentIndexChanged.connect(self._keep_changed)
        self.watermark = QCheckBox("Invisible watermark (256x256 and up)", objectName="exportWatermark", checked=True)
        self.sidecar = QComboBox()
        for label, value in (("No sidecar file", None), (".txt beside each image (AUTOMATIC1111 text)", "txt"), (".json beside each image", "json")):
            self.sidecar.addItem(label, value)
        self.as_zip = QCheckBox("Into one .zip archive")
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("File names", self.template)
        form.addRow("Metadata", self.keep)
        form.addRow("", self.keep_warning)
        form.addRow("", self.watermark)
        form.addRow("Sidecar", self.sidecar)
        form.addRow("", self.as_zip)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _keep_changed(self, _index: int) -> None:
        nothing = self.keep.currentData() == "none"
        self.keep_warning.setVisible(nothing)
        self.watermark.setEnabled(not nothing)
        self.adjustSize()

    def values(self) -> dict[str, Any]:
        return {
            "fmt": self.format.currentData(),
            "template": self.template.text().strip() or DEFAULT_TEMPLATE,
            "keep": self.keep.currentData(),
            "watermark": self.watermark.isChecked() and self.keep.currentData() != "none",
            "sidecar": self.sidecar.currentData(),
        }


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
    if parts:
        return "Gallery updated: " + ", ".join(parts) + "."
    return None


def context_menu(panel: GalleryPanel, current_board: str | None) -> QMenu:
    """The grid's right-click menu, acting on the panel's selection."""
    menu = QMenu(panel)
    menu.addAction("Reuse parameters", panel.reuse_current)
    menu.addAction("Send to canvas (img2img)", lambda: panel.send_current("init"))
    menu.addAction("Send to canvas for inpainting", lambda: panel.send_current("inpaint"))
    menu.addSeparator()
    menu.addAction("Toggle favourite\tF", panel.toggle_favourite)
    boards = menu.addMenu("Add to board")
    for name, _n in panel.library.boards():
        boards.addAction(name, lambda n=name: panel.add_to_board(n))
    boards.addSeparator()
    boards.addAction("New board…", panel._new_board)
    if current_board:
        menu.addAction(f"Remove from {current_board}", lambda: panel.remove_from_board(current_board))
    menu.addSeparator()
    menu.addAction("Copy image", panel.copy_image)
    menu.addAction("Copy parameters", panel.copy_parameters)
    menu.addAction("Show in file manager", panel.reveal_current)
    menu.addAction("Export…", panel.open_export_dialog)
    menu.addSeparator()
    delete = QAction("Delete\tDel", menu)
    delete.triggered.connect(panel.delete_selected)
    menu.addAction(delete)
    return menu


__all__ = [
    "DeleteCommand",
    "ExportDialog",
    "context_menu",
    "copy_image",
    "import_message",
    "import_paths",
    "parameters_text",
    "reconcile_message",
    "reuse_params",
    "reveal_in_file_manager",
]
