"""Live-painting benchmark (``studio bench --only live``): strokes at 60 Hz through the real window.

The real :class:`~studio.ui.main_window.MainWindow` (offscreen when no display is
set) on ``model`` (default: the bundled starter model), live mode on with the
model's live settings. For ``seconds`` a precise 60 Hz timer sends mouse events
to the canvas's viewport, as a hand would: strokes of 30 moves (half a second)
with a pause of 12 ticks between them. Measured:

* stroke -> updated image latency: for each mouse event that changed the paint
  layer, the time until the live view first painted a frame (a step preview or a
  result) computed from that state or a newer one; p50 and p95 (targets: p50 <=
  250 ms);
* updates per second: frames the live view painted, and finished results;
* stale jobs: running jobs cancelled at their next step, and waiting jobs dropped
  before they started, because a newer state came;
* max GUI-thread stall: the longest gap of a 5 ms heartbeat timer (target <= 16 ms), and the same
  with live off, strokes only: on a shared machine that is the noise floor the figure sits on.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable

from studio.bench.window_session import bench_window, wait

Report = Callable[..., None]
LATENCY_TARGET_MS = 250.0
STALL_TARGET_MS = 16.0
HZ = 60
STROKE_MOVES, PAUSE_TICKS = 30, 12


def _stroke_points(i: int, w: int, h: int, span: float = 0.8) -> list[tuple[float, float]]:
    """Stroke ``i``: a wave across ``span`` of the picture (centred), a different height and phase each time."""
    x0, top = w * (1 - span) / 2, h * (1 - span) / 2
    y0 = top + h * span * (0.15 + 0.7 * ((i * 0.37) % 1.0))
    return [(x0 + w * span * k / STROKE_MOVES, y0 + 0.12 * h * span * math.sin(k / 5.0 + i)) for k in range(STROKE_MOVES + 1)]


def _drive(window, seconds: float, span: float = 0.8) -> dict:
    """Send the strokes; returns the times of the events that changed the paint, and the heartbeat gaps."""
    from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtGui import QColor, QMouseEvent
    from PySide6.QtWidgets import QApplication

    canvas, paint = window.canvas, window.paint
    vp = canvas.viewport()
    size = canvas.image_size()
    colours = [QColor(220, 40, 40), QColor(40, 90, 220), QColor(250, 210, 40), QColor(40, 160, 70)]
    plan: list[tuple] = []  # one entry per tick: (kind, point) or None for a pause
    i = 0
    while len(plan) < seconds * HZ:
        pts = _stroke_points(i, size.width(), size.height(), span)
        plan.append(("press", pts[0], colours[i % len(colours)]))
        plan += [("move", p, None) for p in pts[1:-1]]
        plan.append(("release", pts[-1], None))
        plan += [None] * PAUSE_TICKS
        i += 1
    plan = plan[: int(seconds * HZ)]
    kinds = {"press": QEvent.MouseButtonPress, "move": QEvent.MouseMove, "release": QEvent.MouseButtonRelease}
    events: list[float] = []
    stalls: list[int] = []
    clock = QElapsedTimer()
    heartbeat = QTimer(interval=5)
    heartbeat.setTimerType(Qt.PreciseTimer)
    heartbeat.timeout.connect(lambda: stalls.append(clock.restart()))
    ticker = QTimer(interval=round(1000 / HZ))
    ticker.setTimerType(Qt.PreciseTimer)
    loop = QEventLoop()
    state = {"tick": 0}

    def tick() -> None:
        n = state["tick"]
        state["tick"] += 1
        if n >= len(plan):
            ticker.stop()
            loop.quit()
            return
        step = plan[n]
        if step is None:
            return
        kind, (x, y), colour = step
        if colour is not None:
            paint.settings.set(colour=colour)
        before = paint.layer.generation
        pos = QPointF(canvas.mapFromScene(QPointF(x, y)))
        button = Qt.NoButton if kind == "move" else Qt.LeftButton
        held = Qt.NoButton if kind == "release" else Qt.LeftButton
        t = time.perf_counter()
        QApplication.sendEvent(vp, QMouseEvent(kinds[kind], pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, held, Qt.NoModifier))
        if paint.layer.generation != before:
            events.append(t)

    ticker.timeout.connect(tick)
    clock.start()
    heartbeat.start()
    ticker.start()
    loop.exec()
    heartbeat.stop()
    return {"events": events, "stalls": stalls}


def _latencies(events: list[float], frames: list[tuple[float, float]]) -> tuple[list[float], int]:
    """Per event, ms until the first painted frame made from its state or a newer one; and the unserved count."""
    frames = sorted(frames)
    out, unserved = [], 0
    for t in events:
        served = next((painted for painted, stamp in frames if stamp >= t), None)
        if served is None:
            unserved += 1
        else:
            out.append((served - t) * 1000)
    return out, unserved


def live_figures(model: str | None = None, seconds: float = 10.0, picture: int = 0) -> dict[str, float]:
    """The figures for ``seconds`` of strokes; ``picture`` > 0 paints on a white square of that size
    (bigger than the native size: small changes become region-only updates) instead of the native size."""
    from studio.ui.main_window import STARTER_SAMPLE_PROMPT

    with bench_window(model) as (_app, window):
        window.resize(1400, 900)
        window.show()
        window.start_engine()
        if not wait(lambda: window.model_state[0] in ("error", "none") or window.model_info is not None, 300):
            raise RuntimeError("the model did not load within 5 minutes")
        if window.model_info is None:
            raise RuntimeError(window.model_state[1])
        window.prompt_editor.set_text(STARTER_SAMPLE_PROMPT if model is None else "a landscape painting")
        live = window.live
        span = 0.8 if not picture else 0.8 * 128 / picture  # a big picture: strokes in one corner of it
        if picture:
            import numpy as np

            from studio.ui.images import to_qimage

            window.canvas.set_image(to_qimage(np.full((picture, picture, 3), 255, np.uint8)))
        live.set_enabled(True)
        if not wait(lambda: live.result is not None and not live.live_jobs(), 300):  # warm-up: first-run costs
            raise RuntimeError("the first live update did not finish within 5 minutes")
        live.set_enabled(False)  # the same strokes with live off: the GUI stalls this box has anyway
        baseline = _drive(window, min(3.0, seconds / 3), span)
        live.set_enabled(True)
        wait(lambda: not live.live_jobs(), 300)
        live.frames.clear()
        results_before, cancelled_before, dropped_before = live.results, live.stale_cancelled, live.stale_dropped
        regions_before, submitted_before = live.region_jobs, live.submitted
        started = time.perf_counter()
        driven = _drive(window, seconds, span)
        ended = time.perf_counter()
        results = live.results - results_before
        wait(lambda: not live.live_jobs(), 120)
        lat, unserved = _latencies(driven["events"], live.frames)
        frames_in_run = sum(1 for painted, _s in live.frames if started <= painted <= ended)
        settings = live.settings
        figures = {
            "events": float(len(driven["events"])),
            "latency_p50_ms": statistics.median(lat) if lat else float("nan"),
            "latency_p95_ms": sorted(lat)[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
            "unserved_events": float(unserved),
            "frames_per_s": frames_in_run / (ended - started),
            "results_per_s": results / (ended - started),
            "stale_cancelled": float(live.stale_cancelled - cancelled_before),
            "stale_dropped": float(live.stale_dropped - dropped_before),
            "max_stall_ms": float(max(driven["stalls"])) if driven["stalls"] else float("nan"),
            "p99_stall_ms": float(sorted(driven["stalls"])[int(0.99 * (len(driven["stalls"]) - 1))]) if driven["stalls"] else float("nan"),
            "max_stall_live_off_ms": float(max(baseline["stalls"])) if baseline["stalls"] else float("nan"),
            "region_jobs": float(live.region_jobs - regions_before),
            "jobs": float(live.submitted - submitted_before),
            "image": float(window.canvas.image_size().width()),
            "settings": settings.describe(),
        }
        live.set_enabled(False)
    return figures


def run(report: Report, quick: bool = False, model: str | None = None) -> dict:
    seconds = 3.0 if quick else 10.0
    f = live_figures(model, seconds)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report(f"live settings: {f['settings']}; {int(f['image'])} px picture; load average {load:.1f} on {os.cpu_count()} CPUs", None)
    report(f"mouse events that changed the paint ({HZ} Hz for {seconds:g} s)", f["events"], "events")
    report(f"stroke -> updated image latency p50 (target <= {LATENCY_TARGET_MS:g} ms)", f["latency_p50_ms"], "ms")
    report("stroke -> updated image latency p95", f["latency_p95_ms"], "ms")
    report("events never served (none should be)", f["unserved_events"], "events")
    report("live view updates per second (previews and results)", f["frames_per_s"], "frames/s")
    report("finished live results per second", f["results_per_s"], "results/s")
    report("stale jobs cancelled while running (at their next step)", f["stale_cancelled"], "jobs")
    report("stale jobs dropped before they started", f["stale_dropped"], "jobs")
    report(f"max GUI-thread stall (target <= {STALL_TARGET_MS:g} ms)", f["max_stall_ms"], "ms")
    report("99th percentile heartbeat gap (5 ms timer)", f["p99_stall_ms"], "ms")
    report("max GUI-thread stall, same strokes with live off (the box's own noise)", f["max_stall_live_off_ms"], "ms")
    if quick:
        return f
    side = 3 * int(f["image"])  # 3x the native size, strokes in a native-sized part: region-only updates
    r = live_figures(model, seconds, picture=side)
    report(f"region-only updates on a {side}x{side} picture: {int(r['region_jobs'])} of {int(r['jobs'])} jobs", None)
    report("  stroke -> updated image latency p50", r["latency_p50_ms"], "ms")
    report("  stroke -> updated image latency p95", r["latency_p95_ms"], "ms")
    report("  live view updates per second", r["frames_per_s"], "frames/s")
    report("  max GUI-thread stall (live off on the same strokes)", r["max_stall_ms"], f"ms ({r['max_stall_live_off_ms']:g} ms)")
    f["region"] = r
    return f
