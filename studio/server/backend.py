"""The engine behind the server: jobs run one at a time on one engine thread.

:class:`EngineStream` is what both the plain server and each Ray Serve engine
replica run. ``stream()`` is an async generator of wire items: ``("msg", m)``
for every event (already a WebSocket message, see :mod:`.protocol`), then
either ``("result", parts)`` or a final ``error``/``cancelled`` message. When
its consumer goes away early (a Ray cancel, a closed socket) the job's cancel
flag is set, so the engine stops within one step.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from studio.engine.errors import GenerationCancelled, ModelNotFound, StudioError
from studio.engine.events import CancelFlag
from studio.engine.request import GenerationRequest
from studio.server import protocol

log = logging.getLogger(__name__)


class JobCancel(CancelFlag):
    """A cancel flag that counts the engine's looks at it (one per step end), to show where a cancel landed.

    ``looks_after_cancel()`` is 1 when the engine stopped at the first step end
    after the cancel arrived: the step in flight finished, no more ran.
    """

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0
        self.looks_at_set: int | None = None

    def is_set(self) -> bool:
        self.looks += 1
        return super().is_set()

    def set(self) -> None:
        if self.looks_at_set is None:
            self.looks_at_set = self.looks
        super().set()

    def looks_after_cancel(self) -> int | None:
        return None if self.looks_at_set is None else self.looks - self.looks_at_set


def model_info_json(info) -> dict[str, Any]:
    return asdict(info)


class ModelCatalog:
    """The models this server offers: its ``--model`` plus its models folder. Nothing else can be named."""

    def __init__(self, default: str | None = None):
        self.default = default or None

    def choices(self) -> list[dict[str, Any]]:
        from studio.engine.models import list_models

        out = [{"name": c.name, "spec": c.spec, "kind": c.kind} for c in list_models()]
        if self.default and not any(c["spec"] == self.default for c in out):
            from studio.engine.models import resolve

            source = resolve(self.default)
            out.insert(0, {"name": source.name, "spec": self.default, "kind": source.kind})
        return out

    def spec_for(self, model: Any) -> str | None:
        """The server-side spec for what a client named; ModelNotFound for anything not offered."""
        if model is not None and not isinstance(model, str):
            raise ModelNotFound("The model must be named by text.")
        if model is None or model.strip() == "" or model == self.default:
            return self.default
        choices = self.choices()
        for c in choices:
            if model in (c["name"], c["spec"]):
                return c["spec"]
        offered = ", ".join(c["name"] for c in choices) or "none"
        raise ModelNotFound(f"This server does not offer the model {model!r}. It offers: {offered}.")


class EngineStream:
    """One engine and one thread; ``load`` and ``stream`` queue on that thread in call order."""

    def __init__(self, settings=None):
        self._settings = settings
        self._engine = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="studio-engine")
        self.reports: OrderedDict[str, dict] = OrderedDict()  # how the last jobs ended, for a cancel's caller

    def _get_engine(self):
        if self._engine is None:
            from studio.engine.generator import Engine, EngineSettings

            self._engine = Engine(self._settings or EngineSettings())
        return self._engine

    async def load(self, model: str | None) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        info = await loop.run_in_executor(self._executor, lambda: self._get_engine().load(model))
        return model_info_json(info)

    async def tokenizer_files(self, model: str | None) -> dict[str, str]:
        """The loaded model's tokenizer as text files (so a client can count tokens locally)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: _tokenizer_files(self._get_engine(), model))

    async def stream(self, job_id: str, request: GenerationRequest, preview_every: int,
                     cancel: CancelFlag | None = None):
        cancel = cancel or JobCancel()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def put(item) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone (its listener left): the job still ends cleanly
                pass

        def emit(event) -> None:
            message = protocol.event_message(event, job_id)
            if message is not None:
                put(("msg", message))

        def work() -> None:
            try:
                if cancel.is_set():  # cancelled while it waited for the engine (the engine looks again)
                    raise GenerationCancelled(step=0, total=request.steps)
                engine = self._get_engine()
                engine.settings.preview_every = preview_every
                images = engine.generate(request, on_event=emit, cancel=cancel)
                final = ("result", [protocol.result_parts(img) for img in images])
            except GenerationCancelled as exc:
                looks = cancel.looks_after_cancel() if isinstance(cancel, JobCancel) else None
                final = ("msg", json.dumps({"type": "cancelled", "job_id": job_id, "step": exc.step, "total": exc.total,
                                            "looks_after_cancel": looks}))
            except Exception as exc:  # every failure reaches the client as an error event
                if not isinstance(exc, StudioError):
                    log.exception("job %s failed", job_id)
                final = ("msg", json.dumps(protocol.error_json(exc, job_id)))
            self.reports[job_id] = json.loads(final[1]) if final[0] == "msg" else {"type": "result", "job_id": job_id}
            while len(self.reports) > 64:
                self.reports.popitem(last=False)
            put(final)
            put(None)

        loop.run_in_executor(self._executor, work)
        finished = False
        try:
            while (item := await queue.get()) is not None:
                yield item
            finished = True
        finally:
            if not finished:
                cancel.set()  # nobody listens any more: stop within one step

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _tokenizer_files(engine, model: str | None) -> dict[str, str]:
    import tempfile
    from pathlib import Path

    tok = engine.tokenizer(model)
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        files = {}
        for name in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
            path = Path(tmp) / name
            if path.is_file():
                files[name] = path.read_text(encoding="utf-8")
        return files
