"""A remote engine: :class:`RemoteEngine` is used exactly like the local ``Engine``.

``load``, ``tokenizer``, ``generate(request, on_event, cancel)`` and
``settings.preview_every`` behave as the local engine's do: the same events
(Status, PreviewRegion, Progress with a preview array per step), the same
``GeneratedImage`` results (so the gallery stores the same metadata), the same
error classes, and cancel stops the server's job within one step and raises
:class:`GenerationCancelled`. The client needs the stdlib for HTTP and the
small ``websockets`` package for the event socket; torch is never imported.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from studio.engine.errors import GenerationCancelled, StudioError
from studio.engine.events import CancelFlag
from studio.engine.request import GenerationRequest
from studio.server import protocol
from studio.server.protocol import ServerError

LOAD_TIMEOUT = 600.0  # a first model load on the server can take minutes


@dataclass
class RemoteSettings:
    preview_every: int = 1


class RemoteEngine:
    def __init__(self, url: str, token: str | None = None, *, preview_every: int = 1, timeout: float = 30.0,
                 cafile: str | None = None):
        url = url.strip().rstrip("/")
        parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerError(f"{url!r} is not a server address; write it as http://host:port.")
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.ws_url = ("wss" if parts.scheme == "https" else "ws") + self.url[len(parts.scheme):]
        self.token = token or None
        self.timeout = timeout
        self.settings = RemoteSettings(preview_every)
        self.client_id = uuid.uuid4().hex
        self._ssl = ssl.create_default_context(cafile=cafile) if parts.scheme == "https" else None
        self._ws = None
        self._max_upload: int | None = None
        self._infos: dict[Any, Any] = {}
        self.last_cancelled: dict | None = None  # the server's report of the last cancel (steps, where it landed)
        self.frame_latencies: list[float] = []  # seconds from the server's send to our receive, per preview

    # -- HTTP ---------------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _call(self, method: str, path: str, body: bytes | None = None, *, content_type: str = "application/json",
              timeout: float | None = None) -> bytes:
        req = urllib.request.Request(self.url + protocol.API + path, data=body, method=method,
                                     headers=self._headers({"Content-Type": content_type} if body is not None else None))
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout, context=self._ssl) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerError(f"Cannot reach the server at {self.url}: {reason}.") from None

    def _http_error(self, exc: urllib.error.HTTPError) -> StudioError:
        try:
            data = json.loads(exc.read() or b"{}")
        except ValueError:
            data = {}
        if exc.code == 401:
            return ServerError("The server refused the token (401): check the token in Settings or --token.")
        if exc.code == 413:
            return ServerError(f"The server refused the upload as too large (413): {data.get('message', '')}".rstrip(": "))
        if isinstance(data, dict) and data.get("error") and data.get("message"):
            try:
                protocol.raise_error(data)
            except StudioError as err:
                return err
        return ServerError(f"The server answered {exc.code} {exc.reason}.")

    def _json(self, method: str, path: str, data: dict | None = None, **kw) -> Any:
        body = None if data is None else json.dumps(data).encode()
        raw = self._call(method, path, body, **kw)
        try:
            return json.loads(raw)
        except ValueError:
            raise ServerError(f"The server at {self.url} did not answer JSON: is it a Studio server?") from None

    # -- the engine interface -------------------------------------------------------------------

    def check(self) -> str:
        """A connection test: reach the server and check the token; a one-line description."""
        health = self._json("GET", "/health")
        if not isinstance(health, dict) or health.get("status") != "ok":
            raise ServerError(f"{self.url} answered, but not as a Studio server.")
        models = self._json("GET", "/models")  # needs the token when the server has one
        names = ", ".join(m.get("name", "?") for m in models.get("models", [])) or "none"
        return f"Connected to Studio {health.get('version', '?')}; models: {names}."

    def list_models(self):
        from studio.engine.models import ModelChoice

        return [ModelChoice(m["name"], m["spec"], m["kind"]) for m in self._json("GET", "/models")["models"]]

    def load(self, model: str | None = None, on_event=None):
        from studio.engine.events import Status
        from studio.engine.model_defaults import ModelDefaults
        from studio.engine.models import ModelInfo

        emit = on_event or (lambda _e: None)
        if model not in self._infos:
            emit(Status("loading", f"Loading model {model or 'default'} on {self.url}…"))
            data = self._json("POST", "/models/load", {"model": model}, timeout=LOAD_TIMEOUT)
            data["defaults"] = ModelDefaults(**(data.get("defaults") or {}))
            self._infos[model] = ModelInfo(**data)
        info = self._infos[model]
        emit(Status("ready", f"{info.name} ready ({info.native_width}x{info.native_height}, on {self.url})"))
        return info

    def tokenizer(self, model: str | None = None):
        """The server model's tokenizer, rebuilt here from its files (token counts without a round trip)."""
        import tempfile
        from pathlib import Path

        from transformers import CLIPTokenizer

        files = self._json("POST", "/models/tokenizer", {"model": model}, timeout=LOAD_TIMEOUT)
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in files.items():
                if name in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
                    (Path(tmp) / name).write_text(text, encoding="utf-8")
            return CLIPTokenizer.from_pretrained(tmp, local_files_only=True)

    def upload(self, data: bytes) -> str:
        """Upload image bytes unless the server already has them; the content id."""
        key = protocol.content_id(data)
        try:
            self._json("GET", f"/uploads/{key}")
            return key
        except StudioError:
            pass
        if self._max_upload is None:
            self._max_upload = int(self._json("GET", "/health").get("max_upload_bytes") or 0)
        if self._max_upload and len(data) > self._max_upload:
            raise ServerError(f"The image is too large to upload: {len(data) / 2**20:.1f} MiB, "
                              f"the server takes at most {self._max_upload / 2**20:.1f} MiB.")
        raw = self._call("PUT", "/uploads", data, content_type="application/octet-stream", timeout=LOAD_TIMEOUT)
        return json.loads(raw)["id"]

    def generate(self, request: GenerationRequest, on_event=None, cancel: CancelFlag | None = None):
        from studio.server.remote_job import RemoteJob

        return RemoteJob(self, request, on_event or (lambda _e: None), cancel or CancelFlag()).run()

    # -- the event socket -------------------------------------------------------------------------

    def socket(self):
        """The open event socket (opened on first use, reopened when it dropped)."""
        from websockets.protocol import State
        from websockets.sync.client import connect

        if self._ws is not None and self._ws.protocol.state is State.OPEN:
            return self._ws
        try:
            self._ws = connect(f"{self.ws_url}{protocol.API}/events/{self.client_id}", ssl=self._ssl,
                               additional_headers=self._headers(), compression=None, max_size=64 * 1024 * 1024,
                               open_timeout=self.timeout, max_queue=None)
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (401, 403):
                raise ServerError("The server refused the token: check the token in Settings or --token.") from None
            raise ServerError(f"Cannot open the event socket at {self.ws_url}: {exc}.") from None
        return self._ws

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:
                pass
            self._ws = None


__all__ = ["GenerationCancelled", "RemoteEngine", "ServerError"]
