"""``studio serve``: the engine behind an HTTP + WebSocket API, on this machine or as a Ray Serve cluster."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the engine over HTTP + WebSocket",
        description="Serve the engine to Studio windows, `studio generate --server` and scripts. "
        "A host other than loopback needs a token. The API schema is at /openapi.json.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--token", default=None, help="bearer token clients must send (prefer --token-file)")
    p.add_argument("--token-file", default=None, help="file whose first line is the token")
    p.add_argument("--tls-cert", default=None, help="TLS certificate (PEM) to serve https/wss")
    p.add_argument("--tls-key", default=None, help="TLS private key (PEM)")
    p.add_argument("--model", default=None, help="the model jobs use when they name none (default: starter)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--dtype", default="auto", help="auto, float32, float16, bfloat16")
    p.add_argument("--ray", action="store_true", help="run as a Ray Serve application (needs studio[cluster])")
    p.add_argument("--replicas", type=int, default=1, help="--ray: most engine replicas (autoscaled from 1)")
    p.add_argument("--num-gpus", type=float, default=0.0, help="--ray: GPUs per engine replica (0.5 shares one)")
    p.set_defaults(func=run)


def _missing(extra: str, exc: ModuleNotFoundError):
    from studio.engine.errors import StudioError

    return StudioError(f"`studio serve{' --ray' if extra == 'cluster' else ''}` needs {exc.name}: "
                       f"pip install \"studio[{extra}]\".")


def run(args: argparse.Namespace) -> int:
    from studio.engine.errors import InvalidRequest

    if not 0 <= args.port <= 65535:
        raise InvalidRequest(f"--port must be between 0 and 65535 (got {args.port}).")
    if args.replicas < 1 or args.num_gpus < 0:
        raise InvalidRequest("--replicas must be at least 1 and --num-gpus at least 0.")
    try:
        if args.ray:
            from studio.server.ray_app import serve_ray

            return serve_ray(args)
        from studio.server.serve import serve
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("fastapi", "uvicorn", "starlette", "ray", "websockets"):
            raise _missing("cluster" if args.ray else "server", exc) from None
        raise
    return serve(args)
