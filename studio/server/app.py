"""The HTTP + WebSocket API (FastAPI): the engine behind ``studio serve``.

Every route but ``/v1/health`` and the OpenAPI schema needs ``Authorization:
Bearer <token>`` when the server has a token (compared in constant time).
Bodies are read with hard limits (413 past them); uploads are decoded with
Pillow only, inside pixel limits. See :mod:`.protocol` for the wire format.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

from studio import __version__
from studio.engine.errors import ImageLoadError, InvalidRequest, ModelNotFound, StudioError
from studio.server import protocol
from studio.server.backend import ModelCatalog
from studio.server.service import CLIENT_ID, Service

API = protocol.API


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _status_of(exc: StudioError) -> int:
    if isinstance(exc, (InvalidRequest, ImageLoadError)):
        return 400
    if isinstance(exc, ModelNotFound):
        return 404
    return 500


def token_ok(token: str | None, header: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise ApiError(413, "TooLarge", f"The body is {int(length)} bytes; this server takes at most {limit}.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "TooLarge", f"The body is over {limit} bytes, the most this server takes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = protocol.MAX_JSON_BYTES) -> dict[str, Any]:
    body = await read_body(request, limit)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "InvalidRequest", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidRequest", "The body must be a JSON object.")
    return data


def _json_body(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


JOB_SCHEMA = {
    "type": "object", "required": ["client_id", "params"],
    "properties": {
        "client_id": {"type": "string", "description": "the id of the client's open event socket"},
        "params": {"type": "object", "description": "GenerationRequest.to_params()"},
        "init_image": {"type": ["string", "null"], "description": "upload id (SHA-256) of the init image"},
        "mask": {"type": ["string", "null"], "description": "upload id of the mask (white = repaint)"},
        "preview_every": {"type": "integer", "minimum": 0, "maximum": 50},
    },
}


def create_app(backend, *, token: str | None = None, catalog: ModelCatalog | None = None,
               max_upload: int = protocol.MAX_UPLOAD_BYTES, max_json: int = protocol.MAX_JSON_BYTES) -> FastAPI:
    """The API around ``backend`` (an :class:`~.backend.EngineStream` or the Ray backend)."""
    service = Service(backend, catalog or ModelCatalog(), token)
    app = FastAPI(title="Studio server", version=__version__, docs_url=None, redoc_url=None,
                  description="Studio's engine over HTTP and WebSocket. See studio/server/protocol.py.")
    app.state.service = service

    @app.exception_handler(ApiError)
    async def _api_error(_request, exc: ApiError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": exc.error, "message": exc.message}, exc.status, headers=headers)

    @app.exception_handler(StudioError)
    async def _studio_error(_request, exc: StudioError):
        return JSONResponse({"error": type(exc).__name__, "message": str(exc)}, _status_of(exc))

    @app.middleware("http")
    async def _auth(request: Request, call_next):
        path = request.url.path
        if path != f"{API}/health" and path != app.openapi_url and not token_ok(token, request.headers.get("authorization")):
            return JSONResponse({"error": "Unauthorized", "message": "A valid bearer token is required."}, 401,
                                headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    @app.get(f"{API}/health", summary="Is the server up (no token needed)")
    async def health() -> dict:
        return {"status": "ok", "version": __version__, "jobs": service.active_jobs(), "token_required": token is not None,
                "max_upload_bytes": max_upload, "max_json_bytes": max_json}

    @app.get(f"{API}/models", summary="The models this server offers")
    async def list_models() -> dict:
        return {"models": service.catalog.choices(), "default": service.catalog.default}

    @app.post(f"{API}/models/load", summary="Load a model (or find it loaded); its info",
              openapi_extra=_json_body({"type": "object", "properties": {"model": {"type": ["string", "null"]}}}))
    async def load_model(request: Request) -> dict:
        data = await read_json(request, max_json)
        return await backend.load(service.catalog.spec_for(data.get("model")))

    @app.post(f"{API}/models/tokenizer", summary="The model's tokenizer files, for counting tokens locally",
              openapi_extra=_json_body({"type": "object", "properties": {"model": {"type": ["string", "null"]}}}))
    async def tokenizer(request: Request) -> dict:
        data = await read_json(request, max_json)
        return await backend.tokenizer_files(service.catalog.spec_for(data.get("model")))

    @app.put(f"{API}/uploads", summary="Upload an image (PNG/JPEG/WebP); its id is the SHA-256 of the bytes",
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
    async def upload(request: Request) -> dict:
        data = await read_body(request, max_upload)
        pixels = await asyncio.to_thread(protocol.decode_upload, data)  # refuse what is not an image now
        return {"id": service.uploads.put(data), "width": int(pixels.shape[1]), "height": int(pixels.shape[0])}

    @app.get(f"{API}/uploads/{{upload_id}}", summary="Whether an upload is still here")
    async def has_upload(upload_id: str) -> dict:
        data = service.uploads.get(upload_id)
        if data is None:
            raise ApiError(404, "NotFound", "No upload with that id.")
        return {"id": upload_id, "size": len(data)}

    @app.post(f"{API}/jobs", summary="Submit a job; its events go to the client's event socket",
              openapi_extra=_json_body(JOB_SCHEMA))
    async def submit(request: Request) -> dict:
        data = await read_json(request, max_json)
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or client_id not in service.channels:
            raise ApiError(409, "NotConnected", f"Open the event socket {API}/events/<client_id> before submitting.")
        images = {}
        for name in ("init_image", "mask"):
            key = data.get(name)
            if key is None:
                continue
            blob = service.uploads.get(key) if isinstance(key, str) else None
            if blob is None:
                raise ApiError(400, "InvalidRequest", f"The {name} upload {key!r} is not on the server; upload it first.")
            images[name] = await asyncio.to_thread(protocol.decode_upload, blob, mask=name == "mask")
        req = protocol.request_from_json(data.get("params"), images)
        req = req.replace(model=service.catalog.spec_for(req.model)).with_seed()
        every = data.get("preview_every", 1)
        if isinstance(every, bool) or not isinstance(every, int) or not 0 <= every <= 50:
            raise ApiError(400, "InvalidRequest", "preview_every must be a whole number from 0 to 50.")
        job = service.submit(client_id, req, every)
        return {"job_id": job.id, "seed": req.seed}

    @app.post(f"{API}/jobs/{{job_id}}/cancel", summary="Cancel a job (it stops within one step)")
    async def cancel(job_id: str) -> dict:
        return {"cancelled": service.cancel(job_id)}

    @app.get(f"{API}/jobs/{{job_id}}", summary="A job's state")
    async def job_state(job_id: str) -> dict:
        job = service.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "NotFound", "No job with that id.")
        return {"job_id": job.id, "state": job.state, "images": len(job.results)}

    @app.get(f"{API}/jobs/{{job_id}}/images/{{index}}.png", summary="A result as PNG with its full metadata",
             response_class=Response, responses={200: {"content": {"image/png": {}}}})
    async def result_png(job_id: str, index: int) -> Response:
        found = service.result(job_id, index)
        if found is None:
            raise ApiError(404, "NotFound", "No such result (it may have been dropped; results keep for 64 jobs).")
        return Response(found[1], media_type="image/png")

    @app.get(f"{API}/jobs/{{job_id}}/images/{{index}}/{{name}}.npy", summary="An array of a result (e.g. the mask)",
             response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}})
    async def result_array(job_id: str, index: int, name: str) -> Response:
        found = service.result(job_id, index)
        if found is None or name not in found[2]:
            raise ApiError(404, "NotFound", "No such array.")
        return Response(found[2][name], media_type="application/octet-stream")

    @app.websocket(f"{API}/events/{{client_id}}")
    async def events(ws: WebSocket, client_id: str) -> None:
        if not token_ok(token, ws.headers.get("authorization")) or not CLIENT_ID.match(client_id):
            await ws.close(code=1008)
            return
        channel = service.connect(client_id)
        if channel is None:
            await ws.close(code=1008, reason="this client id is already connected")
            return
        await ws.accept()

        async def pump() -> None:
            while True:
                message = await channel.queue.get()
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_text(message)

        async def listen() -> None:
            while True:
                if (await ws.receive())["type"] == "websocket.disconnect":
                    return

        tasks = [asyncio.create_task(pump()), asyncio.create_task(listen())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            service.disconnect(channel)

    return app
