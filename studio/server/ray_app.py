"""The same application on Ray Serve: an ingress (the FastAPI app) and autoscaled engine replicas.

``studio serve --ray [--replicas N] [--num-gpus F]``. The ingress runs the API
of :mod:`.app` unchanged; only its backend differs: each job is a streamed call
(``handle.options(stream=True)``) to an :class:`EngineReplica`, which runs the
same :class:`~.backend.EngineStream` as the plain server. Each replica takes
one job at a time (``max_ongoing_requests=1``) and asks for ``--num-gpus``
GPUs (a fraction shares one GPU between replicas); Serve adds replicas up to
``--replicas`` while jobs wait. A cancel cancels the streamed call; the
replica's generator is closed and sets the engine's cancel flag, so the
engine stops within one step.

One machine: ``studio serve --ray``. A cluster: ``ray start --head
--dashboard-host 127.0.0.1`` on the head, ``ray start --address HEAD:6379`` on
each worker, then ``studio serve --ray`` on the head. The dashboard and job API
stay on loopback, as Ray's security notes require: anyone who can reach them
can run code on the cluster. Ray moves the request objects between its own
processes with its serialisation; clients only ever speak the JSON/PNG API.
Needs ``pip install "studio[cluster]"``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from ray import serve

from studio.engine.events import CancelFlag
from studio.engine.request import GenerationRequest

APP_NAME = "studio"


@serve.deployment(max_ongoing_requests=1, graceful_shutdown_timeout_s=5)
class EngineReplica:
    """One engine (and its model) per replica."""

    def __init__(self, device: str = "auto", dtype: str = "auto"):
        from studio.engine.generator import EngineSettings
        from studio.server.backend import EngineStream

        self.engine = EngineStream(EngineSettings(device=device, dtype=dtype))

    async def generate(self, job_id: str, request: GenerationRequest, preview_every: int):
        async for item in self.engine.stream(job_id, request, preview_every):  # closing it cancels the job
            yield item

    async def load(self, model: str | None) -> dict:
        return await self.engine.load(model)

    async def report(self, job_id: str) -> dict | None:
        """How a job this replica ran ended (its own ``cancelled`` event, when it was cancelled)."""
        return self.engine.reports.get(job_id)

    async def tokenizer_files(self, model: str | None) -> dict:
        return await self.engine.tokenizer_files(model)


class RayBackend:
    """The backend of :func:`studio.server.app.create_app`, on engine replicas."""

    def __init__(self, handle, poll: float = 0.02):
        self.handle = handle
        self.poll = poll

    async def load(self, model):
        return await self.handle.load.remote(model)

    async def tokenizer_files(self, model):
        return await self.handle.tokenizer_files.remote(model)

    async def stream(self, job_id: str, request: GenerationRequest, preview_every: int, cancel: CancelFlag):
        from ray.serve.exceptions import RequestCancelledError

        response = self.handle.options(stream=True).generate.remote(job_id, request, preview_every)

        async def watch() -> None:
            while not cancel.is_set():
                await asyncio.sleep(self.poll)
            response.cancel()

        watcher = asyncio.ensure_future(watch())
        step = 0
        try:
            async for kind, payload in response:
                if kind == "msg" and isinstance(payload, bytes):
                    step += 1
                yield kind, payload
        except (RequestCancelledError, asyncio.CancelledError):
            if not cancel.is_set():
                raise
            yield "msg", json.dumps({"type": "cancelled", "job_id": job_id, "step": step, "total": request.steps,
                                     "looks_after_cancel": None})
        finally:
            watcher.cancel()


@serve.deployment(max_ongoing_requests=1000)
@serve.ingress()
class Ingress:
    """The API; one replica keeps the uploads, client sockets and results."""

    def __init__(self, engine, model: str | None, token: str | None):
        self._engine, self._model, self._token = engine, model, token

    def __serve_build_asgi_app__(self):
        from studio.server.app import create_app
        from studio.server.backend import ModelCatalog

        return create_app(RayBackend(self._engine), token=self._token, catalog=ModelCatalog(self._model))


def build(model: str | None, token: str | None, *, replicas: int = 1, num_gpus: float = 0.0,
          device: str = "auto", dtype: str = "auto"):
    """The bound Serve application: the ingress over ``replicas`` autoscaled engine replicas."""
    options: dict = {"ray_actor_options": {"num_gpus": num_gpus, "num_cpus": 1}}
    if replicas > 1:
        options["autoscaling_config"] = {"min_replicas": 1, "max_replicas": replicas,
                                         "target_ongoing_requests": 1, "upscale_delay_s": 2}
    else:
        options["num_replicas"] = 1
    return Ingress.bind(EngineReplica.options(**options).bind(device, dtype), model, token)


def serve_ray(args) -> int:
    """``studio serve --ray``: start (or join) a Ray cluster and serve until Ctrl+C."""
    import ray

    from studio.server.serve import check_options, is_loopback, read_token

    token = read_token(args.token, args.token_file)
    check_options(args.host, token, args.tls_cert, args.tls_key)
    if os.environ.get("RAY_ADDRESS"):
        ray.init(address=os.environ["RAY_ADDRESS"])
    else:
        try:
            ray.init(address="auto")  # a cluster started with `ray start --head`
        except ConnectionError:
            local = {"_node_ip_address": "127.0.0.1"} if is_loopback(args.host) else {}
            ray.init(dashboard_host="127.0.0.1", **local)  # just this machine; the dashboard on loopback
    http = {"host": args.host, "port": args.port}
    if args.tls_cert:
        http.update(ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)
    serve.start(http_options=http)
    app = build(args.model, token, replicas=args.replicas, num_gpus=args.num_gpus, device=args.device, dtype=args.dtype)
    print(f"Studio on Ray Serve at {'https' if args.tls_cert else 'http'}://{args.host}:{args.port} "
          f"(up to {args.replicas} engine replica(s), {args.num_gpus:g} GPU each)", file=sys.stderr, flush=True)
    serve.run(app, name=APP_NAME, route_prefix="/", blocking=True)
    return 0
