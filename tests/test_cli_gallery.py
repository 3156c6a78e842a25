"""``studio gallery ...`` and ``studio info`` through the real CLI dispatcher."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from studio.cli.main import main as cli
from studio.engine.events import GeneratedImage
from studio.engine.request import GenerationRequest
from studio.library import Library

DATA = Path(__file__).parent / "data" / "interop"


def add(prompt, seed):
    req = GenerationRequest(prompt=prompt, seed=seed, steps=4)
    img = GeneratedImage(np.full((16, 24, 3), seed % 255, np.uint8), seed, 0, req, "tiny", "h", 0.1)
    with Library.open() as lib:
        return lib.add_generated(img)


def lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_list_and_search_json(studio_home, capsys):
    a = add("a red fox", 1)
    b = add("a blue whale", 2)
    assert cli(["gallery", "list", "--json"]) == 0
    rows = lines(capsys)
    assert [r["id"] for r in rows] == [b.id, a.id]
    for row in rows:
        assert {"id", "path", "prompt", "seed", "created"} <= set(row)
        assert Path(row["path"]).is_relative_to(studio_home)
    assert cli(["gallery", "search", "whale", "--json"]) == 0
    assert [(r["id"], r["prompt"], r["seed"]) for r in lines(capsys)] == [(b.id, "a blue whale", 2)]
    assert cli(["gallery", "list"]) == 0
    out = capsys.readouterr().out
    assert "a red fox" in out and "a blue whale" in out


def test_import_then_search(studio_home, capsys):
    assert cli(["gallery", "import", str(DATA)]) == 0
    assert "Imported 7 image(s)" in capsys.readouterr().out
    assert cli(["gallery", "search", "lighthouse", "--json"]) == 0
    rows = lines(capsys)
    assert len(rows) == 2 and all(r["seed"] == 3141592653 for r in rows)
    assert cli(["gallery", "import", str(DATA / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_export_and_info(studio_home, tmp_path, capsys):
    a = add("castle: in the clouds", 11)
    b = add("castle by the sea", 12)
    out = tmp_path / "out"
    assert cli(["gallery", "export", str(a.id), str(b.id), "--to", str(out), "--format", "jpeg"]) == 0
    written = [Path(p) for p in capsys.readouterr().out.splitlines()]
    assert len(written) == 2 and all(p.suffix == ".jpg" and p.parent == out.resolve() for p in written)
    assert cli(["info", str(written[0]), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["seed"] in (11, 12) and info["source"] == "studio" and info["prompt"].startswith("castle")
    archive = tmp_path / "sel.zip"
    assert cli(["gallery", "export", str(a.id), "--to", str(archive), "--strip-metadata", "--format", "webp"]) == 0
    with zipfile.ZipFile(archive) as zf:
        [name] = zf.namelist()
        assert name.endswith("-11-castle in the clouds.webp")
        assert b"castle" not in zf.read(name)


def test_user_errors_are_one_line(studio_home, tmp_path, capsys):
    assert cli(["gallery", "export", "42", "--to", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No image with id 42" in err
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthen garbage")
    assert cli(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.png" in err and "Traceback" not in err


def test_delete_restore_and_reconcile(studio_home, capsys):
    a = add("to be deleted", 3)
    assert cli(["gallery", "delete", str(a.id)]) == 0
    assert cli(["gallery", "list", "--json"]) == 0
    capsys.readouterr()
    assert cli(["gallery", "list", "--trash", "--json"]) == 0
    assert [r["id"] for r in lines(capsys)] == [a.id]
    assert cli(["gallery", "restore", str(a.id)]) == 0
    capsys.readouterr()
    # a file dropped into the gallery folder shows up on the next list
    (studio_home / "gallery" / "dropped").mkdir()
    (studio_home / "gallery" / "dropped" / "x.png").write_bytes((DATA / "invokeai.png").read_bytes())
    assert cli(["gallery", "search", "cabin", "--json"]) == 0
    assert [r["seed"] for r in lines(capsys)] == [1234567]
    assert cli(["gallery", "reconcile", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0


def test_generate_without_out_lands_in_the_library(studio_home, tiny_sd_dir, tmp_path, capsys):
    """The whole path: ``studio generate`` -> library -> ``gallery search`` -> export -> ``studio info``."""
    argv = ["generate", "a tiny teapot", "--model", str(tiny_sd_dir), "--steps", "2", "--seed", "321", "--batch", "2", "--width", "64", "--height", "64"]
    assert cli(argv) == 0
    capsys.readouterr()
    assert cli(["gallery", "search", "teapot", "--json"]) == 0
    rows = lines(capsys)
    assert sorted(r["seed"] for r in rows) == [321, 322]
    for row in rows:
        assert Path(row["path"]).is_relative_to(studio_home / "gallery")
    out = tmp_path / "exp"
    assert cli(["gallery", "export", str(rows[0]["id"]), "--to", str(out), "--format", "webp"]) == 0
    [path] = capsys.readouterr().out.splitlines()
    assert cli(["info", path, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["seed"] == rows[0]["seed"] and info["prompt"] == "a tiny teapot" and info["steps"] == 2
    # the studio JSON in the export reproduces the request exactly
    from studio.engine.request import GenerationRequest

    again = GenerationRequest.from_params(info["studio"]["params"])
    assert (again.seed, again.steps, again.prompt, again.width) == (rows[0]["seed"], 2, "a tiny teapot", 64)
