"""``--server URL --token T`` for commands that can use a remote engine (``studio generate``)."""

from __future__ import annotations

import argparse
import os


def add_server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", default=None, help="generate on a Studio server (http[s]://host:port) instead of here")
    p.add_argument("--token", default=None, help="the server's bearer token (or set STUDIO_TOKEN, or --token-file)")
    p.add_argument("--token-file", default=None, help="file whose first line is the server's token")


def remote_engine(args: argparse.Namespace):
    """The RemoteEngine the options ask for, or None to generate in this process."""
    if not getattr(args, "server", None):
        return None
    from studio.server.client import RemoteEngine
    from studio.server.serve import read_token

    token = read_token(args.token, args.token_file) if (args.token or args.token_file) else os.environ.get("STUDIO_TOKEN")
    return RemoteEngine(args.server, token)
