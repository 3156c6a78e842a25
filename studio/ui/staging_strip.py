"""The staging strip under the canvas: thumbnails of the staged results, prev/next, Accept, Discard, Compare.

It only shows while results are staged (:class:`studio.ui.staging.Staging`).
Keys over the canvas (:mod:`studio.ui.canvas_shortcuts`): Left/Right the
previous/next result, Enter accept, Backspace discard, C the compare mode.
The strip scrolls sideways in a narrow window instead of widening it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from studio.ui.staging import Staging
from studio.ui.theme import icon

THUMB = 56
COMPARE_LABELS = {"off": "Compare: off", "split": "Compare: split", "side": "Compare: side by side"}


class StagingStrip(QScrollArea):
    """The staged results of ``staging`` and what to do with them."""

    def __init__(self, staging: Staging, parent=None):
        super().__init__(parent)
        self.staging = staging
        self.setObjectName("stagingStrip")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self._key: tuple = ()
        self._icons: dict[int, QIcon] = {}

        self.prev_button = QToolButton(objectName="stagingPrev", arrowType=Qt.LeftArrow,
                                       toolTip="Previous staged result (Left arrow over the canvas)")
        self.next_button = QToolButton(objectName="stagingNext", arrowType=Qt.RightArrow,
                                       toolTip="Next staged result (Right arrow over the canvas)")
        self.thumbs = QListWidget(objectName="stagingList")
        self.thumbs.setViewMode(QListView.IconMode)
        self.thumbs.setFlow(QListView.LeftToRight)
        self.thumbs.setWrapping(False)
        self.thumbs.setMovement(QListView.Static)
        self.thumbs.setIconSize(QSize(THUMB, THUMB))
        self.thumbs.setFixedHeight(THUMB + 12)
        self.thumbs.setMinimumWidth(THUMB * 2 + 24)
        self.thumbs.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.thumbs.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.count_label = QLabel("", objectName="stagingCount")
        self.accept_button = QPushButton(icon("generate"), "Accept", objectName="stagingAccept",
                                         toolTip="This result becomes the canvas image (Enter over the canvas; Ctrl+Z undoes it)")
        self.discard_button = QPushButton(icon("remove"), "Discard", objectName="stagingDiscard",
                                          toolTip="Back to the canvas image (Backspace over the canvas); the results stay in the gallery")
        self.compare = QComboBox(objectName="stagingCompare",
                                 toolTip="Compare the staged result with the canvas image (C over the canvas)")
        for mode, label in COMPARE_LABELS.items():
            self.compare.addItem(label, mode)

        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Staged:"))
        layout.addWidget(self.prev_button)
        layout.addWidget(self.thumbs, 1)
        layout.addWidget(self.next_button)
        layout.addWidget(self.count_label)
        for w in (self.accept_button, self.discard_button, self.compare):
            layout.addWidget(w)
        self.setWidget(row)
        self.setFixedHeight(row.sizeHint().height() + self.horizontalScrollBar().sizeHint().height())

        self.prev_button.clicked.connect(staging.prev)
        self.next_button.clicked.connect(staging.next)
        self.accept_button.clicked.connect(staging.accept)
        self.discard_button.clicked.connect(staging.discard)
        self.thumbs.currentRowChanged.connect(lambda row: row >= 0 and staging.select(row))
        self.compare.activated.connect(lambda i: staging.set_compare(self.compare.itemData(i)))
        staging.changed.connect(self.refresh)
        self.setVisible(False)

    def _thumb(self, image) -> QIcon:
        found = self._icons.get(id(image))
        if found is None:
            pix = QPixmap.fromImage(image).scaled(THUMB, THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)
            found = self._icons[id(image)] = QIcon(pix)
        return found

    def refresh(self) -> None:
        s = self.staging
        key = tuple(id(r.image) for r in s.results)
        self.thumbs.blockSignals(True)
        if key != self._key:
            self._key = key
            self._icons = {k: v for k, v in self._icons.items() if k in key}
            self.thumbs.clear()
            for i, result in enumerate(s.results):
                self.thumbs.addItem(QListWidgetItem(self._thumb(result.image), str(i + 1)))
        for i, result in enumerate(s.results):
            self.thumbs.item(i).setToolTip(result.path or "saving to the gallery…")
        self.thumbs.setCurrentRow(s.index)
        self.thumbs.blockSignals(False)
        if s.index >= 0:
            self.thumbs.scrollToItem(self.thumbs.item(s.index))
        self.count_label.setText(f"{s.index + 1} / {len(s.results)}" if s.results else "")
        self.compare.setCurrentIndex(self.compare.findData(s.compare))
        several = len(s.results) > 1
        self.prev_button.setEnabled(several)
        self.next_button.setEnabled(several)
        self.setVisible(s.active())
