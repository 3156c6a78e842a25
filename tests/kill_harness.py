"""kill -9 at random moments of a generate/import/delete/restore loop, then check the library.

A worker process saves generated images (through ``studio generate``'s own
``write_to_gallery``), imports files, deletes and restores, logging each
finished step to a journal (fsync'd). The parent kills it with SIGKILL after
a random delay, then checks what a user would: the database passes
``PRAGMA integrity_check``, every row names a file that exists (before any
repair), and after the next start-up reconcile every file has a row and no
image whose save had finished is missing or shows another image's prompt.

``python tests/kill_harness.py ROOT KILLS [PIXELS.npz]`` prints a JSON summary; it only
uses APIs the original release had too, so it measures any checkout on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

WORKER = r"""
import os, random, sys
import numpy as np
from studio.engine import metadata as md
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.cli.generate_cmd import write_to_gallery
from studio.library import Library

root, run_id, pixels = sys.argv[1], sys.argv[2], sys.argv[3]
arrays = list(np.load(pixels).values()) if pixels != "-" else [np.full((32, 32, 3), 9, np.uint8)]
journal = open(os.path.join(root, "journal.txt"), "a")
assert os.environ["STUDIO_HOME"] == os.path.join(root, "home")
lib = Library.open()
lib.reconcile(min_temp_age=0)
rng = random.Random(run_id)
src = os.path.join(root, "src")
os.makedirs(src, exist_ok=True)

def note(line):
    journal.write(line + "\n"); journal.flush(); os.fsync(journal.fileno())

def image(token, seed):
    req = GenerationRequest(prompt=token, seed=seed, steps=2)
    return GeneratedImage(arrays[seed % len(arrays)], seed, 0, req, "tiny", "h", 0.1)

print("ready", flush=True)
n = 0
while True:
    n += 1
    token = f"t{run_id}x{n}"
    op = rng.choice(["gen", "gen", "imp", "del", "res"])
    if op == "gen":
        write_to_gallery([image(token, 42)])  # same seed every time: the same file name each second
        note(f"gen {token}")
    elif op == "imp":
        path = os.path.join(src, token + ".png")
        with open(path, "wb") as fh:
            fh.write(md.encode_png(image(token, 7)))
        lib.import_files([path])
        note(f"imp {token}")
    elif op == "del":
        ids = lib.query_ids(limit=20)
        if ids:
            lib.delete([rng.choice(ids)])
            note("del")
    else:
        ids = lib.query_ids(trashed=True, limit=20)
        if ids:
            lib.restore([rng.choice(ids)])
            note("res")
"""


def _rows(db: Path) -> tuple[str, list[sqlite3.Row]]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        rows = con.execute("SELECT id, path, trashed, trash_path, prompt FROM images").fetchall()
    finally:
        con.close()
    return ok, rows


def run(root: Path, kills: int = 20, pixels: str = "-", seed: int = 0, min_delay: float = 0.05, max_delay: float = 0.6) -> dict:
    """Kill the worker ``kills`` times; returns tries, kills, losses, crashes and the checks that failed."""
    from studio.engine import metadata as md
    from studio.library import Library

    root = Path(root)
    home = root / "home"
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out = {"kills": 0, "tries": 0, "losses": 0, "crashes": 0, "integrity_failures": 0, "rows_without_file": 0,
           "files_without_row": 0, "wrong_prompt": 0, "reconcile_crashes": 0}
    for run_id in range(kills):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(run_id), pixels],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, STUDIO_HOME=str(home)))
        ready = worker.stdout.readline()
        if ready.strip() != b"ready":
            worker.wait()
            out["crashes"] += 1
            sys.stderr.write(worker.stderr.read().decode(errors="replace")[-1500:])
            continue
        time.sleep(rng.uniform(min_delay, max_delay))
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            out["kills"] += 1
        worker.wait()
        if worker.returncode != -signal.SIGKILL:
            out["crashes"] += 1
            sys.stderr.write(worker.stderr.read().decode(errors="replace")[-1500:])
        worker.stdout.close()
        worker.stderr.close()
        # what the disk holds right after the kill, before any repair
        ok, rows = _rows(home / "library.db")
        if ok != "ok":
            out["integrity_failures"] += 1
        for row in rows:
            rel = row["trash_path"] if row["trashed"] is not None and row["trash_path"] else row["path"]
            if not (home / rel).is_file():
                out["rows_without_file"] += 1
        # the next start-up
        try:
            with Library.open(home) as lib:
                lib.reconcile(min_temp_age=0)
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            out["reconcile_crashes"] += 1
            sys.stderr.write(f"reconcile: {type(exc).__name__}: {exc}\n")
    # final check of every image whose save finished
    journal = (root / "journal.txt").read_text().split("\n") if (root / "journal.txt").exists() else []
    done = [line.split()[1] for line in journal if line.startswith(("gen ", "imp "))]
    out["tries"] = sum(1 for line in journal if line.strip())
    ok, rows = _rows(home / "library.db")
    by_prompt: dict[str, list] = {}
    for row in rows:
        by_prompt.setdefault(row["prompt"], []).append(row)
        rel = row["trash_path"] if row["trashed"] is not None and row["trash_path"] else row["path"]
        path = home / rel
        if not path.is_file():
            out["rows_without_file"] += 1
        elif md.read_metadata(path).prompt != row["prompt"]:
            out["wrong_prompt"] += 1
    indexed = {row["path"] for row in rows if row["trashed"] is None}
    for path in (home / "gallery").rglob("*.png"):
        if not path.name.endswith(".mask.png") and path.relative_to(home).as_posix() not in indexed:
            out["files_without_row"] += 1
    lost = {token for token in done if token not in by_prompt}
    out["losses"] = len(lost) + out["wrong_prompt"]
    out["saved_images_checked"] = len(done)
    return out


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "-")))
