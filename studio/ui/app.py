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

    if args.bench_startup or os.environ.get(BENCH_STARTUP_ENV):
        # the benchmark's child: report when the window is on screen, then leave
        print(f"{STARTUP_MARK} {time.time():.6f}", flush=True)
        QTimer.singleShot(0, window.close)
    else:
        QTimer.singleShot(0, window.start_engine)
    app.lastWindowClosed.connect(loop.stop)
    with loop:
        loop.run_forever()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_app(sys.argv))
