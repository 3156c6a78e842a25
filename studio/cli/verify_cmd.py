"""``studio verify FILE... [--json]``: what each image says about its provenance.

Exit status: 0 when every file was read and no signature is broken, 2 when a
C2PA signature is broken (the file was changed after signing), 1 when a file
cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check an image's Content Credentials, AI source type and watermark",
        description="Report the C2PA Content Credentials (trusted / valid / broken / none, signer, actions, "
        "ingredients), the IPTC digital source type, the invisible watermark and whether AUTOMATIC1111 "
        "parameters are present. Offline: nothing is fetched.",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="PNG, JPEG or WebP files")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.add_argument("--anchors", type=Path, help="PEM file of trust anchors (default: this install's root)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studio.engine.errors import StudioError
    from studio.engine.provenance.verify import verify_file

    anchors = None
    if args.anchors is not None:
        try:
            anchors = args.anchors.read_bytes()
        except OSError as exc:
            raise StudioError(f"Cannot read the trust anchors {args.anchors}: {exc.strerror or exc}") from None
    status = 0
    for n, path in enumerate(args.files):
        report = verify_file(path, anchors=anchors)
        if report.error:
            status = max(status, 1)
        if report.c2pa == "broken":
            status = 2
        if args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False), flush=True)
            continue
        if n:
            print()
        print(f"File: {path}")
        if report.error and report.c2pa == "none" and report.source_type is None:
            print(f"  {report.error}")
            continue
        for line in report.lines():
            print(line)
        if report.error:
            print(report.error)
    return status
