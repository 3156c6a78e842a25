"""studio.library: atomic adds, crash recovery, reconcile, FTS search, trash, boards, import, migrations."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine import metadata as md
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.fsutil import TEMP_PREFIX
from studio.library import Library
from studio.library import db as dbmod

DATA = Path(__file__).parent / "data" / "interop"
ROOT = Path(__file__).resolve().parent.parent


def gen(prompt="a red fox", seed=1, negative="", model="tiny", size=(32, 32), value=None) -> GeneratedImage:
    req = GenerationRequest(prompt=prompt, negative_prompt=negative, seed=seed, steps=12, scheduler="Euler")
    h, w = size
    arr = np.full((h, w, 3), value if value is not None else (seed * 37) % 256, np.uint8)
    arr[: h // 2, :, 0] = 255 - arr[0, 0, 0]
    return GeneratedImage(arr, seed=seed, index=0, request=req, model_name=model, model_hash="abc", elapsed=0.5)


@pytest.fixture
def lib(studio_home):
    library = Library.open()
    yield library
    library.close()


def test_open_defaults_to_studio_home(studio_home):
    with Library.open() as library:
        assert library.root == studio_home
        assert (studio_home / "library.db").exists()
        con = sqlite3.connect(studio_home / "library.db")
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
        con.close()


def test_add_generated_writes_png_then_row(lib, studio_home):
    mask = np.zeros((32, 32), np.uint8)
    mask[4:10, 4:10] = 255
    entry = lib.add_generated(gen("a castle on a hill", seed=77), mask=mask)
    assert entry.path.exists() and entry.path.parent.parent == studio_home / "gallery"
    assert len(entry.path.parent.name) == 10  # YYYY-MM-DD
    assert entry.mask_path is not None and np.array_equal(np.asarray(Image.open(entry.mask_path)), mask)
    assert (entry.prompt, entry.seed, entry.model, entry.steps, entry.sampler) == ("a castle on a hill", 77, "tiny", 12, "Euler")
    assert entry.params["seed"] == 77 and GenerationRequest.from_params(entry.params).seed == 77
    meta = md.read_metadata(entry.path)
    assert meta.source == "studio" and meta.seed == 77
    assert not list(studio_home.rglob(TEMP_PREFIX + "*"))


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from studio.library import Library
    from test_library_core import gen

    lib = Library.open()

    def crash(*args, **kwargs):
        os._exit(3)  # the process dies after the file is in place, before the row is committed

    lib._insert_row = crash
    lib.add_generated(gen("the lost lighthouse", seed=4242))
    """
)


def test_crash_between_file_and_row_loses_nothing(lib, studio_home):
    lib.add_generated(gen("kept", seed=1))
    script = CRASH_SCRIPT.format(tests=str(Path(__file__).parent))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 3, proc.stderr.decode()
    # The file is complete and in place; the row is missing.
    files = sorted((studio_home / "gallery").rglob("*.png"))
    assert len(files) == 2 and lib.count() == 1
    # Also a half-written temp file of an interrupted write.
    leftover = files[0].parent / f"{TEMP_PREFIX}abc.png"
    leftover.write_bytes(b"\x89PNG partial")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    report = lib.reconcile()
    assert len(report.added) == 1 and report.leftovers == [str(leftover)]
    found = lib.search("lighthouse")
    assert [e.seed for e in found] == [4242] and found[0].source == "studio"
    assert found[0].params["seed"] == 4242 and not leftover.exists()


def test_young_temp_files_left_alone(lib, studio_home):
    lib.add_generated(gen())
    tmp = next((studio_home / "gallery").iterdir()) / f"{TEMP_PREFIX}inflight.png"
    tmp.write_bytes(b"writing...")
    assert lib.reconcile().leftovers == [] and tmp.exists()


def test_reconcile_external_add_remove_corrupt(lib, studio_home):
    a = lib.add_generated(gen("alpha", seed=1))
    b = lib.add_generated(gen("bravo", seed=2))
    c = lib.add_generated(gen("charlie", seed=3))
    lib.set_favourite([c.id])
    lib.add_to_board([c.id], "keepers")
    # added behind the library's back: an A1111 image and a garbage file
    folder = studio_home / "gallery" / "from-elsewhere"
    folder.mkdir()
    (folder / "a1111.png").write_bytes((DATA / "a1111.png").read_bytes())
    (folder / "garbage.png").write_bytes(b"not a png at all")
    # removed behind its back
    b.path.unlink()
    # corrupted: truncated in place
    data = c.path.read_bytes()
    c.path.write_bytes(data[: len(data) // 3])
    # changed: re-encoded with another prompt
    newer = gen("alpha edited", seed=11)
    a.path.write_bytes(md.encode_png(newer))

    report = lib.reconcile()
    assert report.removed == [b.rel_path]
    assert len(report.added) == 2 and report.updated == [a.id]
    assert c.id in report.broken
    assert lib.get(b.id) is None
    assert lib.get(a.id).prompt == "alpha edited" and lib.get(a.id).seed == 11
    broken = lib.get(c.id)
    assert broken.broken and broken.favourite and broken.boards == ["keepers"] and broken.prompt == "charlie"
    assert c.path.exists()  # never deleted
    imported = lib.search("lighthouse")
    assert len(imported) == 1 and imported[0].source == "a1111" and imported[0].seed == 3141592653
    garbage = [e for e in lib.list() if e.path.name == "garbage.png"]
    assert len(garbage) == 1 and garbage[0].broken and garbage[0].path.exists()
    # Repairing the file clears the flag; a second reconcile finds nothing to do.
    c.path.write_bytes(data)
    report = lib.reconcile()
    assert report.updated == [c.id] and not lib.get(c.id).broken
    assert not lib.reconcile().changed


def test_fts_search_and_filters(lib):
    e1 = lib.add_generated(gen("a majestic lighthouse at dusk", seed=1, negative="blurry", model="m1"))
    e2 = lib.add_generated(gen("a cosy cabin in the snow", seed=2, negative="lighthouse", model="m2"))
    e3 = lib.add_generated(gen("Café crème, Ünïcode façade 🍣", seed=3, model="m1"))
    ids = lambda entries: sorted(e.id for e in entries)  # noqa: E731
    assert ids(lib.search("lighthouse")) == [e1.id, e2.id]  # prompt and negative prompt
    assert ids(lib.search("light")) == [e1.id, e2.id]  # prefix while typing
    assert ids(lib.search("lighthouse dusk")) == [e1.id]
    assert ids(lib.search('"cosy cabin"')) == [e2.id]
    assert ids(lib.search("lighthouse -dusk")) == [e2.id]
    assert ids(lib.search("cafe unicode facade")) == [e3.id]  # diacritics folded
    assert ids(lib.search("🍣")) == [e3.id]
    assert ids(lib.search('AND OR NOT "( * ^')) == []  # never an FTS syntax error
    assert ids(lib.search("", model="m1")) == [e1.id, e3.id]
    lib.set_favourite([e2.id])
    assert ids(lib.search("", favourite=True)) == [e2.id]
    lib.add_to_board([e1.id, e3.id], "Moodboard")
    assert ids(lib.search("", board="Moodboard")) == [e1.id, e3.id]
    assert lib.boards() == [("Moodboard", 2)]
    assert [e.id for e in lib.list(sort="newest")] == [e3.id, e2.id, e1.id]
    assert [e.id for e in lib.list(sort="oldest")] == [e1.id, e2.id, e3.id]
    assert sorted(lib.query_ids(sort="random", random_seed=5)) == [e1.id, e2.id, e3.id]
    today = time.strftime("%Y-%m-%d")
    assert len(lib.search("", date_from=today, date_to=today)) == 3
    assert lib.search("", date_to="2000-01-01") == []
    assert lib.models() == ["m1", "m2"]


def test_fts_many_rows(lib, studio_home):
    """Search stays correct across hundreds of rows (inserted through the real reconcile)."""
    folder = studio_home / "gallery" / "2026-01-01"
    folder.mkdir(parents=True)
    words = ["fox", "owl", "cat", "dog", "eel"]
    for i in range(600):
        img = gen(f"{words[i % 5]} number{i}", seed=i)
        (folder / f"{i:06d}.png").write_bytes(md.encode_png(img))
    assert len(lib.reconcile().added) == 600
    assert lib.count("owl") == 120
    assert lib.count('"number59"') == 1  # quoted: the exact word
    assert lib.count("number59") == 11  # typed: a prefix (59, 590-599)
    assert lib.count("number5") == 111


def test_delete_restore_empty_trash(lib, studio_home):
    mask = np.full((32, 32), 255, np.uint8)
    a = lib.add_generated(gen("alpha"), mask=mask)
    b = lib.add_generated(gen("bravo", seed=2))
    assert lib.delete([a.id]) == [a.id]
    assert not a.path.exists() and not a.mask_path.exists()
    assert [e.id for e in lib.list()] == [b.id]
    trashed = lib.list(trashed=True)
    assert [e.id for e in trashed] == [a.id] and trashed[0].path.exists() and trashed[0].path.parent == studio_home / "trash"
    assert lib.search("alpha") == []
    assert lib.restore([a.id]) == [a.id]
    again = lib.get(a.id)
    assert again.path == a.path and a.path.exists() and again.mask_path == a.mask_path and a.mask_path.exists()
    lib.delete([a.id, b.id])
    assert lib.empty_trash() == 2
    assert lib.list(trashed=True) == [] and lib.list() == []
    assert not any((studio_home / "trash").iterdir())
    assert not list((studio_home / "gallery").rglob("*.png"))


def test_restore_when_original_name_taken(lib):
    a = lib.add_generated(gen("alpha"))
    lib.delete([a.id])
    a.path.write_bytes(md.encode_png(gen("squatter", seed=9)))
    lib.restore([a.id])
    back = lib.get(a.id)
    assert back.path != a.path and back.path.exists() and a.path.exists()
    assert md.read_metadata(back.path).prompt == "alpha"


def test_interrupted_delete_is_finished_by_reconcile(lib):
    a = lib.add_generated(gen("alpha"))
    # the file moved to the trash, then the process died before the row was updated
    os.replace(a.path, lib._trash_name(a.id, a.rel_path))
    report = lib.reconcile()
    assert report.repaired == [a.id] and report.removed == []
    assert lib.list() == [] and [e.id for e in lib.list(trashed=True)] == [a.id]
    assert lib.restore([a.id]) == [a.id] and a.path.exists()


def test_import_folder_reads_other_tools(lib, tmp_path):
    src = tmp_path / "downloads"
    (src / "sub").mkdir(parents=True)
    for name in ("a1111.png", "a1111.jpg", "forge.webp", "comfyui.png", "invokeai.png", "plain.png"):
        (src / name).write_bytes((DATA / name).read_bytes())
    (src / "sub" / "copy.png").write_bytes((DATA / "a1111.png").read_bytes())  # same bytes: a duplicate
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (src / "notes.txt").write_text("not an image")
    report = lib.import_folder(src)
    assert len(report.added) == 6
    assert [p.name for p in report.duplicates] == ["copy.png"]
    assert [p.name for p, _why in report.skipped] == ["broken.png"]
    by_source = {}
    for entry in lib.get_many(report.added):
        by_source.setdefault(entry.source, []).append(entry)
        assert entry.path.is_relative_to(lib.gallery_dir)
    assert len(by_source["a1111"]) == 3
    comfy = by_source["comfyui"][0]
    assert (comfy.seed, comfy.steps, comfy.cfg_scale, comfy.sampler, comfy.model) == (156680208700286, 20, 8.0, "DPM++ 2M Karras", "sd_xl_base_1.0")
    invoke = by_source["invokeai"][0]
    assert (invoke.prompt, invoke.seed, invoke.model) == ("a cozy cabin in a snowy forest, warm light", 1234567, "Juggernaut XL v9")
    assert lib.count("galaxy bottle") == 1 and lib.count("snowy") == 1
    # importing again adds nothing
    assert lib.import_folder(src).added == []
    assert not lib.reconcile().changed


def test_migration_from_version_1(studio_home):
    con = sqlite3.connect(studio_home / "library.db")
    for statement in dbmod._split(dbmod.MIGRATIONS[0]):
        con.execute(statement)
    con.execute("PRAGMA user_version=1")
    con.execute("INSERT INTO images(path, created, prompt) VALUES ('gallery/x/old.png', 1.0, 'an old row')")
    con.commit()
    con.close()
    with Library.open() as library:
        assert dbmod.schema_version(library._con()) == dbmod.SCHEMA_VERSION
        assert library.get(1).prompt == "an old row" and library.get(1).boards == []
        assert library.count("old") == 1


def test_newer_schema_refused(studio_home):
    con = sqlite3.connect(studio_home / "library.db")
    con.execute(f"PRAGMA user_version={dbmod.SCHEMA_VERSION + 1}")
    con.close()
    from studio.fsutil import StorageError

    with pytest.raises(StorageError, match="newer Studio"):
        Library.open()


def test_threads_each_get_a_connection(lib):
    import threading

    errors = []

    def worker(n):
        try:
            for i in range(5):
                lib.add_generated(gen(f"thread{n} image{i}", seed=n * 10 + i))
            lib.search(f"thread{n}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and lib.count() == 15 and lib.count("thread1") == 5


def test_thumbnails_cached_and_invalidated(lib):
    entry = lib.add_generated(gen("thumb", size=(400, 600)))  # 600 wide, 400 high
    cache = lib.thumbnails
    first = cache.get(entry.path)
    assert first.suffix == ".webp" and first.is_relative_to(lib.thumbs_dir)
    with Image.open(first) as im:
        assert max(im.size) == 256 and im.size == (256, 171)
    assert cache.get(entry.path) == first  # cached
    time.sleep(0.01)
    entry.path.write_bytes(md.encode_png(gen("thumb changed", size=(200, 200), value=9)))
    second = cache.get(entry.path)
    assert second != first
    with Image.open(second) as im:
        assert im.size == (200, 200)
    future = cache.submit(entry.path)
    assert future.result(timeout=30).size == (200, 200)
    assert cache.prune([entry.path]) == 1 and second.exists() and not first.exists()


def test_ids_are_never_reused(lib):
    a = lib.add_generated(gen("first"))
    lib.delete([a.id])
    lib.empty_trash()
    b = lib.add_generated(gen("second"))
    assert b.id > a.id and lib.get(a.id) is None


def test_reconcile_racing_a_writer_loses_nothing(studio_home):
    """Another writer (the UI's worker, a CLI run) adds an image while a reconcile runs."""
    writer = Library.open()
    added = []

    class Racing(Library):
        def _scan(self):
            found = super()._scan()
            # the writer commits a new image right after the folders were scanned
            added.append(writer.add_generated(gen("committed during the scan", seed=5)))
            return found

    lib = Racing(studio_home)
    report = lib.reconcile()
    assert report.removed == [] and report.added == []
    assert lib.get(added[0].id) is not None and added[0].path.exists()
    assert lib.count("scan") == 1
    lib.close()
    writer.close()


def test_add_generated_after_reconcile_indexed_the_file(lib, studio_home):
    """A reconcile may index a file between its write and its row: the add still succeeds, one row."""
    img = gen("indexed twice", seed=8)
    lib.set_favourite([])  # open the connection
    original = lib._insert_row

    def reconcile_first(row):
        # the file is in place; another thread's reconcile indexes it before our commit
        other = Library.open()
        assert len(other.reconcile().added) == 1
        other.close()
        return original(row)

    lib._insert_row = reconcile_first
    entry = lib.add_generated(img)
    assert lib.count() == 1 and entry.seed == 8 and entry.source == "studio"
