"""``studio``: launch the app, or run a headless subcommand.

Every subcommand module exposes ``register(subparsers)`` and ``run(args) -> int``.
User errors (:class:`StudioError`, :class:`StorageError`) print one line and
exit 1; nothing prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from studio import __version__

SUBCOMMANDS = ["generate_cmd", "info_cmd", "gallery_cmd", "models_cmd", "upscale_cmd", "style_cmd", "verify_cmd",
               "bench_cmd", "serve_cmd"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Studio: a desktop AI art studio. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("--model", help="model the window opens on (default: the bundled starter model)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"studio.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"studio.cli.{name}":
                continue  # a subcommand this build does not ship
            raise
        module.register(subparsers)
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"studio: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        from studio.ui.app import run_app

        return run_app(["studio", *argv], model=args.model)
    from studio.engine.errors import GenerationCancelled, StudioError
    from studio.fsutil import StorageError

    try:
        return int(args.func(args) or 0)
    except GenerationCancelled as exc:
        return _fail(str(exc), 130)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except (StudioError, StorageError) as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
