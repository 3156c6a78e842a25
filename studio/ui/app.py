"""Start the app: QApplication + qasync event loop, dark theme, the window, then the engine.

The window is shown before torch or diffusers are imported: the worker thread
imports them and loads the model afterwards, and the status bar says
"loading model…" until it is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

STARTUP_MARK = "STUDIO_WINDOW_SHOWN"
BENCH_STARTUP_ENV = "STUDIO_BENCH_STARTUP"  # set: print STARTUP_MARK when the window is shown, then quit
BENCH_READY_ENV = "STUDIO_BENCH_READY"  # set: print READY_MARK when the engine is ready, then CLOSE_MARK and quit
BENCH_CLOSE_AFTER_ENV = "STUDIO_BENCH_CLOSE_AFTER"  # with BENCH_READY_ENV: close this many seconds after showing
READY_MARK = "STUDIO_ENGINE_READY"
CLOSE_MARK = "STUDIO_WINDOW_CLOSING"
QUIT_WAIT_MS = 500  # closing waits this long for the generator thread, then the process exits


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="studio", description="Studio: a desktop AI art studio.")
    parser.add_argument("--model", help="a diffusers folder or .safetensors file to open instead of the starter model")
    parser.add_argument("--bench-startup", action="store_true", help=argparse.SUPPRESS)
    args, _qt_args = parser.parse_known_args(argv[1:])
    return args


def run_app(argv: list[str] | None = None, model: str | None = None) -> int:
    """Run the studio window until it is closed; returns the exit code.

    ``model`` (or ``--model`` in ``argv``) opens a given model instead of the
    last used one / the bundled starter model.
    """
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv)
    model = model or args.model

    from studio.ui.preflight import check

    problem = check()
    if problem is not None:  # Qt would abort with its own page of text
        print(f"studio: error: {problem.message}", file=sys.stderr)
        return 1

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv[:1])
    app.setApplicationName("Studio")
    app.setOrganizationName("studio")
    app.setDesktopFileName("studio")

    import qasync

    from studio import paths
    from studio.settings import Settings, apply_data_folder
    from studio.ui.main_window import MainWindow
    from studio.ui.theme import apply_dark_theme

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    apply_dark_theme(app)

    settings_path = paths.settings_path()
    settings = Settings.load(settings_path)
    apply_data_folder(settings)
    window = MainWindow(settings, model=model, settings_path=settings_path)
    window.show()
    app.processEvents()

    if args.bench_startup or os.environ.get(BENCH_STARTUP_ENV) or os.environ.get(BENCH_READY_ENV):
        print(f"{STARTUP_MARK} {time.time():.6f}", flush=True)  # the benchmark's child: the window is on screen
    if args.bench_startup or os.environ.get(BENCH_STARTUP_ENV):
        QTimer.singleShot(0, window.close)
    else:
        QTimer.singleShot(0, window.start_engine)
    if os.environ.get(BENCH_READY_ENV):
        _report_engine_ready(window)
    window.shutdown_timeout_ms = QUIT_WAIT_MS
    app.lastWindowClosed.connect(loop.stop)
    with loop:
        loop.run_forever()
    # Settings are saved, the running job was cancelled (its save finished), the gallery and the
    # worker's library are closed, and every file was written atomically. What is left is either a
    # generator thread still importing torch / loading weights, or the interpreter's slow teardown
    # of torch and diffusers (1-2 s): leave now instead of waiting for either.
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _report_engine_ready(window) -> None:
    """Benchmark child: print when the engine is ready, then close the window (and say when)."""
    from PySide6.QtCore import QTimer

    said: set[str] = set()

    def on_state(state: str, _message: str) -> None:
        if state in ("ready", "error", "none") and READY_MARK not in said:
            said.add(READY_MARK)
            print(f"{READY_MARK} {time.time():.6f} {state}", flush=True)
            QTimer.singleShot(0, close)

    def close() -> None:
        if CLOSE_MARK in said:
            return
        said.add(CLOSE_MARK)
        print(f"{CLOSE_MARK} {time.time():.6f}", flush=True)
        window.close()

    window.model_state_changed.connect(on_state)
    close_after = os.environ.get(BENCH_CLOSE_AFTER_ENV)
    if close_after:  # close while the engine is still loading
        QTimer.singleShot(int(float(close_after) * 1000), close)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_app(sys.argv))
