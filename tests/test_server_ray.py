"""The server on Ray Serve: local testing mode (fast, in CI) and a real local Ray cluster (slow)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.serve")
pytest.importorskip("fastapi")

from studio.engine.errors import GenerationCancelled  # noqa: E402
from studio.engine.events import CancelFlag, Progress  # noqa: E402
from studio.engine.request import GenerationRequest  # noqa: E402
from studio.server.client import RemoteEngine, ServerError  # noqa: E402

TOKEN = "ray-test-token-77"
REPO = Path(__file__).resolve().parents[1]


def _req(model, **kw):
    kw.setdefault("prompt", "a green triangle")
    kw.setdefault("steps", 4)
    kw.setdefault("seed", 99)
    return GenerationRequest(model=str(model), **kw)


def _cancel_at_step_3(remote, model):
    cancel = CancelFlag()

    def on_event(event):
        if isinstance(event, Progress) and event.step == 3:
            cancel.set()

    with pytest.raises(GenerationCancelled) as info:
        remote.generate(_req(model, steps=150), on_event=on_event, cancel=cancel)
    return info.value


def _local(model, request):
    from studio.engine.generator import Engine, EngineSettings

    return Engine(EngineSettings(preview_every=1)).generate(request)


def test_serve_run_local_testing_mode(tiny_sd_dir, one_torch_thread):
    """The engine deployment in Serve's local testing mode, behind the unchanged API."""
    import asyncio

    from ray import serve

    from studio.server.app import create_app
    from studio.server.backend import ModelCatalog
    from studio.server.ray_app import EngineReplica, RayBackend
    from studio.server.serve import BackgroundServer

    handle = serve.run(EngineReplica.bind(), name="studio-test", _local_testing_mode=True)
    app = create_app(RayBackend(handle), token=TOKEN, catalog=ModelCatalog(str(tiny_sd_dir)))
    with BackgroundServer(app) as srv:
        remote = RemoteEngine(srv.url, TOKEN)
        events = []
        request = _req(tiny_sd_dir, batch_size=2)
        far = remote.generate(request, on_event=events.append)
        near = _local(tiny_sd_dir, request)
        assert all(np.array_equal(a.image, b.image) for a, b in zip(near, far))
        assert sum(isinstance(e, Progress) and e.preview is not None for e in events) == 8
        stopped = _cancel_at_step_3(remote, tiny_sd_dir)
        assert 3 <= stopped.step < 150
        job_id = remote.last_cancelled["job_id"]
        report = None
        for _ in range(500):  # the replica's thread ends the job after the stream was cancelled
            report = asyncio.run(_report(handle, job_id))
            if report is not None:
                break
            time.sleep(0.01)
        assert report["type"] == "cancelled" and report["looks_after_cancel"] == 1 and report["step"] < 150
        assert remote.generate(_req(tiny_sd_dir, steps=2))[0].image.shape == (64, 64, 3)
        remote.close()


async def _report(handle, job_id):
    return await handle.report.remote(job_id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_real_local_ray_cluster_on_loopback(tiny_sd_dir, tmp_path, one_torch_thread):
    """`studio serve --ray` as a user runs it: a Ray cluster of its own, the API on loopback."""
    port = _free_port()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    env = dict(os.environ, OMP_NUM_THREADS="1", RAY_USAGE_STATS_ENABLED="0", PYTHONPATH=str(REPO))
    env.pop("RAY_ADDRESS", None)
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio", "serve", "--ray", "--port", str(port), "--model", str(tiny_sd_dir),
         "--token-file", str(token_file), "--replicas", "2", "--device", "cpu"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        remote = RemoteEngine(f"http://127.0.0.1:{port}", TOKEN, timeout=60)
        for _ in range(600):
            try:
                remote.check()
                break
            except ServerError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                time.sleep(0.5)
        request = _req(tiny_sd_dir)
        events = []
        far = remote.generate(request, on_event=events.append)
        assert np.array_equal(far[0].image, _local(tiny_sd_dir, request)[0].image)
        assert [e.step for e in events if isinstance(e, Progress) and e.preview is not None] == [1, 2, 3, 4]
        stopped = _cancel_at_step_3(remote, tiny_sd_dir)
        assert 3 <= stopped.step < 150
        with pytest.raises(ServerError, match="refused the token"):
            RemoteEngine(f"http://127.0.0.1:{port}", "wrong-token-xyz").check()
        assert remote.generate(_req(tiny_sd_dir, steps=2))[0].image.shape == (64, 64, 3)
        remote.close()
    finally:
        import signal

        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
