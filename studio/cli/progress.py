"""A one-line progress bar on stderr for headless generation."""

from __future__ import annotations

import sys
from typing import TextIO

from studio.engine.events import Progress, Status


class TerminalProgress:
    def __init__(self, stream: TextIO | None = None, width: int = 28):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._open_line = False

    def __call__(self, event) -> None:
        if isinstance(event, Status):
            self._end_line()
            print(event.message, file=self.stream, flush=True)
        elif isinstance(event, Progress):
            self._progress(event)

    def _progress(self, p: Progress) -> None:
        done = int(self.width * p.step / max(1, p.total))
        bar = "#" * done + "." * (self.width - done)
        image = f"image {p.image_index + 1}/{p.batch_size} " if p.batch_size > 1 else ""
        line = f"{image}[{bar}] {p.step}/{p.total}  {p.elapsed:5.1f}s  ETA {p.eta:4.1f}s"
        if self.tty:
            print("\r" + line, end="", file=self.stream, flush=True)
            self._open_line = True
        elif p.step == p.total:
            print(line, file=self.stream, flush=True)

    def _end_line(self) -> None:
        if self._open_line:
            print(file=self.stream, flush=True)
            self._open_line = False

    def close(self) -> None:
        self._end_line()
