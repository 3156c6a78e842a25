"""Starting the server: the safety checks, uvicorn, and a background thread for tests and benchmarks.

A server reachable from other machines without a token would hand the GPU
(and the models folder) to anyone on the network, so a host that is not
loopback needs a token, or the server refuses to start.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from pathlib import Path

from studio.engine.errors import StudioError


class ServeError(StudioError):
    """The server cannot start with these options."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token: str | None, token_file: str | Path | None) -> str | None:
    if token and token_file:
        raise ServeError("Give --token or --token-file, not both.")
    if token_file:
        try:
            text = Path(token_file).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ServeError(f"Cannot read the token file {token_file}: {exc.strerror or exc}.") from None
        token = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not token:
            raise ServeError(f"The token file {token_file} is empty.")
    if token is not None and len(token) < 8:
        raise ServeError("The token must be at least 8 characters.")
    return token or None


def check_options(host: str, token: str | None, cert: str | None, key: str | None) -> None:
    if not is_loopback(host) and not token:
        raise ServeError(
            f"Refusing to serve on {host} without a token: anyone on the network could use it. "
            "Pass --token-file FILE (or --token T), or keep the default --host 127.0.0.1."
        )
    if bool(cert) != bool(key):
        raise ServeError("TLS needs both --tls-cert and --tls-key.")
    for what, path in (("certificate", cert), ("key", key)):
        if path and not Path(path).is_file():
            raise ServeError(f"The TLS {what} {path} does not exist.")


def uvicorn_config(app, host: str, port: int, cert: str | None = None, key: str | None = None, **extra):
    import uvicorn

    return uvicorn.Config(
        app, host=host, port=port, ssl_certfile=cert, ssl_keyfile=key, log_level="warning",
        ws="websockets-sansio", ws_max_size=1024 * 1024, ws_per_message_deflate=False, ws_ping_interval=20, ws_ping_timeout=60,
        timeout_graceful_shutdown=3, **extra,
    )


def local_app(model: str | None, token: str | None, *, device: str = "auto", dtype: str = "auto"):
    from studio.engine.generator import EngineSettings
    from studio.server.app import create_app
    from studio.server.backend import EngineStream, ModelCatalog

    backend = EngineStream(EngineSettings(device=device, dtype=dtype))
    return create_app(backend, token=token, catalog=ModelCatalog(model))


class BackgroundServer:
    """A uvicorn server on a thread, on a port the OS picks (tests, benchmarks)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.server = uvicorn.Server(uvicorn_config(app, host, self.port))
        self.server.install_signal_handlers = lambda: None  # not the main thread
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="studio-server")

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        import time

        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def serve(args) -> int:
    """``studio serve`` (not --ray): block serving until Ctrl+C."""
    import uvicorn

    token = read_token(args.token, args.token_file)
    check_options(args.host, token, args.tls_cert, args.tls_key)
    app = local_app(args.model, token, device=args.device, dtype=args.dtype)
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Studio server on {scheme}://{shown}:{args.port} (token {'required' if token else 'off: loopback only'})",
          file=sys.stderr, flush=True)
    if token and not args.tls_cert and not is_loopback(args.host):
        print("warning: without --tls-cert the token crosses the network in clear text; put TLS in front.",
              file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn_config(app, args.host, args.port, args.tls_cert, args.tls_key)).run()
    return 0
