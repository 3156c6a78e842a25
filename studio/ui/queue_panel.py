"""The job queue panel: the running job (cancel), waiting jobs (drag or buttons to reorder, remove)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QToolButton, QVBoxLayout, QWidget

from studio.ui.job_queue import JobQueue
from studio.ui.theme import icon

JOB_ID = Qt.UserRole


class _JobList(QListWidget):
    reordered = Signal(list)  # waiting job ids in their new order

    def dropEvent(self, event) -> None:
        super().dropEvent(event)
        self.reordered.emit([self.item(i).data(JOB_ID) for i in range(self.count())])


class QueuePanel(QWidget):
    cancel_requested = Signal()

    def __init__(self, queue: JobQueue, parent=None):
        super().__init__(parent)
        self.queue = queue
        self.running_label = QLabel("Idle", objectName="runningJob")
        self.running_label.setWordWrap(True)
        self.cancel_button = QToolButton(icon=icon("cancel"), toolTip="Cancel the running job (Esc)")
        self.cancel_button.setObjectName("cancelJob")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.list = _JobList(objectName="jobList")
        self.list.setDragDropMode(QAbstractItemView.InternalMove)
        self.list.setDefaultDropAction(Qt.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.reordered.connect(self.queue.reorder)
        self.up_button = QToolButton(icon=icon("up"), toolTip="Move up")
        self.down_button = QToolButton(icon=icon("down"), toolTip="Move down")
        self.remove_button = QToolButton(icon=icon("remove"), toolTip="Remove from the queue (Delete)")
        self.up_button.clicked.connect(lambda: self._move_selected(-1))
        self.down_button.clicked.connect(lambda: self._move_selected(+1))
        self.remove_button.clicked.connect(self.remove_selected)

        running = QHBoxLayout()
        running.addWidget(self.running_label, 1)
        running.addWidget(self.cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Waiting"))
        buttons.addStretch(1)
        for b in (self.up_button, self.down_button, self.remove_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(running)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        self.refresh()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Delete:
            self.remove_selected()
            return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        """Show the queue as it is now (called on the GUI thread after every change)."""
        running = self.queue.running()
        self.running_label.setText(f"Running: {running.summary()}" if running else "Idle")
        self.cancel_button.setEnabled(running is not None)
        selected = self._selected_id()
        self.list.clear()
        for i, job in enumerate(self.queue.waiting()):
            item = QListWidgetItem(f"{i + 1}. {job.summary()}")
            item.setData(JOB_ID, job.id)
            item.setToolTip(job.request.prompt)
            self.list.addItem(item)
            if job.id == selected:
                self.list.setCurrentItem(item)

    def _selected_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(JOB_ID) if item is not None else None

    def _move_selected(self, step: int) -> None:
        job_id = self._selected_id()
        if job_id is None:
            return
        self.queue.move(job_id, self.list.currentRow() + step)

    def remove_selected(self) -> None:
        job_id = self._selected_id()
        if job_id is not None:
            self.queue.remove(job_id)
