"""Start-up benchmark (``studio bench --only startup``): cold start figures as ratios to ``import torch``.

Each round runs, one after the other on the same box, so load on the machine
hits all three alike:

* ``python -c "import torch"`` (the yardstick);
* a cold CLI run that makes one 20-step starter image (``studio generate``);
* the window (offscreen when there is no display): process start -> window
  shown -> engine ready (the model loaded), then close -> process gone.

Targets: CLI cold one image / import torch <= 2.0; window shown -> engine
ready / import torch <= 1.5; the process exits within 1 s of closing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from studio.ui.app import BENCH_CLOSE_AFTER_ENV, BENCH_READY_ENV, CLOSE_MARK, READY_MARK, STARTUP_MARK

Report = Callable[..., None]
PROMPT = "a large red star on the left, blue background"
CLI_TARGET = 2.0
WINDOW_TARGET = 1.5


def _env(home: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, STUDIO_HOME=home, **extra)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
    return time.time() - start, proc


def import_torch_s(home: str) -> float:
    return _timed([sys.executable, "-c", "import torch"], _env(home))[0]


def cli_one_image_s(home: str, model: str | None = None) -> float:
    with tempfile.TemporaryDirectory(prefix="studio-bench-out-") as out:
        cmd = [sys.executable, "-m", "studio", "generate", PROMPT, "--steps", "20", "--seed", "1", "--out", out]
        if model:
            cmd += ["--model", model]
        return _timed(cmd, _env(home))[0]


def window_marks(home: str, model: str | None = None, close_after: float | None = None) -> dict[str, float]:
    """Seconds from spawn to window shown, shown to engine ready, and close to process exit."""
    extra = {BENCH_READY_ENV: "1"}
    if close_after is not None:
        extra[BENCH_CLOSE_AFTER_ENV] = str(close_after)
    cmd = [sys.executable, "-m", "studio"] + (["--model", model] if model else [])
    start = time.time()
    proc = subprocess.run(cmd, env=_env(home, **extra), capture_output=True, text=True, timeout=600)
    ended = time.time()
    marks: dict[str, float] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (STARTUP_MARK, READY_MARK, CLOSE_MARK):
            marks.setdefault(parts[0], float(parts[1]))
    if proc.returncode != 0 or STARTUP_MARK not in marks or CLOSE_MARK not in marks:
        raise RuntimeError(f"the window did not start and close (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
    out = {"shown_s": marks[STARTUP_MARK] - start, "exit_after_close_s": ended - marks[CLOSE_MARK]}
    if READY_MARK in marks:
        out["shown_to_ready_s"] = marks[READY_MARK] - marks[STARTUP_MARK]
    return out


def run(report: Report, quick: bool = False, model: str | None = None) -> dict[str, float]:
    rounds = 1 if quick else 3
    torch_s, cli_s, shown, ready, exits, exits_loading = [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="studio-bench-home-") as home:
        for _ in range(rounds):
            torch_s.append(import_torch_s(home))
            cli_s.append(cli_one_image_s(home, model))
            marks = window_marks(home, model)
            shown.append(marks["shown_s"])
            ready.append(marks["shown_to_ready_s"])
            exits.append(marks["exit_after_close_s"])
            exits_loading.append(window_marks(home, model, close_after=0.2)["exit_after_close_s"])
    out = {
        "import_torch_s": statistics.median(torch_s),
        "cli_one_image_s": statistics.median(cli_s),
        "window_shown_s": statistics.median(shown),
        "shown_to_ready_s": statistics.median(ready),
        "exit_after_close_s": max(exits),
        "exit_after_close_while_loading_s": max(exits_loading),
    }
    out["cli_ratio"] = out["cli_one_image_s"] / out["import_torch_s"]
    out["window_ratio"] = out["shown_to_ready_s"] / out["import_torch_s"]
    report(f"python -c 'import torch' (median of {rounds})", out["import_torch_s"], "s")
    report("CLI cold: one 20-step starter image", out["cli_one_image_s"], "s")
    report(f"  ratio to import torch (target <= {CLI_TARGET})", out["cli_ratio"], "x")
    report("window: process start -> window shown", out["window_shown_s"], "s")
    report("window: shown -> engine ready (model loaded)", out["shown_to_ready_s"], "s")
    report(f"  ratio to import torch (target <= {WINDOW_TARGET})", out["window_ratio"], "x")
    report("window closed (engine ready) -> process exited, worst (target <= 1 s)", out["exit_after_close_s"], "s")
    report("window closed while loading -> process exited, worst", out["exit_after_close_while_loading_s"], "s")
    return out
