"""``studio bench --only server``: what the server costs over the in-process engine, on this box.

The server runs as its own process (``studio serve`` on a loopback port), as
a user would run it; the client is this process. Figures:

* per-step time through the server vs in-process (previews every step), and
  the ratio; the pace is taken between the first and the last step's event,
  so it is the denoising loop's own cost; runs alternate between the two, so
  the load of a shared box hits both alike;
* a whole job (upload, submit, fetch the PNG) vs in-process;
* preview frame delivery: server send to client receive, p50/p95;
* where a cancel lands, in steps after the client asked.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one(engine, request) -> tuple[float, float]:
    """(seconds per step, seconds for the job) of one run."""
    from studio.engine.events import Progress

    stamps: list[float] = []

    def on_event(event):
        if isinstance(event, Progress):
            stamps.append(time.perf_counter())

    start = time.perf_counter()
    engine.generate(request, on_event=on_event)
    job = time.perf_counter() - start
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), job


def _paces(local, remote, request, runs: int):
    """Medians of (step, job) for both engines; runs alternate, so the box's load hits both alike."""
    here, there = [], []
    for i in range(runs):
        req = request.replace(seed=request.seed + i)
        here.append(_one(local, req))
        there.append(_one(remote, req))
    med = lambda rows, k: float(np.median([r[k] for r in rows]))  # noqa: E731
    return med(here, 0), med(here, 1), med(there, 0), med(there, 1)


def _start_server(model: str | None, token: str):
    port = _free_port()
    cmd = [sys.executable, "-m", "studio", "serve", "--port", str(port), "--token", token]
    if model:
        cmd += ["--model", model]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _wait_up(remote, proc, timeout: float = 180.0) -> None:
    from studio.server.client import ServerError

    deadline = time.monotonic() + timeout
    while True:
        try:
            remote.check()
            return
        except ServerError:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {(proc.stderr.read() or '').strip()[-400:]}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _cancel_steps(remote, request) -> int:
    from studio.engine.errors import GenerationCancelled
    from studio.engine.events import CancelFlag, Progress

    cancel = CancelFlag()
    asked = {}

    def on_event(event):
        if isinstance(event, Progress) and event.step == 3 and not cancel.is_set():
            asked["step"] = event.step
            cancel.set()

    try:
        remote.generate(request.replace(steps=max(request.steps, 40)), on_event=on_event, cancel=cancel)
    except GenerationCancelled as exc:
        return exc.step - asked["step"]
    return -1


def run(report, quick: bool = False, model: str | None = None) -> None:
    from studio.engine.generator import Engine, EngineSettings
    from studio.engine.request import GenerationRequest
    from studio.server.client import RemoteEngine

    steps, runs = (8, 2) if quick else (20, 5)
    request = GenerationRequest(prompt="a red circle on the left", model=model, steps=steps, seed=1)
    local = Engine(EngineSettings(preview_every=1))
    info = local.load(model)
    local.generate(request.replace(steps=2))  # warm-up
    token = os.urandom(16).hex()
    proc, url = _start_server(model, token)
    try:
        remote = RemoteEngine(url, token)
        _wait_up(remote, proc)
        remote.load(model)
        remote.generate(request.replace(steps=2))  # warm-up
        remote.frame_latencies.clear()
        step_here, job_here, step_there, job_there = _paces(local, remote, request, runs)
        latencies = np.array(remote.frame_latencies) * 1000.0
        late = _cancel_steps(remote, request)
        remote.close()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    report(f"model {info.name}, {info.native_width}x{info.native_height}, {steps} steps, preview every step, "
           f"server in its own process on loopback", None)
    report("per step, in-process", step_here * 1000, "ms")
    report("per step, through the server", step_there * 1000, "ms")
    report("per-step ratio server / in-process", step_there / step_here, "x")
    report("whole job, in-process", job_here, "s")
    report("whole job, through the server (upload, submit, fetch PNG)", job_there, "s")
    report("whole-job ratio server / in-process", job_there / job_here, "x")
    report("preview frame delivery p50", float(np.percentile(latencies, 50)), "ms")
    report("preview frame delivery p95", float(np.percentile(latencies, 95)), "ms")
    report(f"preview frames received ({len(latencies)} of {runs * steps} steps)", float(len(latencies)), "")
    report("cancel: steps run after the client asked (one in flight is expected)", float(late), "steps")
