"""One ``RemoteEngine.generate`` call: upload, submit, relay events, cancel, fetch the results."""

from __future__ import annotations

import time

from studio.engine.errors import GenerationCancelled, StudioError
from studio.engine.events import CancelFlag
from studio.engine.request import GenerationRequest, MaskedContent, Mode
from studio.server import protocol

POLL = 0.02  # seconds between looks at the cancel flag while waiting for events


def expected_steps(request: GenerationRequest) -> int:
    """Denoising steps per image, as the local engine counts them."""
    if request.mode is Mode.TXT2IMG or (request.mode is Mode.INPAINT and request.masked_content is MaskedContent.NOISE):
        return request.steps
    return min(int(request.steps * request.strength), request.steps)


class RemoteJob:
    def __init__(self, engine, request: GenerationRequest, emit, cancel: CancelFlag):
        self.engine = engine
        self.request = request.with_seed()  # the seed is fixed here, so the local copy matches the server's
        self.emit = emit
        self.cancel = cancel
        self.job_id: str | None = None
        self._cancel_sent = False

    def run(self):
        if self.cancel.is_set():
            raise GenerationCancelled(step=0, total=expected_steps(self.request))
        ws = self.engine.socket()
        try:
            self.job_id = self._submit()
            return self._follow(ws)
        except BaseException:  # Ctrl+C, a dropped socket...: do not leave the job running
            if self.job_id is not None and not self._cancel_sent:
                try:
                    self._send_cancel()
                except StudioError:
                    pass
            raise

    def _submit(self) -> str:
        req = self.request
        init_id = self.engine.upload(protocol.png_bytes(req.init_image)) if req.init_image is not None else None
        mask_id = self.engine.upload(protocol.png_bytes(req.mask)) if req.mask is not None else None
        body = {
            "client_id": self.engine.client_id,
            "params": req.to_params(),
            "init_image": init_id,
            "mask": mask_id,
            "preview_every": int(self.engine.settings.preview_every),
        }
        return str(self.engine._json("POST", "/jobs", body)["job_id"])

    def _send_cancel(self) -> None:
        self._cancel_sent = True
        self.engine._json("POST", f"/jobs/{self.job_id}/cancel", {})

    def _follow(self, ws):
        from websockets.exceptions import ConnectionClosed

        while True:
            if self.cancel.is_set() and not self._cancel_sent:
                self._send_cancel()
            try:
                message = ws.recv(timeout=POLL)
            except TimeoutError:
                continue
            except ConnectionClosed:
                raise protocol_error("The connection to the server dropped during the job.") from None
            arrived = time.time()
            try:
                header, frame = protocol.parse_message(message)
            except ValueError:
                continue
            if header.get("job_id") != self.job_id:
                continue  # a late event of an earlier job
            kind = header.get("type")
            if kind == "result":
                return self._fetch(header.get("images") or [])
            if kind == "cancelled":
                self.engine.last_cancelled = header
                raise GenerationCancelled(step=int(header.get("step", 0)), total=int(header.get("total", 0)))
            if kind == "error":
                protocol.raise_error(header)
            if kind == "progress" and frame and "sent_at" in header:
                self.engine.frame_latencies.append(arrived - float(header["sent_at"]))
            event = protocol.to_event(header, frame)
            if event is not None:
                self.emit(event)

    def _fetch(self, images: list[dict]):
        out = []
        for i, meta in enumerate(images):
            base = f"/jobs/{self.job_id}/images/{i}"
            png = self.engine._call("GET", f"{base}.png")
            arrays = {name: protocol.load_npy(self.engine._call("GET", f"{base}/{name}.npy"))
                      for name in meta.get("arrays", [])}
            out.append(protocol.generated_image(meta, png, arrays, self.request))
        return out


def protocol_error(message: str) -> StudioError:
    return protocol.ServerError(message)
