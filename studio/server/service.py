"""The server's state: uploads, per-client event channels and jobs. No HTTP here.

A client opens its event socket first (``/v1/events/{client_id}``), then
submits jobs under its id; every event of its jobs goes to its channel only
(the per-user rooms of InvokeAI). A job lives as long as its client's socket:
when the socket closes, the client's jobs are cancelled.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from studio.engine.request import GenerationRequest
from studio.server import protocol
from studio.server.backend import JobCancel

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UPLOAD_BUDGET = 512 * 1024 * 1024  # bytes of uploads kept (oldest dropped first)
KEPT_JOBS = 64  # finished jobs whose results can still be fetched
CHANNEL_SIZE = 4096  # messages waiting for a slow client before progress is dropped


class UploadStore:
    """Content-addressed uploads: the id is the SHA-256 of the bytes."""

    def __init__(self, budget: int = UPLOAD_BUDGET):
        self.budget = budget
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def put(self, data: bytes) -> str:
        key = protocol.content_id(data)
        if key in self._items:
            self._items.move_to_end(key)
            return key
        self._items[key] = data
        self._size += len(data)
        while self._size > self.budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._size -= len(old)
        return key

    def get(self, key: str) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data


class Channel:
    """The event queue of one client; progress is dropped (never results) when a client lags far behind."""

    def __init__(self, client_id: str):
        self.client_id = client_id
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=CHANNEL_SIZE)
        self.jobs: set[str] = set()

    def send(self, message: str | bytes, terminal: bool = False) -> None:
        if self.queue.full():
            if not terminal:
                return
            self.queue.get_nowait()
        self.queue.put_nowait(message)


@dataclass
class Job:
    id: str
    client_id: str
    request: GenerationRequest
    preview_every: int
    cancel: JobCancel = field(default_factory=JobCancel)
    state: str = "queued"  # queued, running, done, failed, cancelled
    results: list = field(default_factory=list)  # (meta, png bytes, {name: npy bytes})
    task: asyncio.Task | None = None


class Service:
    def __init__(self, backend, catalog, token: str | None = None):
        self.backend = backend
        self.catalog = catalog
        self.token = token
        self.uploads = UploadStore()
        self.channels: dict[str, Channel] = {}
        self.jobs: OrderedDict[str, Job] = OrderedDict()

    def active_jobs(self) -> int:
        return sum(1 for j in self.jobs.values() if j.state in ("queued", "running"))

    def connect(self, client_id: str) -> Channel | None:
        if client_id in self.channels:
            return None  # one socket per client id
        self.channels[client_id] = channel = Channel(client_id)
        return channel

    def disconnect(self, channel: Channel) -> None:
        self.channels.pop(channel.client_id, None)
        for job_id in channel.jobs:
            job = self.jobs.get(job_id)
            if job is not None and job.state in ("queued", "running"):
                job.cancel.set()

    def submit(self, client_id: str, request: GenerationRequest, preview_every: int) -> Job:
        channel = self.channels[client_id]
        position = self.active_jobs()
        job = Job(uuid.uuid4().hex, client_id, request, preview_every)
        self.jobs[job.id] = job
        self._forget_old_jobs()
        channel.jobs.add(job.id)
        channel.send(json.dumps({"type": "queued", "job_id": job.id, "position": position}))
        job.task = asyncio.get_running_loop().create_task(self._run(job))
        return job

    def cancel(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.state not in ("queued", "running"):
            return False
        job.cancel.set()
        return True

    async def _run(self, job: Job) -> None:
        def send(message, terminal=False):
            channel = self.channels.get(job.client_id)
            if channel is not None:
                channel.send(message, terminal)

        try:
            async for kind, payload in self.backend.stream(job.id, job.request, job.preview_every, job.cancel):
                if kind == "result":
                    job.results = payload
                    job.state = "done"
                    images = [dict(meta, png=f"{protocol.API}/jobs/{job.id}/images/{i}.png")
                              for i, (meta, _png, _arrays) in enumerate(payload)]
                    send(json.dumps({"type": "result", "job_id": job.id, "images": images}), True)
                    continue
                kind_of = json.loads(payload).get("type") if isinstance(payload, str) else "progress"
                if kind_of in ("error", "cancelled"):
                    job.state = "failed" if kind_of == "error" else "cancelled"
                    send(payload, True)
                else:
                    job.state = "running"
                    send(payload)
        except asyncio.CancelledError:
            job.state = "cancelled"
            raise
        except Exception as exc:  # the backend itself broke (a Ray replica died...)
            job.state = "failed"
            send(json.dumps(protocol.error_json(exc, job.id)), True)
        finally:
            if job.state in ("queued", "running"):
                job.state = "failed"
            channel = self.channels.get(job.client_id)
            if channel is not None:
                channel.jobs.discard(job.id)

    def _forget_old_jobs(self) -> None:
        finished = [k for k, j in self.jobs.items() if j.state not in ("queued", "running")]
        for key in finished[: max(0, len(finished) - KEPT_JOBS)]:
            del self.jobs[key]

    def result(self, job_id: str, index: int) -> tuple[dict[str, Any], bytes, dict[str, bytes]] | None:
        job = self.jobs.get(job_id)
        if job is None or not 0 <= index < len(job.results):
            return None
        return job.results[index]
