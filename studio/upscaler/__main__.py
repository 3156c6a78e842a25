"""``python -m studio.upscaler train|export|evaluate``: the bundled upscaler's recipe."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "export", "evaluate"):
        print("usage: python -m studio.upscaler train|export|evaluate [options]", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "train":
        from .train import parse_args, train

        print(train(parse_args(rest)))
    elif command == "export":
        from .export import export

        p = argparse.ArgumentParser(prog="python -m studio.upscaler export")
        p.add_argument("--scales", default="2,4")
        args = p.parse_args(rest)
        for path in export([int(s) for s in args.scales.split(",")]):
            print(path)
    else:
        from .evaluate import evaluate, print_table

        p = argparse.ArgumentParser(prog="python -m studio.upscaler evaluate")
        p.add_argument("--count", type=int, default=100)
        p.add_argument("--scale", type=int, default=4)
        args = p.parse_args(rest)
        print_table(evaluate(count=args.count, scale=args.scale))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
