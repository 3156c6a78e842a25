"""``studio gallery``: list, search, import and export the local library under STUDIO_HOME."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("gallery", help="the local image library", description="Browse, import and export the library under STUDIO_HOME.")
    sub = p.add_subparsers(dest="gallery_command", metavar="ACTION", required=True)

    def filters(q: argparse.ArgumentParser) -> None:
        q.add_argument("--json", action="store_true", help="one JSON object per line per image")
        q.add_argument("--sort", choices=["newest", "oldest", "random"], default="newest")
        q.add_argument("--limit", type=int, default=None, help="at most N images")
        q.add_argument("--model", help="only images made with this model")
        q.add_argument("--favourites", action="store_true", help="only favourites")
        q.add_argument("--board", help="only images on this board")
        q.add_argument("--since", help="only images made on or after this date (YYYY-MM-DD)")
        q.add_argument("--until", help="only images made on or before this date (YYYY-MM-DD)")
        q.add_argument("--trash", action="store_true", help="list the trash instead")
        q.add_argument("--no-reconcile", action="store_true", help="skip the check for files added or removed outside Studio")

    q = sub.add_parser("list", help="list images, newest first")
    filters(q)
    q = sub.add_parser("search", help="full-text search over prompts and negative prompts")
    q.add_argument("query", help='words to find (prefix match; "a phrase"; -word excludes)')
    filters(q)

    q = sub.add_parser("export", help="export images with their metadata")
    q.add_argument("ids", nargs="+", type=int, metavar="ID")
    q.add_argument("--to", required=True, type=Path, metavar="DIR|FILE.zip", help="a folder, or a .zip archive")
    q.add_argument("--format", choices=["png", "jpeg", "webp"], default=None, help="convert (default: keep each file's format)")
    q.add_argument("--strip-metadata", action="store_true", help="write the pixels only, no metadata (same as --keep none)")
    q.add_argument("--keep", choices=["all", "provenance", "none"], default=None,
                   help="all: parameters and provenance (default); provenance: no generation parameters, "
                   "keep the AI source type, Content Credentials and watermark; none: pixels only")
    q.add_argument("--no-watermark", action="store_true", help="no invisible watermark in the exported files")
    q.add_argument("--template", default="{date}-{seed}-{prompt}", help="file-name template (default: %(default)s)")
    q.add_argument("--sidecar", choices=["txt", "json"], help="also write a .txt or .json beside each image")
    q.add_argument("--json", action="store_true", help="one JSON object per written file")

    q = sub.add_parser(
        "import",
        help="copy a folder of images (with their A1111/ComfyUI/InvokeAI metadata) into the library",
        description="Copy the images of a folder (recursively) into the library. Only regular files are read: "
        "links to files outside the folder, FIFOs and devices are skipped with a note.",
    )
    q.add_argument("folder", type=Path)
    q.add_argument("--json", action="store_true", help="one JSON object per imported image")

    q = sub.add_parser("delete", help="move images to the trash")
    q.add_argument("ids", nargs="+", type=int, metavar="ID")
    q = sub.add_parser("restore", help="bring images back from the trash")
    q.add_argument("ids", nargs="+", type=int, metavar="ID")
    sub.add_parser("empty-trash", help="delete the images in the trash for good")
    q = sub.add_parser("reconcile", help="re-index files added, removed or changed outside Studio")
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _print_entries(entries, as_json: bool) -> None:
    out = sys.stdout
    if as_json:
        for entry in entries:
            out.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
        return
    if not entries:
        print("No images.")
        return
    for e in entries:
        prompt = " ".join(e.prompt.split())
        if len(prompt) > 60:
            prompt = prompt[:59] + "…"
        seed = "" if e.seed is None else str(e.seed)
        flag = "*" if e.favourite else " "
        print(f"{e.id:>6} {flag} {e.created_iso[:19].replace('T', ' ')}  {seed:>12}  {(e.model or '-')[:20]:<20}  {prompt}")


def run(args: argparse.Namespace) -> int:
    from studio.engine.errors import StudioError
    from studio.library import Library

    from studio.cli.textargs import checked_text

    for name in ("query", "model", "board", "template"):
        if getattr(args, name, None) is not None:
            setattr(args, name, checked_text(getattr(args, name), {"query": "search text"}.get(name, name)))
    with Library.open() as lib:
        action = args.gallery_command
        if action in ("list", "search"):
            from studio.library.search import _to_ts

            _to_ts(args.since), _to_ts(args.until)  # a bad date is reported before any work
            if not args.no_reconcile:
                try:
                    lib.reconcile()
                except OSError as exc:  # a full disk: list what the index holds, say why it is not re-checked
                    print(f"studio: warning: {exc}", file=sys.stderr)
            entries = lib.search(
                getattr(args, "query", ""),
                sort=args.sort,
                limit=args.limit,
                model=args.model,
                favourite=True if args.favourites else None,
                board=args.board,
                date_from=args.since,
                date_to=args.until,
                trashed=args.trash,
            )
            _print_entries(entries, args.json)
            return 0
        if action == "export":
            written = lib.export(
                args.ids,
                args.to,
                fmt=args.format,
                strip=args.strip_metadata,
                template=args.template,
                sidecar=args.sidecar,
                keep=args.keep,
                watermark=not args.no_watermark,
            )
            if args.strip_metadata or args.keep == "none":
                from studio.engine.provenance import STRIP_ALL_WARNING

                print(f"studio: warning: {STRIP_ALL_WARNING}", file=sys.stderr)
            for path in written:
                print(json.dumps({"path": str(path)}) if args.json else path)
            return 0
        if action == "import":
            if not args.folder.is_dir():
                raise StudioError(f"{args.folder} is not a folder.")
            report = lib.import_folder(args.folder)
            if args.json:
                _print_entries(lib.get_many(report.added), True)
            else:
                print(f"Imported {len(report.added)} image(s) into {lib.gallery_dir}.")
                if report.duplicates:
                    print(f"Skipped {len(report.duplicates)} already in the library.")
                for path, why in report.skipped:
                    print(f"Skipped {path}: {why}")
            if report.stopped:
                raise StudioError(f"The import stopped after {len(report.added)} image(s): {report.stopped}")
            return 0
        if action == "delete":
            moved = lib.delete(args.ids)
            print(f"Moved {len(moved)} image(s) to the trash.")
            return 0 if moved else 1
        if action == "restore":
            back = lib.restore(args.ids)
            print(f"Restored {len(back)} image(s).")
            return 0 if back else 1
        if action == "empty-trash":
            print(f"Deleted {lib.empty_trash()} image(s) for good.")
            return 0
        if action == "reconcile":
            report = lib.reconcile()
            summary = {
                "added": len(report.added),
                "removed": len(report.removed),
                "updated": len(report.updated),
                "broken": len(report.broken),
                "repaired": len(report.repaired),
                "leftovers": len(report.leftovers),
                "skipped": len(report.skipped),
                "scanned": report.scanned,
                "seconds": round(report.seconds, 3),
            }
            print(json.dumps(summary) if args.json else ", ".join(f"{k}: {v}" for k, v in summary.items()))
            if not args.json:
                for path, why in report.skipped:
                    print(f"Skipped {path}: {why}")
            return 0
    raise StudioError(f"Unknown gallery action {action!r}.")
