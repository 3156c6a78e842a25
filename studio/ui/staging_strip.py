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
    QBoxLayout,
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
COMPARE_LABELS = {"off": "No compare", "split": "Split", "side": "Side by side"}


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
        self._shape: tuple | None = None  # (one row, a scroll bar shown) as last laid out
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
        self.thumbs.setMinimumWidth(THUMB + 16)  # one thumbnail at least; it widens with the canvas
        self.thumbs.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.thumbs.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.count_label = QLabel("", objectName="stagingCount", toolTip="The shown result / the staged results")
        self.accept_button = QPushButton(icon("generate"), "Accept", objectName="stagingAccept",
                                         toolTip="This result becomes the canvas image (Enter over the canvas; Ctrl+Z undoes it)")
        self.discard_button = QPushButton(icon("remove"), "Discard", objectName="stagingDiscard",
                                          toolTip="Back to the canvas image (Backspace over the canvas); the results stay in the gallery")
        self.compare = QComboBox(objectName="stagingCompare",
                                 toolTip="Compare the staged result with the canvas image (C over the canvas)")
        for mode, label in COMPARE_LABELS.items():
            self.compare.addItem(label, mode)

        nav = QWidget()
        nav_layout = QHBoxLayout(nav)
        nav_layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.prev_button, self.next_button, self.thumbs):  # the arrows stay in view when it scrolls
            nav_layout.addWidget(w, 1 if w is self.thumbs else 0)
        self.actions = QWidget()
        actions_layout = QHBoxLayout(self.actions)
        actions_layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.count_label, self.accept_button, self.discard_button, self.compare):
            actions_layout.addWidget(w)
        actions_layout.addStretch(1)
        row = QWidget()
        self._rows = QBoxLayout(QBoxLayout.LeftToRight, row)
        self._rows.setContentsMargins(4, 2, 4, 2)
        self._rows.addWidget(nav, 1)
        self._rows.addWidget(self.actions)
        self._nav = nav
        self.setWidget(row)
        self._fit_rows()

        self.prev_button.clicked.connect(staging.prev)
        self.next_button.clicked.connect(staging.next)
        self.accept_button.clicked.connect(staging.accept)
        self.discard_button.clicked.connect(staging.discard)
        self.thumbs.currentRowChanged.connect(lambda row: row >= 0 and staging.select(row))
        self.compare.activated.connect(lambda i: staging.set_compare(self.compare.itemData(i)))
        staging.changed.connect(self.refresh)
        self.setVisible(False)

    def _fit_rows(self) -> None:
        """One row when the canvas is wide enough, else the buttons under the thumbnails (1280x720, 200%)."""
        nav, actions = self._nav.minimumSizeHint().width(), self.actions.sizeHint().width()
        one_row = self.width() >= nav + actions + 16
        bar = self.width() < (nav + actions + 16 if one_row else max(nav, actions) + 8)
        shape = (one_row, bar)
        if shape != self._shape:
            self._shape = shape
            self._rows.setDirection(QBoxLayout.LeftToRight if one_row else QBoxLayout.TopToBottom)
            self._rows.activate()
            extra = self.horizontalScrollBar().sizeHint().height() if bar else 0
            self.setFixedHeight(self.widget().sizeHint().height() + extra)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()

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
