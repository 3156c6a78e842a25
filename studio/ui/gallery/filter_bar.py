"""FilterBar: the gallery's search box, sort, thumbnail size and filters (model, board, favourites,
dates; behind "More": seed, LoRA, size, has mask)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.gallery.view import DEFAULT_THUMB, MAX_THUMB, MIN_THUMB

SORT_LABELS = [("Newest", "newest"), ("Oldest", "oldest"), ("Rating", "rating"), ("Seed", "seed"), ("Model", "model"), ("Random", "random")]
DATE_RANGES = ["Any time", "Today", "Last 7 days", "Last 30 days", "This year", "Custom range"]


class PopupCombo(QComboBox):
    """A combo box that says when its list is about to open (its items are read then, not on every refresh)."""

    about_to_popup = Signal()

    def showPopup(self) -> None:  # noqa: N802 - Qt's name
        self.about_to_popup.emit()
        super().showPopup()


class FilterBar(QWidget):
    """The rows above the grid. ``changed`` asks for the query to run again; typing in the
    search box emits it after a short pause (:meth:`cancel_pending` drops a pending one)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search_box = QLineEdit(placeholderText="Search prompts…", objectName="gallerySearch")
        self.search_box.setClearButtonEnabled(True)
        self.sort_combo = QComboBox(objectName="gallerySort")
        for label, value in SORT_LABELS:
            self.sort_combo.addItem(label, value)
        self.size_slider = QSlider(Qt.Horizontal, objectName="galleryThumbSize")
        self.size_slider.setRange(MIN_THUMB, MAX_THUMB)
        self.size_slider.setValue(DEFAULT_THUMB)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.setMaximumWidth(90)  # the panel puts it in its status row, beside the count
        self.model_combo = PopupCombo(objectName="galleryModelFilter")
        self.model_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(6)
        self.board_combo = QComboBox(objectName="galleryBoardFilter")
        self.board_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.board_combo.setMinimumContentsLength(5)
        self.fav_button = QToolButton(text="★", checkable=True, objectName="galleryFavFilter", toolTip="Favourites only")
        self.date_combo = QComboBox(objectName="galleryDateFilter")
        self.date_combo.addItems(DATE_RANGES)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7), calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.date_to = QDateEdit(today, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.boards_button = QToolButton(text="Boards", checkable=True, objectName="galleryBoardsToggle")
        self.boards_button.setToolTip("Show the board list (drop images on a board)")
        self.more_button = QToolButton(text="Filters ▾", checkable=True, objectName="galleryMoreFilters")
        self.more_button.setToolTip("Filter by seed, LoRA, size, mask")
        self.seed_edit = QLineEdit(placeholderText="Seed", objectName="gallerySeedFilter")
        self.seed_edit.setClearButtonEnabled(True)
        self.lora_edit = QLineEdit(placeholderText="LoRA name", objectName="galleryLoraFilter")
        self.lora_edit.setClearButtonEnabled(True)
        self.size_combo = PopupCombo(objectName="gallerySizeFilter")
        self.size_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.size_combo.setMinimumContentsLength(7)
        self.mask_check = QCheckBox("Has mask", objectName="galleryMaskFilter")
        for w in (self.seed_edit, self.lora_edit):
            w.setMinimumWidth(50)
            w.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

        row1 = QHBoxLayout()
        row1.addWidget(self.search_box, 1)
        row1.addWidget(self.sort_combo)
        row1.addWidget(self.more_button)
        row1.addWidget(self.boards_button)
        row2 = QHBoxLayout()
        row2.addWidget(self.fav_button)
        row2.addWidget(self.model_combo, 1)
        row2.addWidget(self.board_combo, 1)
        row2.addWidget(self.date_combo)
        more = QHBoxLayout()
        more.setContentsMargins(0, 0, 0, 0)
        more.addWidget(self.seed_edit, 1)
        more.addWidget(self.lora_edit, 1)
        more.addWidget(self.size_combo, 1)
        more.addWidget(self.mask_check)
        self.more_filters = QWidget(objectName="galleryMoreRow")
        self.more_filters.setLayout(more)
        self.more_filters.hide()
        row3 = QHBoxLayout()
        row3.addWidget(self.date_from)
        row3.addWidget(QLabel("to"))
        row3.addWidget(self.date_to)
        row3.addStretch(1)
        self.custom_dates = QWidget()
        self.custom_dates.setLayout(row3)
        row3.setContentsMargins(0, 0, 0, 0)
        self.custom_dates.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.more_filters)
        layout.addWidget(self.custom_dates)
        self.date_combo.setMinimumContentsLength(7)
        for combo in (self.model_combo, self.board_combo, self.size_combo, self.date_combo):
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)  # long names never widen the dock

        self._search_timer = QTimer(self, singleShot=True, interval=60)
        self._search_timer.timeout.connect(self.changed)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.returnPressed.connect(self.changed)
        for combo in (self.sort_combo, self.model_combo, self.board_combo, self.size_combo):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        for edit in (self.seed_edit, self.lora_edit):
            edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.mask_check.toggled.connect(lambda _on: self.changed.emit())
        self.more_button.toggled.connect(self.more_filters.setVisible)
        self.date_combo.currentIndexChanged.connect(self._date_range_changed)
        self.date_from.dateChanged.connect(lambda _d: self.changed.emit())
        self.date_to.dateChanged.connect(lambda _d: self.changed.emit())
        self.fav_button.toggled.connect(lambda _on: self.changed.emit())

    def cancel_pending(self) -> None:
        """Drop the search that typing scheduled (the query is running now)."""
        self._search_timer.stop()

    def fill_combos(
        self, models: list[str] | None, boards: list[str] | None, sizes: list[tuple[int, int]] | None = None
    ) -> None:
        """Refill the model, board and size filters (those given), keeping the current choice when it is still there."""

        def refill(combo: QComboBox, first: str, items: list[str]) -> None:
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(first, None)
            for item in items:
                combo.addItem(item, item)
            i = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(0, i))
            combo.blockSignals(False)

        if models is not None:
            refill(self.model_combo, "All models", models)
        if boards is not None:
            refill(self.board_combo, "All boards", boards)
        if sizes is not None:
            refill(self.size_combo, "Any size", [f"{w}x{h}" for w, h in sizes])

    def set_board(self, name: str | None) -> None:
        i = self.board_combo.findData(name) if name else 0
        self.board_combo.setCurrentIndex(max(0, i))

    def _date_range_changed(self, _index: int) -> None:
        self.custom_dates.setVisible(self.date_combo.currentText() == "Custom range")
        self.changed.emit()

    def _date_filter(self) -> tuple[Any, Any]:
        choice = self.date_combo.currentText()
        today = _dt.date.today()
        if choice == "Today":
            return today, today
        if choice == "Last 7 days":
            return today - _dt.timedelta(days=6), today
        if choice == "Last 30 days":
            return today - _dt.timedelta(days=29), today
        if choice == "This year":
            return _dt.date(today.year, 1, 1), today
        if choice == "Custom range":
            return self.date_from.date().toPython(), self.date_to.date().toPython()
        return None, None

    def current_filters(self) -> dict[str, Any]:
        """The filters as :meth:`studio.library.Library.query_ids` keywords (the sort and search text aside)."""
        date_from, date_to = self._date_filter()
        return {
            "model": self.model_combo.currentData(),
            "board": self.board_combo.currentData(),
            "favourite": True if self.fav_button.isChecked() else None,
            "date_from": date_from,
            "date_to": date_to,
            "seed": self._seed(),
            "lora": self.lora_edit.text().strip() or None,
            "size": self.size_combo.currentData(),
            "has_mask": True if self.mask_check.isChecked() else None,
        }

    def _seed(self) -> int | None:
        text = self.seed_edit.text().strip()
        ok = text.isdigit()
        self.seed_edit.setStyleSheet("" if ok or not text else "color: #e07060;")
        return int(text) if ok else None


__all__ = ["DATE_RANGES", "SORT_LABELS", "FilterBar"]
