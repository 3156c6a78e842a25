"""The interop table for the closing note: per origin tool, files read by Studio, sd-parsers and sd-prompt-reader.

    python tools/interop_table.py [../shared/interop]

For each reader: "read" counts files it returned generation metadata for (a
prompt or a seed/steps; sd-prompt-reader: a recognised tool); "prompt" counts
files whose reference prompt (expected.json, whitespace-normalised) it
returned, out of the files that have one. Crashes of the reference readers
count as not read.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.engine.errors import ImageLoadError  # noqa: E402
from studio.engine.metadata import read_metadata  # noqa: E402


def _norm(text: str) -> str:
    return " ".join((text or "").split())


def _studio(path: Path) -> tuple[bool, str]:
    try:
        md = read_metadata(path)
    except ImageLoadError:
        return False, ""
    return (md.source != "unknown" and bool(md.prompt or md.seed is not None or md.steps)), md.prompt


def _sd_parsers(path: Path) -> tuple[bool, str]:
    from sd_parsers import ParserManager
    from sd_parsers.extractors import _jpeg_usercomment, _png_stenographic_alpha

    # sd-parsers caches the last image's metadata by id(image): a new image with a freed one's id reads stale data
    _jpeg_usercomment._image_id = _png_stenographic_alpha._image_id = None
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            info = ParserManager().parse(str(path))
    except Exception:  # noqa: BLE001 - a reference reader's crash is "not read"
        return False, ""
    if info is None:
        return False, ""
    return bool(info.full_prompt or info.samplers), info.full_prompt or ""


def _sd_prompt_reader(path: Path) -> tuple[bool, str]:
    from sd_prompt_reader.image_data_reader import ImageDataReader

    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            got = ImageDataReader(str(path))
            return bool(got.tool), got.positive or ""
    except Exception:  # noqa: BLE001
        return False, ""


READERS = {"Studio": _studio, "sd-parsers": _sd_parsers, "sd-prompt-reader": _sd_prompt_reader}


def table(folder: Path) -> str:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, want in expected.items():
        origin = want["origin"]
        refs = {_norm(p) for p in want["prompts"]}
        refs |= {_norm(p.encode("latin-1", "ignore").decode("utf-8", "ignore")) for p in want["prompts"]}
        refs.discard("")
        counts[origin][0] += 1
        counts[origin][1] += bool(want["prompts"])
        for label, reader in READERS.items():
            read, prompt = reader(folder / name)
            rows[origin][label][0] += read
            rows[origin][label][1] += bool(want["prompts"]) and _norm(prompt) in refs
    head = f"| {'origin':42} | files | w/ ref prompt | " + " | ".join(f"{k}: read, prompt" for k in READERS) + " |"
    lines = [head, "|" + "---|" * (3 + len(READERS))]
    total = defaultdict(lambda: [0, 0])
    for origin in sorted(rows):
        n, with_prompt = counts[origin]
        cells = []
        for label in READERS:
            read, ok = rows[origin][label]
            total[label][0] += read
            total[label][1] += ok
            cells.append(f"{read}/{n}, {ok}/{with_prompt}")
        lines.append(f"| {origin:42} | {n:5} | {with_prompt:13} | " + " | ".join(cells) + " |")
    n = sum(c[0] for c in counts.values())
    wp = sum(c[1] for c in counts.values())
    lines.append(f"| {'ALL':42} | {n:5} | {wp:13} | " + " | ".join(f"{total[k][0]}/{n}, {total[k][1]}/{wp}" for k in READERS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared" / "interop"
    print(table(folder))
