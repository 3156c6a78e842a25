"""The job queue panel: the running job (cancel), waiting jobs (drag or buttons to reorder, remove).

Rows stay put under the pointer: while it is over the list, a job that starts or ends keeps its
row (marked running or done) instead of the rows below shifting up, so a click meant for one job
never lands on another; the list tidies up once the pointer leaves. Removing a job can be undone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QToolButton, QVBoxLayout, QWidget

from studio.ui.job_queue import Job, JobQueue
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
        self.undo_button = QToolButton(icon=icon("undo"), toolTip="Put the removed job back")
        self.undo_button.setObjectName("undoRemoveJob")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_remove)
        self._removed: list[tuple[Job, int]] = []  # (job, its place) of removed jobs, for undo
        self._settled: list[int] = []  # job ids in the order their rows were last drawn
        self._summaries: dict[int, str] = {}
        self._restored: set[int] = set()
        self.list.installEventFilter(self)

        running = QHBoxLayout()
        running.addWidget(self.running_label, 1)
        running.addWidget(self.cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Waiting"))
        buttons.addStretch(1)
        for b in (self.up_button, self.down_button, self.remove_button, self.undo_button):
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

    def eventFilter(self, obj, event) -> bool:
        if obj is self.list and event.type() == QEvent.Leave:
            self.refresh()  # the pointer left: drop the rows of jobs that started or ended
        return False

    def refresh(self) -> None:
        """Show the queue as it is now (called on the GUI thread after every change)."""
        running = self.queue.running()
        self.running_label.setText(f"Running: {running.summary()}" if running else "Idle")
        self.cancel_button.setEnabled(running is not None)
        selected = self._selected_id()
        waiting = self.queue.waiting()
        by_id = {job.id: job for job in waiting}
        for job in waiting:
            self._summaries[job.id] = job.summary()
        if self.list.underMouse():
            # every row stays where it is: a waiting row shows the next waiting job (in queue
            # order), a job that started or ended keeps its row, marked and inert
            slots = list(self._settled)
        else:
            slots = []
        order = iter([job.id for job in waiting])
        ids: list[int] = []
        for job_id in slots:
            ids.append(next(order, None) if job_id in by_id or job_id in self._restored else job_id)
        ids = [i for i in ids if i is not None] + list(order)
        self._restored.clear()
        self.list.clear()
        n = 0
        for job_id in ids:
            if job_id in by_id:
                n += 1
                item = QListWidgetItem(f"{n}. {self._summaries[job_id]}")
                item.setToolTip(by_id[job_id].request.prompt)
            else:
                mark = "▶ running" if running is not None and running.id == job_id else "✓ left the queue"
                item = QListWidgetItem(f"{mark}: {self._summaries.get(job_id, '')}")
                item.setFlags(Qt.NoItemFlags)  # inert: nothing to select, move or remove there
            item.setData(JOB_ID, job_id)
            self.list.addItem(item)
            if job_id == selected and job_id in by_id:
                self.list.setCurrentItem(item)
        self._settled = ids
        for gone in set(self._summaries) - set(ids) - set(by_id):
            del self._summaries[gone]

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
        if job_id is None:
            return
        waiting = self.queue.waiting()
        index = next((i for i, job in enumerate(waiting) if job.id == job_id), None)
        if index is not None and self.queue.remove(job_id):
            self._removed.append((waiting[index], index))
            self.undo_button.setEnabled(True)
            self.undo_button.setToolTip(f"Put back: {waiting[index].summary()}")

    def undo_remove(self) -> None:
        """Put the last removed job back where it was."""
        if not self._removed:
            return
        job, index = self._removed.pop()
        self._restored.add(job.id)
        self.queue.restore(job, index)
        self.undo_button.setEnabled(bool(self._removed))
