"""Issue 16: 10,000 hostile metadata inputs through the row insert, 0 crashes (100,000 in the bench)."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.engine.metadata import ImageMetadata
from studio.library import Library
from studio.bench.gallery_fuzz import FIELDS, fuzz, hostile_value

# A pool of hostile values (the bench fuzzer's kinds plus edge cases); hypothesis picks and combines them.
_rng = random.Random(16)
POOL = [hostile_value(_rng) for _ in range(400)] + [
    2**63, 2**64 - 1, -(2**63) - 1, 10**23, float("nan"), float("inf"), 1e300, "\ud800", "caf\udce9", "\x00",
    "x" * 1_100_000, {"name": {"a": 1}}, ["x"], b"\xff", None, True, (1, 2), object(),
]
VALUE = st.sampled_from(POOL) | st.integers(min_value=-(2**80), max_value=2**80) | st.text(max_size=20)
METADATA = st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=len(FIELDS))
STUDIO = st.none() | st.builds(
    lambda params, seed: {"format": "studio", "params": params, "seed": seed},
    VALUE | st.dictionaries(st.sampled_from(["seed", "prompt", "steps", "model"]), VALUE, max_size=4),
    VALUE,
)
BATCH = 20  # inputs per example: 500 examples x 20 = 10,000 inputs
counter = itertools.count()


def test_row_insert_takes_any_metadata(tmp_path):
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="studio-fuzz-", dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    lib = Library.open(root)
    crashes: list[str] = []

    @settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")), deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(st.lists(st.tuples(METADATA, STUDIO), min_size=BATCH, max_size=BATCH))
    def check(batch):
        ids = []
        with lib._tx() as con:  # one transaction per example; a savepoint isolates each input
            for fields, studio in batch:
                md = ImageMetadata(**fields)
                md.studio = studio
                n = next(counter)
                con.execute("SAVEPOINT one")
                try:
                    row = {"path": f"gallery/fuzz/{n}.png", "created": 1.0, **lib._row_from_metadata(md)}
                    ids.append(lib._insert(con, row))
                except Exception as exc:  # noqa: BLE001 - collected and reported below
                    con.execute("ROLLBACK TO one")
                    crashes.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                con.execute("RELEASE one")
        for entry in lib.get_many(ids):
            json.dumps(entry.to_json(), allow_nan=False)  # every row reads back as strict JSON

    try:
        check()
        inputs = next(counter)
        rows = lib.count()
    finally:
        lib.close()
        if root != tmp_path:
            shutil.rmtree(root, ignore_errors=True)
    assert inputs >= 10_000
    assert crashes == [] and rows == inputs


def test_bench_fuzzer_finds_no_crash(studio_home):
    with Library.open() as lib:
        assert fuzz(lib, 300, seed=3) == {}
        assert lib.count() == 300
