"""The server on loopback: a real uvicorn on a random port, the real engine on a tiny pipeline, the real client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("websockets")

from studio.engine.errors import GenerationCancelled, InvalidRequest, ModelNotFound, StudioError  # noqa: E402
from studio.engine.events import CancelFlag, PreviewRegion, Progress  # noqa: E402
from studio.engine.metadata import read_metadata, studio_metadata  # noqa: E402
from studio.engine.request import GenerationRequest  # noqa: E402
from studio.server.client import RemoteEngine, ServerError  # noqa: E402
from studio.server.serve import BackgroundServer, ServeError, check_options, local_app, read_token  # noqa: E402

TOKEN = "test-token-0123456789"


@pytest.fixture(scope="module")
def server(tiny_sd_dir, one_torch_thread):
    app = local_app(str(tiny_sd_dir), TOKEN)
    with BackgroundServer(app) as srv:
        srv.app = app
        yield srv


@pytest.fixture(scope="module")
def local_engine():
    from studio.engine.generator import Engine, EngineSettings

    return Engine(EngineSettings(preview_every=1))


@pytest.fixture
def remote(server):
    engine = RemoteEngine(server.url, TOKEN)
    yield engine
    engine.close()


def _req(model, **kw):
    kw.setdefault("prompt", "a red circle on the left")
    kw.setdefault("steps", 5)
    kw.setdefault("seed", 4321)
    return GenerationRequest(model=str(model), **kw)


def _picture(h=64, w=80):
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _mask(h=64, w=80):
    m = np.zeros((h, w), np.uint8)
    m[16:48, 20:60] = 255
    return m


def _run(engine, request, cancel=None):
    events = []
    images = engine.generate(request, on_event=events.append, cancel=cancel)
    return images, [e for e in events if isinstance(e, Progress)], [e for e in events if isinstance(e, PreviewRegion)]


def _same_metadata(a, b) -> None:
    ma, mb = studio_metadata(a), studio_metadata(b)
    ma.pop("elapsed"), mb.pop("elapsed")
    assert ma == mb


def test_pixels_and_every_preview_match_the_local_engine(remote, local_engine, tiny_sd_dir):
    request = _req(tiny_sd_dir, batch_size=2)
    local, local_steps, _ = _run(local_engine, request)
    far, far_steps, _ = _run(remote, request)
    assert [i.seed for i in far] == [4321, 4322]
    for a, b in zip(local, far):
        assert np.array_equal(a.image, b.image)  # bit-identical
        _same_metadata(a, b)
    # a preview for every step of every image, the same pixels as in-process
    assert [(p.image_index, p.step) for p in far_steps] == [(i, s) for i in range(2) for s in range(1, 6)]
    assert all(p.preview is not None for p in far_steps)
    for a, b in zip(local_steps, far_steps):
        assert np.array_equal(a.preview, b.preview) and (a.step, a.total) == (b.step, b.total)
    assert len(remote.frame_latencies) == 10


def test_inpaint_travels_as_content_addressed_uploads(remote, server, local_engine, tiny_sd_dir):
    request = _req(tiny_sd_dir, mode="inpaint", init_image=_picture(), mask=_mask(), strength=1.0,
                   inpaint_area="only_masked", inpaint_padding=8, steps=3)
    local, _, local_regions = _run(local_engine, request)
    far, far_steps, far_regions = _run(remote, request)
    assert np.array_equal(local[0].image, far[0].image)
    assert np.array_equal(far[0].extra["mask"], request.mask) and far[0].extra["mask"].dtype == np.uint8
    assert far[0].extra["crop_box"] == local[0].extra["crop_box"]
    assert far_regions == local_regions and far_steps
    _same_metadata(local[0], far[0])
    uploads = len(server.app.state.service.uploads._items)
    _run(remote, request.replace(seed=5))  # the same images again: nothing is uploaded twice
    assert len(server.app.state.service.uploads._items) == uploads == 2


def test_cancel_lands_within_one_step_and_nothing_is_decoded(remote, server, tiny_sd_dir):
    cancel = CancelFlag()
    seen = []

    def on_event(event):
        if isinstance(event, Progress):
            seen.append(event.step)
            if event.step == 3:
                cancel.set()

    with pytest.raises(GenerationCancelled) as info:
        remote.generate(_req(tiny_sd_dir, steps=150), on_event=on_event, cancel=cancel)
    assert 3 <= info.value.step < 150 and info.value.total == 150
    # the server's engine stopped at its first step end after the cancel arrived
    assert remote.last_cancelled["looks_after_cancel"] == 1
    job = next(reversed(server.app.state.service.jobs.values()))
    assert job.state == "cancelled" and job.results == []
    # ready for the next job at once, on the same socket
    assert remote.generate(_req(tiny_sd_dir, steps=2))[0].image.shape == (64, 64, 3)


def test_cancel_before_start_raises_without_submitting(remote, server, tiny_sd_dir):
    jobs = len(server.app.state.service.jobs)
    cancel = CancelFlag()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        remote.generate(_req(tiny_sd_dir), cancel=cancel)
    assert len(server.app.state.service.jobs) == jobs


def _get(url, token=None, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_401_without_the_token(server, tiny_sd_dir):
    assert _get(f"{server.url}/v1/health")[0] == 200  # health is open
    assert _get(f"{server.url}/v1/models")[0] == 401
    assert _get(f"{server.url}/v1/models", token="wrong-token-xyz")[0] == 401
    assert _get(f"{server.url}/v1/models", token=TOKEN)[0] == 200
    status, body = _get(f"{server.url}/v1/uploads", data=b"x", method="PUT")
    assert status == 401 and json.loads(body)["error"] == "Unauthorized"
    with pytest.raises(ServerError, match="refused the token"):
        RemoteEngine(server.url, "wrong-token-xyz").check()
    with pytest.raises(ServerError, match="refused the token"):
        RemoteEngine(server.url, "wrong-token-xyz").socket()  # the event socket too
    with pytest.raises(ServerError, match="refused the token"):
        RemoteEngine(server.url, None).generate(_req(tiny_sd_dir))


def _headers_only(server, path, length, method="PUT"):
    """Announce a body of ``length`` bytes and read the answer without sending it."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, path)
        conn.putheader("Authorization", f"Bearer {TOKEN}")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_413_for_an_oversized_upload_or_job(server, tiny_sd_dir):
    from studio.server import protocol
    from studio.server.app import create_app
    from studio.server.backend import EngineStream

    status, body = _headers_only(server, "/v1/uploads", protocol.MAX_UPLOAD_BYTES + 1)
    assert status == 413 and body["error"] == "TooLarge"
    assert _headers_only(server, "/v1/jobs", protocol.MAX_JSON_BYTES + 1, "POST")[0] == 413
    status, body = _get(f"{server.url}/v1/uploads", TOKEN, data=b"not an image", method="PUT")
    assert status == 400 and json.loads(body)["error"] == "ImageLoadError"
    # a body without a length (chunked) is cut off at the limit too
    small = create_app(EngineStream(), token=TOKEN, max_upload=1000)
    with BackgroundServer(small) as srv:
        chunks = iter([b"\0" * 600, b"\0" * 600])
        status, body = _get(f"{srv.url}/v1/uploads", TOKEN, data=chunks, method="PUT",
                            headers={"Transfer-Encoding": "chunked"})
        assert status == 413 and json.loads(body)["error"] == "TooLarge"
        with pytest.raises(ServerError, match="too large"):
            RemoteEngine(srv.url, TOKEN).upload(b"\0" * 2000)


def test_errors_keep_their_class(remote, server):
    with pytest.raises(ModelNotFound, match="does not offer"):
        remote.load("/somewhere/else")  # only the server's own models can be named
    with pytest.raises(ModelNotFound, match="does not offer"):
        remote.generate(GenerationRequest(prompt="x", model="/etc", steps=2))
    remote.socket()
    job = {"client_id": remote.client_id, "params": {"prompt": "x", "steps": 0}}
    status, body = _get(f"{server.url}/v1/jobs", TOKEN, data=json.dumps(job).encode(), method="POST",
                        headers={"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["error"] == "InvalidRequest"
    job["params"] = {"prompt": "x", "steps": [[1, 2]]}  # only numbers and text travel inside the JSON
    status, body = _get(f"{server.url}/v1/jobs", TOKEN, data=json.dumps(job).encode(), method="POST")
    assert status == 400 and "number or text" in json.loads(body)["message"]
    with pytest.raises(InvalidRequest):
        from studio.server.protocol import raise_error

        raise_error({"error": "InvalidRequest", "message": "m"})


def test_model_info_tokenizer_and_schema(remote, server, tiny_sd_dir):
    info = remote.load(str(tiny_sd_dir))
    assert (info.name, info.native_width, info.kind) == ("tiny-sd", 64, "folder") and len(info.hash) == 10
    assert remote.load(None) == info  # the server's default model
    tok = remote.tokenizer(None)
    assert tok("abc", add_special_tokens=False)["input_ids"]
    assert "tiny-sd" in remote.check()
    status, body = _get(f"{server.url}/openapi.json")
    paths = json.loads(body)["paths"]
    assert status == 200 and {"/v1/jobs", "/v1/uploads", "/v1/jobs/{job_id}/cancel", "/v1/health"} <= set(paths)
    assert "requestBody" in paths["/v1/jobs"]["post"]


def test_studio_generate_with_server_writes_the_same_png(server, tiny_sd_dir, tmp_path):
    from PIL import Image

    from studio.cli.main import main

    args = ["generate", "a blue square", "--model", str(tiny_sd_dir), "--steps", "3", "--seed", "9"]
    assert main([*args, "--out", str(tmp_path / "here")]) == 0
    (tmp_path / "token").write_text(TOKEN + "\n")
    assert main([*args, "--out", str(tmp_path / "there"), "--server", server.url, "--token-file", str(tmp_path / "token")]) == 0
    here, there = (next((tmp_path / d).glob("*.png")) for d in ("here", "there"))
    assert np.array_equal(np.asarray(Image.open(here)), np.asarray(Image.open(there)))
    a, b = read_metadata(here), read_metadata(there)
    assert a.a1111_text().split("Version")[0] == b.a1111_text().split("Version")[0]
    assert main([*args, "--server", server.url, "--token", "wrong-token-xyz"]) == 1


def test_refuses_a_public_host_without_a_token(tmp_path, capsys):
    from studio.cli.main import main

    with pytest.raises(ServeError, match="without a token"):
        check_options("0.0.0.0", None, None, None)
    check_options("127.0.0.1", None, None, None)
    check_options("::1", None, None, None)
    check_options("0.0.0.0", "a-long-token", None, None)
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 1
    assert "without a token" in capsys.readouterr().err
    with pytest.raises(ServeError, match="both"):
        check_options("127.0.0.1", None, "cert.pem", None)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ServeError, match="empty"):
        read_token(None, tmp_path / "empty")


def test_a_job_lives_as_long_as_its_clients_socket(remote, server, tiny_sd_dir):
    """A client that goes away (closed window, killed process) does not leave the GPU busy."""
    import time

    from studio.server.remote_job import RemoteJob

    service = server.app.state.service
    job = RemoteJob(remote, _req(tiny_sd_dir, steps=150), lambda _e: None, CancelFlag())
    remote.socket()
    job.job_id = job._submit()
    first = remote.socket().recv(timeout=60)  # the job is queued: its first event
    assert json.loads(first)["type"] == "queued"
    remote.close()  # the socket closes without a cancel
    for _ in range(3000):
        if service.jobs[job.job_id].state != "running" and service.jobs[job.job_id].state != "queued":
            break
        time.sleep(0.01)
    assert service.jobs[job.job_id].state == "cancelled"
    with pytest.raises(StudioError, match="Open the event socket"):
        remote._json("POST", "/jobs", {"client_id": remote.client_id, "params": {"prompt": "x"}})
