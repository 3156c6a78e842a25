"""Issue 16: one hostile file never breaks the gallery; links, FIFOs, trashed names, duplicates by hash."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studio.cli.main import main as cli
from studio.engine import metadata as md
from studio.library import Library
from studio.library.rows import MAX_PROMPT_CHARS, clean_row
from test_library_core import gen

BIG_SEED_TEXT = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 99999999999999999999999, Size: 512x512"


def png(path: Path, colour=(10, 20, 30), **chunks: str) -> Path:
    """A small PNG with the given text chunks (the repro files of the issue)."""
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), colour).save(path, pnginfo=info)
    return path


@pytest.fixture
def lib(studio_home):
    library = Library.open()
    yield library
    library.close()


@pytest.fixture(autouse=True)
def no_hang():
    """A FIFO opened by mistake would block forever: fail the test instead."""
    def stuck(*_):
        raise TimeoutError("blocked (a FIFO opened?)")

    old = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def hostile_files(folder: Path) -> list[Path]:
    studio = lambda params: json.dumps({"format": "studio", "format_version": 1, "params": params, "seed": 2**64 - 1})  # noqa: E731
    return [
        png(folder / "bigseed.png", (1, 2, 3), parameters=BIG_SEED_TEXT),
        png(folder / "surrogate.png", (4, 5, 6), studio=studio({"prompt": "caf\ud800e", "steps": 2**70}).replace("\ud800", "\\ud800")),
        png(folder / "dicts.png", (7, 8, 9), studio=studio({"prompt": {"a": 1}, "negative_prompt": ["x"], "model": {"name": {}}})),
        png(folder / "huge.png", (10, 11, 12), parameters="p " * 400_000 + "\nSteps: 20, Sampler: Euler, Seed: 1"),
    ]


def test_import_of_hostile_metadata_indexes_every_file(lib, tmp_path, capsys):
    files = hostile_files(tmp_path / "in")
    report = lib.import_folder(tmp_path / "in")
    assert len(report.added) == len(files) and not report.skipped and report.stopped is None
    entries = {Path(e.path).name: e for e in lib.list()}
    assert set(entries) == {f.name for f in files}
    big = entries["bigseed.png"]
    assert big.prompt == "a cat" and big.seed is None
    # a seed the reader keeps (ComfyUI's go to 2^64-1) but SQLite cannot hold is kept exactly, as text, beside
    # the NULL column; this one is beyond any tool's range, so the reader already calls it unknown
    read_seed = md.read_metadata(files[0]).seed
    if read_seed is None:
        assert "seed" not in big.params.get("out_of_range", {})
    else:
        assert big.params["out_of_range"]["seed"] == str(read_seed)
    assert "\ufffd" in entries["surrogate.png"].prompt or entries["surrogate.png"].prompt == ""
    assert len(entries["huge.png"].prompt) <= MAX_PROMPT_CHARS  # a 1 MB chunk is not indexed whole
    assert lib.count("cat") == 1
    # and the CLI keeps working on that gallery
    assert cli(["gallery", "list"]) == 0
    assert "a cat" in capsys.readouterr().out


def test_issue_repro_big_seed_through_the_cli(studio_home, tmp_path, capsys):
    png(tmp_path / "in" / "cat.png", parameters=BIG_SEED_TEXT)
    assert cli(["gallery", "import", str(tmp_path / "in")]) == 0
    assert "Imported 1 image(s)" in capsys.readouterr().out
    assert cli(["gallery", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["prompt"] for r in rows] == ["a cat"]


@pytest.mark.parametrize(
    "value",
    [2**63, 2**64 - 1, -(2**63) - 1, float("inf"), float("nan"), 1e300, {"a": [1, 2]}, ["x"], "\ud800", b"\xff\xfe", None, True],
)
def test_any_value_in_any_column_inserts(lib, value):
    columns = ["width", "height", "seed", "steps", "cfg_scale", "sampler", "model", "model_hash", "prompt", "negative_prompt", "source", "params"]
    for n, column in enumerate(columns):
        row = {"path": f"gallery/x/{column}-{n}-{id(value)}.png", "created": 1.0, column: value}
        with lib._tx() as con:
            assert lib._insert(con, row) is not None
    assert lib.count() == len(columns)
    for entry in lib.list():
        json.dumps(entry.to_json(), allow_nan=False)  # and every row reads back as strict JSON


def test_clean_row_keeps_good_values():
    row = {"path": "gallery/a.png", "created": 5.0, "seed": 42, "cfg_scale": 7, "prompt": "a fox 🦊", "params": {"steps": 3}}
    out = clean_row(row)
    assert out["seed"] == 42 and out["cfg_scale"] == 7.0 and out["prompt"] == "a fox 🦊"
    assert json.loads(out["params"]) == {"steps": 3}


def test_reconcile_isolates_each_file(lib, studio_home, tmp_path):
    keep = lib.add_generated(gen("stale row", seed=3))
    day = studio_home / "gallery" / "2026-01-02"
    good = [png(day / f"good{i}.png", (i, i, i), parameters=f"good {i}\nSteps: 2, Sampler: Euler, Seed: {i}") for i in range(3)]
    hostile_files(day)
    os.mkfifo(day / "pipe.png")
    outside = png(tmp_path / "outside.png", (99, 0, 0))
    (day / "link.png").symlink_to(outside)
    (day / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    keep.path.unlink()  # removed behind the library's back: its row is stale

    class OneBadFile(Library):
        def _row_for_file(self, path, st, **kw):
            if path.name == "good1.png":
                raise RuntimeError("this one file cannot be read")
            return super()._row_for_file(path, st, **kw)

    other = OneBadFile(studio_home)
    report = other.reconcile()
    other.close()
    skipped = {Path(p).name: why for p, why in report.skipped}
    assert set(skipped) == {"pipe.png", "link.png", "good1.png"}
    assert "symbolic link" in skipped["link.png"] and "regular" in skipped["pipe.png"]
    assert report.removed == [keep.rel_path]
    names = {e.path.name for e in lib.list()}
    assert {"good0.png", "good2.png", "bigseed.png", "surrogate.png", "dicts.png", "huge.png"} == names
    # the next reconcile (the window's start-up check) picks up the file that failed once
    report = lib.reconcile()
    assert {e.path.name for e in lib.list()} == names | {good[1].name}
    assert {Path(p).name for p, _ in report.skipped} == {"pipe.png", "link.png"}


def test_import_skips_fifos_and_links_outside(lib, tmp_path):
    src = tmp_path / "in"
    png(src / "a.png", (1, 1, 1))
    os.mkfifo(src / "fifo.png")
    secret = png(tmp_path / "elsewhere" / "secret.png", (2, 2, 2))
    (src / "secret.png").symlink_to(secret)
    (src / "inside.png").symlink_to(src / "a.png")  # a link within the folder: the same picture
    report = lib.import_folder(src)
    assert len(report.added) == 1 and len(report.duplicates) == 1
    why = {p.name: w for p, w in report.skipped}
    assert set(why) == {"fifo.png", "secret.png"} and "outside" in why["secret.png"]
    report = lib.import_files([src / "fifo.png"])  # named directly (a drop, studio info)
    assert report.added == [] and "regular file" in report.skipped[0][1]


def test_import_never_hides_a_new_image_behind_a_trashed_one(lib, tmp_path, capsys):
    a = png(tmp_path / "A" / "cat.png", (200, 0, 0), parameters="picture A\nSteps: 2, Sampler: Euler, Seed: 1")
    b = png(tmp_path / "B" / "cat.png", (0, 200, 0), parameters="picture B\nSteps: 2, Sampler: Euler, Seed: 2")
    os.utime(b, (a.stat().st_mtime, a.stat().st_mtime))  # same day
    (first,) = lib.import_files([a]).added
    lib.delete([first])
    (second,) = lib.import_files([b]).added
    assert second != first
    assert [e.prompt for e in lib.list()] == ["picture B"]
    trashed = lib.list(trashed=True)
    assert [e.prompt for e in trashed] == ["picture A"]
    assert md.read_metadata(trashed[0].path).prompt == "picture A"  # the trash row still shows its own file
    assert md.read_metadata(lib.list()[0].path).prompt == "picture B"
    lib.restore([first])
    assert sorted(e.prompt for e in lib.list()) == ["picture A", "picture B"]
    for e in lib.list():
        assert md.read_metadata(e.path).prompt == e.prompt


def test_duplicates_found_through_the_hash_index(lib, tmp_path):
    folder = tmp_path / "same-size"
    for i in range(12):  # identical byte sizes, different content
        png(folder / f"{i:02d}.png", parameters=f"picture {i:02d}\nSteps: 2, Sampler: Euler, Seed: 1")
    assert len({p.stat().st_size for p in folder.iterdir()}) == 1
    assert len(lib.import_folder(folder).added) == 12
    again = lib.import_folder(folder)
    assert again.added == [] and len(again.duplicates) == 12
    con = lib._con()
    assert con.execute("SELECT COUNT(*) FROM images WHERE content_hash IS NULL").fetchone()[0] == 0
    plan = " ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN SELECT 1 FROM images WHERE content_hash = ? AND trashed IS NULL", ("x",)))
    assert "images_content_hash" in plan
    # rows indexed by reconcile get their hash on the first import that needs it
    lib.add_generated(gen("made here", seed=9))
    con.execute("UPDATE images SET content_hash = NULL")
    assert len(lib.import_folder(folder).duplicates) == 12
    assert con.execute("SELECT COUNT(*) FROM images WHERE content_hash IS NULL AND file_size = ?",
                       (next(folder.iterdir()).stat().st_size,)).fetchone()[0] == 0


def test_interrupted_delete_and_restore_never_leave_a_row_without_its_file(lib, studio_home):
    """The states a kill -9 can leave between the link, the commit and the unlink."""
    a = lib.add_generated(gen("half deleted", seed=1))
    b = lib.add_generated(gen("half restored", seed=2))
    # delete killed after the link, before the commit: the file has two names, the row is not trashed
    trash_a = studio_home / "trash" / f"{a.id}__{a.path.name}"
    os.link(a.path, trash_a)
    # delete killed after the commit, before the unlink
    lib.delete([b.id])
    b_trash = lib.get(b.id).path
    os.link(b_trash, b.path)
    for row in lib._con().execute("SELECT path, trash_path FROM images"):
        assert (studio_home / (row["trash_path"] or row["path"])).exists()
    report = lib.reconcile()
    assert sorted(report.repaired) == sorted([a.id, b.id])
    assert not trash_a.exists() and a.path.exists() and lib.get(a.id).trashed is None
    assert not b.path.exists() and b_trash.exists() and lib.get(b.id).trashed is not None
    assert lib.restore([b.id]) == [b.id] and lib.get(b.id).path.exists() and not b_trash.exists()
    assert lib.count() == 2


def test_read_only_gallery_can_be_browsed(studio_home, tmp_path):
    with Library.open() as library:
        library.add_generated(gen("on a read-only disk", seed=5))
    from studio.library import db as dbmod

    con = dbmod.connect(studio_home / "library.db", read_only=True)
    assert con.execute("SELECT prompt FROM images").fetchone()[0] == "on a read-only disk"
    con.close()


def test_sqlite_errors_are_named_for_what_they_are(tmp_path):
    from studio.library.db import storage_error

    db = tmp_path / "library.db"
    assert "read-only" in str(storage_error(sqlite3.OperationalError("attempt to write a readonly database"), db))
    full = str(storage_error(sqlite3.OperationalError("database or disk is full"), db))
    assert full.startswith("The disk is full") and "MB free" in full and "damaged" not in full
    assert "damaged" in str(storage_error(sqlite3.DatabaseError("file is not a database"), db))
    assert "[Errno" not in full


def test_template_conversion_is_named(lib):
    from studio.engine.errors import StudioError

    entry = lib.add_generated(gen("x", seed=1))
    with pytest.raises(StudioError) as err:
        lib.export([entry.id], lib.root / "out", template="{prompt!r}")
    assert "!r" in str(err.value) and "Unknown field" not in str(err.value)


def test_zip_export_never_overwrites_and_gallery_export_is_refused(lib, tmp_path):
    from studio.engine.errors import StudioError

    entry = lib.add_generated(gen("zipped", seed=1))
    dest = tmp_path / "out.zip"
    dest.write_bytes(b"precious")
    (written,) = lib.export([entry.id], dest)
    assert dest.read_bytes() == b"precious" and written != dest and written.suffix == ".zip"
    with pytest.raises(StudioError, match="gallery"):
        lib.export([entry.id], lib.gallery_dir / "exported")
    assert lib.reconcile().added == []


def test_storage_error_has_no_errno_prefix(tmp_path):
    from studio.fsutil import StorageError

    assert str(StorageError(28, "The disk is full.")) == "The disk is full."
    assert str(StorageError("plain")) == "plain"


def test_add_generated_claims_names_without_clobbering(lib, studio_home):
    img = gen("same name", seed=7)
    entries = [lib.add_generated(img) for _ in range(5)]
    assert len({e.path for e in entries}) == 5 and lib.count() == 5
    arr = np.asarray(Image.open(entries[0].path))
    assert arr.shape == (32, 32, 3)


def test_deleting_an_image_whose_file_is_gone_leaves_no_row(lib):
    entry = lib.add_generated(gen("vanished", seed=1))
    entry.path.unlink()
    assert lib.delete([entry.id]) == [entry.id]
    assert lib.get(entry.id) is None and lib.count(trashed=True) == 0
