"""The settings dialog's engine row: "this computer" or "a server (URL, token)", with a connection test.

The test runs on a short-lived thread (a slow or absent server must not
freeze the dialog) and reports one line under the fields.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

CHOICES = (("local", "this computer"), ("server", "a server (URL, token)"))


def probe_server(url: str, token: str) -> str:
    """One line: the server's answer, or why it could not be used."""
    from studio.engine.errors import StudioError
    from studio.server.client import RemoteEngine

    try:
        return RemoteEngine(url, token or None, timeout=5.0).check()
    except StudioError as exc:
        return f"Not connected: {exc}"


class EngineChoice(QWidget):
    def __init__(self, engine: str, url: str, token: str, parent=None):
        super().__init__(parent)
        self.kind = QComboBox(objectName="engineKind")
        for key, text in CHOICES:
            self.kind.addItem(text, key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(engine)))
        self.url = QLineEdit(url, objectName="serverUrl", placeholderText="http://gpu-box:7860")
        self.token = QLineEdit(token, objectName="serverToken", placeholderText="token (empty on loopback)")
        self.token.setEchoMode(QLineEdit.Password)
        self.test = QPushButton("Test connection", objectName="testConnection")
        self.result = QLabel(objectName="connectionResult", wordWrap=True)
        self.url.setMinimumWidth(280)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.test)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        layout.addLayout(row)
        layout.addWidget(self.token)
        layout.addWidget(self.result)
        self.kind.currentIndexChanged.connect(self._sync)
        self.test.clicked.connect(self.start_test)
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._poll = QTimer(self, interval=50)
        self._poll.timeout.connect(self._check_done)
        self._sync()

    def engine(self) -> str:
        return self.kind.currentData()

    def _sync(self) -> None:
        on = self.engine() == "server"
        for w in (self.url, self.token, self.test):
            w.setEnabled(on)
        if not on:
            self.result.clear()
        self.result.setVisible(on)

    def start_test(self) -> None:
        if self._future is not None:
            return
        self.result.setText("Connecting…")
        self.test.setEnabled(False)
        self._pool = self._pool or ThreadPoolExecutor(1, thread_name_prefix="connection-test")
        self._future = self._pool.submit(probe_server, self.url.text().strip(), self.token.text().strip())
        self._poll.start()

    def _check_done(self) -> None:
        if self._future is None or not self._future.done():
            return
        self._poll.stop()
        self.result.setText(self._future.result())
        self.result.setMinimumHeight(self.result.heightForWidth(max(1, self.result.width())))
        self.window().adjustSize()  # room for a wrapped line or two
        self._future = None
        self.test.setEnabled(self.engine() == "server")

    def testing(self) -> bool:
        return self._future is not None
