"""UI benchmark (``studio bench --only ui``): start-up time, GUI stalls, preview-to-screen latency.

* start-up: a fresh ``python -m studio`` process until its window is shown
  (the child prints the moment and exits; target <= 1.5 s);
* max GUI-thread stall while a generation runs: a 5 ms QTimer heartbeat on the
  GUI thread, the longest gap between beats (target <= 16 ms; tests fail > 100 ms);
* preview-to-screen latency: from the engine reporting a step preview on the
  worker thread to the canvas having painted it.

The in-process figures drive the real window and engine (offscreen when no
display is set) on ``model`` (default: the bundled starter model).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from studio.bench.window_session import bench_window, wait
from studio.ui.app import BENCH_STARTUP_ENV, STARTUP_MARK

Report = Callable[..., None]
STARTUP_TARGET_S = 1.5
STALL_TARGET_MS = 16.0


def _child_env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env["STUDIO_HOME"] = home
    env[BENCH_STARTUP_ENV] = "1"
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def startup_time(repeats: int = 3) -> list[float]:
    """Seconds from spawning ``python -m studio`` to its window being shown, per run."""
    times = []
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as home:
        for _ in range(repeats):
            start = time.time()
            proc = subprocess.run(
                [sys.executable, "-m", "studio"],
                env=_child_env(home),
                capture_output=True,
                text=True,
                timeout=120,
            )
            marks = [line for line in proc.stdout.splitlines() if line.startswith(STARTUP_MARK)]
            if proc.returncode != 0 or not marks:
                raise RuntimeError(f"the app did not start (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
            times.append(float(marks[-1].split()[1]) - start)
    return times


def generation_figures(model: str | None = None, steps: int = 20, repeats: int = 2) -> dict[str, float]:
    """Max GUI stall (ms) and preview-to-screen latency (ms) over ``repeats`` generations in the real window."""
    from PySide6.QtCore import QElapsedTimer, QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    with bench_window(model) as (app, window):
        window.show()
        window.start_engine()
        if not wait(lambda: window.model_state[0] in ("ready", "error", "none"), 300):
            raise RuntimeError("the model did not load within 5 minutes")
        if window.model_state[0] != "ready":
            raise RuntimeError(window.model_state[1])
        window.prompt_editor.set_text("a large red star on the left and a small blue circle at the bottom right")
        window.params.steps.setValue(steps)
        window.params.random_seed.setChecked(False)
        window.params.seed.setText("1")
        stalls: list[int] = []
        clock = QElapsedTimer()
        heartbeat = QTimer(interval=5)
        heartbeat.timeout.connect(lambda: stalls.append(clock.restart()))
        done: list[int] = []
        window.images_shown.connect(done.append)
        window.generate()  # warm-up: first-run costs (preview fit, caches) are not GUI stalls
        wait(lambda: len(done) == 1, 600)
        window.preview_latencies.clear()
        # windows closed before this run are deleted now, not during the measurement
        QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        wait(lambda: False, 0.05)
        clock.start()
        heartbeat.start()
        for i in range(repeats):
            window.generate()
            if not wait(lambda i=i: len(done) == i + 2, 600):
                raise RuntimeError("the generation did not finish within 10 minutes")
        heartbeat.stop()
        latencies = [x * 1000 for x in window.preview_latencies]
    if not latencies:
        raise RuntimeError("no preview reached the screen (previews off in the settings?)")
    return {
        "max_stall_ms": float(max(stalls)),
        "p99_stall_ms": float(sorted(stalls)[int(0.99 * (len(stalls) - 1))]),
        "beats": float(len(stalls)),
        "preview_latency_median_ms": statistics.median(latencies),
        "preview_latency_max_ms": max(latencies),
        "previews": float(len(latencies)),
    }


def run(report: Report, quick: bool = False, model: str | None = None) -> dict[str, float]:
    """Measure and report every UI figure; returns them by name."""
    out: dict[str, float] = {}
    times = startup_time(1 if quick else 3)
    out["startup_s"] = statistics.median(times)
    report(f"process start to window shown (median of {len(times)}; target <= {STARTUP_TARGET_S} s)", out["startup_s"], "s")
    try:
        figures = generation_figures(model, steps=8 if quick else 20, repeats=1 if quick else 2)
    except Exception as exc:  # e.g. no model installed: the start-up figure still stands
        report(f"GUI figures skipped: {exc}", None)
        return out
    out.update(figures)
    report(f"max GUI-thread stall during generation (target <= {STALL_TARGET_MS:g} ms)", figures["max_stall_ms"], "ms")
    report("99th percentile heartbeat gap (5 ms timer)", figures["p99_stall_ms"], "ms")
    report("preview-to-screen latency, median", figures["preview_latency_median_ms"], "ms")
    report("preview-to-screen latency, max", figures["preview_latency_max_ms"], "ms")
    return out
