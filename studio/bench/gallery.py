"""Gallery view benchmark at 20,000 images: open, first paint, first screen of thumbnails, search
and scroll frames, each also as a ratio to its target (open <= 300 ms, search <= 50 ms, frame <= 16 ms;
a ratio <= 1 meets it).

``run(report)`` is what ``studio bench`` calls; ``report(name, value, unit)``
receives each figure (milliseconds). The library is built by
:func:`studio.bench.library.build_library` (real PNGs, real reconcile).
Works on any Qt platform, including ``offscreen``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QEvent, QObject
from PySide6.QtWidgets import QApplication

from studio.library import Library
from studio.bench.library import QUERIES, build_library

Report = Callable[[str, float, str], None]
TARGETS = {"open": 300.0, "search": 50.0, "frame": 16.0}  # ms
SEARCHES = QUERIES + ["星星", "红色 fox", ""]  # CJK words go through the substring path


class _PaintWatch(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Paint:
            self.painted += 1
        return False


def _app() -> QApplication:
    app = QApplication.instance()
    return app if app is not None else QApplication([])


def _open_and_paint(lib: Library, size=(900, 1000)):
    from studio.ui.gallery.panel import GalleryPanel

    app = _app()
    watch = _PaintWatch()
    t0 = time.perf_counter()
    panel = GalleryPanel(lib, reconcile_on_start=False)
    panel.open_seconds = time.perf_counter() - t0  # built, its query run: ready to show
    panel.view.viewport().installEventFilter(watch)
    panel.resize(*size)
    panel.show()
    deadline = time.perf_counter() + 30
    while watch.painted == 0 and time.perf_counter() < deadline:
        app.processEvents()
    first_paint = time.perf_counter() - t0
    return panel, first_paint, t0, watch


def _wait_thumbnails(panel, t0: float, timeout: float = 120.0) -> float:
    from studio.ui.gallery.model import StateRole

    app = _app()
    rows = list(panel.view.visible_rows())
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        app.processEvents()
        if all(panel.model.index(r).data(StateRole) != "loading" for r in rows):
            break
        time.sleep(0.002)
    return time.perf_counter() - t0


def measure(lib: Library, report: Report, *, frames: int = 120) -> dict[str, float]:
    results: dict[str, float] = {}

    def put(name: str, value: float, unit: str = "ms") -> None:
        results[name] = value
        report(name, value, unit)

    app = _app()
    # cold: no thumbnails on disk yet
    panel, first_paint, t0, watch = _open_and_paint(lib)
    put("gallery.open_first_paint_cold", first_paint * 1000)
    put("gallery.first_screen_thumbnails_cold", _wait_thumbnails(panel, t0) * 1000)
    visible = len(panel.view.visible_rows())
    put("gallery.cells_on_first_screen", float(visible), "cells")
    panel.shutdown()
    panel.deleteLater()
    app.processEvents()

    # warm: thumbnails cached on disk (a normal start)
    panel, first_paint, t0, watch = _open_and_paint(lib)
    put("gallery.open", panel.open_seconds * 1000)
    put("gallery.open_vs_target", panel.open_seconds * 1000 / TARGETS["open"], "x target")
    put("gallery.first_paint", first_paint * 1000)
    put("gallery.first_screen_thumbnails_warm", _wait_thumbnails(panel, t0) * 1000)
    app.processEvents()  # the deferred model/size lists

    # search: text in the box -> query -> model reset -> repaint
    times = []
    for q in SEARCHES:
        t = QElapsedTimer()
        t.start()
        panel.search_box.setText(q)
        panel.apply_filters()
        panel.view.viewport().repaint()
        times.append(t.nsecsElapsed() / 1e6)
    put("gallery.search_p50", statistics.median(times))
    put("gallery.search_max", max(times))
    put("gallery.search_cjk", times[len(QUERIES)])
    put("gallery.search_p50_vs_target", statistics.median(times) / TARGETS["search"], "x target")

    # scrolling: one synchronous repaint per frame, thumbnails arriving meanwhile
    bar = panel.view.verticalScrollBar()
    step = max(1, panel.view.gridSize().height() // 3)
    frame_times = []
    for i in range(frames):
        app.processEvents()  # deliver thumbnails that finished
        t = QElapsedTimer()
        t.start()
        bar.setValue(min(bar.maximum(), (i + 1) * step * 4))
        panel.view.viewport().repaint()
        frame_times.append(t.nsecsElapsed() / 1e6)
    frame_times.sort()
    put("gallery.scroll_frame_p50", statistics.median(frame_times))
    put("gallery.scroll_frame_p95", frame_times[int(len(frame_times) * 0.95) - 1])
    put("gallery.scroll_frame_max", frame_times[-1])
    put("gallery.scroll_frame_p95_vs_target", frame_times[int(len(frame_times) * 0.95) - 1] / TARGETS["frame"], "x target")
    put("gallery.thumbnails_loaded", float(panel.model.loaded_count()), "thumbnails")
    panel.shutdown()
    panel.deleteLater()
    app.processEvents()
    return results


def run(report: Report, *, n: int = 20_000, root: Path | None = None) -> dict[str, float]:
    """Build an N-image library (or use ``root`` when it holds one) and measure the gallery view."""
    with tempfile.TemporaryDirectory(prefix="studio-gallery-bench-") as tmp:
        base = Path(root) if root is not None else Path(tmp)
        if (base / Library.DB_NAME).exists():
            lib = Library.open(base)
        else:
            lib, seconds = build_library(base, n)
            report("gallery.build_library", seconds, "s")
        try:
            t0 = time.perf_counter()
            lib.reconcile()
            report("gallery.reconcile_startup", (time.perf_counter() - t0) * 1000, "ms")
            report("gallery.images", float(lib.count()), "images")
            return measure(lib, report)
        finally:
            lib.close()


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    root = Path(sys.argv[2]) if len(sys.argv) > 2 else None  # keep the library between runs
    run(lambda name, value, unit: print(f"{name:40} {value:10.2f} {unit}", flush=True), n=count, root=root)
