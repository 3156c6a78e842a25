"""The centre of the window: canvas tool bar, the canvas, job progress and the batch strip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.canvas import CanvasView
from studio.ui.theme import icon

STRIP_ICON = 72


def format_eta(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class BatchStrip(QListWidget):
    """Thumbnails of a batch's images; choosing one shows it on the canvas."""

    chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("batchStrip")
        self.setViewMode(QListView.IconMode)
        self.setFlow(QListView.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Static)
        self.setIconSize(QSize(STRIP_ICON, STRIP_ICON))
        self.setFixedHeight(STRIP_ICON + 26)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.images: list[tuple[QImage, str | None]] = []
        self.currentRowChanged.connect(lambda row: row >= 0 and self.chosen.emit(row))

    def set_images(self, images: list[QImage]) -> None:
        self.blockSignals(True)
        self.clear()
        self.images = [(img, None) for img in images]
        for i, img in enumerate(images):
            pix = QPixmap.fromImage(img).scaled(STRIP_ICON, STRIP_ICON, Qt.KeepAspectRatio, Qt.SmoothTransformation)
            item = QListWidgetItem(QIcon(pix), str(i + 1))
            self.addItem(item)
        self.setCurrentRow(0)
        self.blockSignals(False)
        self.setVisible(len(images) > 1)

    def set_path(self, index: int, path: str) -> None:
        if 0 <= index < len(self.images):
            self.images[index] = (self.images[index][0], path)


class CanvasPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.canvas = CanvasView(self)
        self.fit_button = QToolButton(icon=icon("fit"), toolTip="Fit to window (Ctrl+0)")
        self.actual_button = QToolButton(icon=icon("actual-size"), toolTip="Actual size, 100% (Ctrl+1)")
        self.nearest_button = QToolButton(icon=icon("pixel"), checkable=True, toolTip="Nearest-neighbour scaling (pixel art)")
        self.nearest_button.setObjectName("nearest")
        self.zoom_label = QLabel("100%")
        self.zoom_label.setMinimumWidth(48)
        self.fit_button.clicked.connect(self.canvas.fit)
        self.actual_button.clicked.connect(self.canvas.actual_size)
        self.nearest_button.toggled.connect(lambda on: self.canvas.set_smooth(not on))
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.size_label = QLabel("")
        self.canvas.image_changed.connect(
            lambda s: self.size_label.setText(f"{s.width()} x {s.height()}" if not s.isEmpty() else "")
        )

        self.progress = QProgressBar(objectName="jobProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress_label = QLabel("", objectName="progressLabel")

        self.strip = BatchStrip(self)
        self.strip.setVisible(False)

        tools = QHBoxLayout()
        tools.setContentsMargins(4, 2, 4, 2)
        for w in (self.fit_button, self.actual_button, self.nearest_button, self.zoom_label):
            tools.addWidget(w)
        tools.addStretch(1)
        tools.addWidget(self.size_label)
        progress = QHBoxLayout()
        progress.setContentsMargins(4, 2, 4, 2)
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.progress_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(tools)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.strip)
        layout.addLayout(progress)

    def show_progress(self, step: int, total: int, eta: float, queued: int = 0) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)
        self.progress.setFormat(f"step {step}/{total}")
        more = f" · {queued} queued" if queued else ""
        self.progress_label.setText(f"ETA {format_eta(eta)}{more}")

    def reset_progress(self, text: str = "") -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.progress_label.setText(text)
