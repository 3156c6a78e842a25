"""Several processes saving same-seed images into one library at the same moment.

``python tests/concurrent_writers.py ROOT PROCS PER_PROC`` prints a JSON summary;
the test in test_library_concurrency.py calls :func:`run`. Runs against any
checkout on PYTHONPATH (it only uses Library.add_generated and list).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

WORKER = r"""
import os, sys, time
import numpy as np
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.library import Library

root, proc, n, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
lib = Library.open(root)
while time.time() < go:
    time.sleep(0.001)
for i in range(n):
    req = GenerationRequest(prompt=f"writer {proc} image {i}", seed=1234, steps=2)
    arr = np.full((16, 16, 3), 7, np.uint8)
    lib.add_generated(GeneratedImage(arr, 1234, 0, req, "tiny", "h", 0.1))
lib.close()
"""


def run(root: Path, procs: int = 3, per_proc: int = 40) -> dict:
    """Start ``procs`` writers together; count the images kept, each with its own row and file."""
    root = Path(root)
    env = dict(os.environ)
    go = time.time() + 2.0 + 0.3 * procs  # every process imported and waiting
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(p), str(per_proc), str(go)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for p in range(procs)
    ]
    crashes = 0
    for w in workers:
        _out, err = w.communicate(timeout=300)
        if w.returncode != 0:
            crashes += 1
            sys.stderr.write(err.decode(errors="replace")[-2000:])
    from studio.engine import metadata as md
    from studio.library import Library

    wanted = {f"writer {p} image {i}" for p in range(procs) for i in range(per_proc)}
    with Library.open(root) as lib:
        entries = lib.list()
    paths = {e.path for e in entries}
    own_file = sum(1 for e in entries if e.path.exists() and md.read_metadata(e.path).prompt == e.prompt)
    kept = {e.prompt for e in entries} & wanted
    return {
        "writers": procs,
        "saves": len(wanted),
        "rows": len(entries),
        "kept": len(kept),
        "distinct_files": len(paths),
        "rows_showing_their_own_file": own_file,
        "writer_crashes": crashes,
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
