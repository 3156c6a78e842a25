"""Issue 16: read-only and full disks, bad argv bytes, bad dates: one clean line, and no image lost.

Real read-only and full disks are made in a private mount namespace
(``unshare -Urm``: a read-only bind mount and a small tmpfs); those tests are
skipped where the kernel does not allow unprivileged namespaces.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli.main import main as cli
from test_library_core import gen

ROOT = Path(__file__).resolve().parent.parent


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k none /tmp && echo ok"],
                           capture_output=True, text=True)
    return probe.stdout.strip() == "ok"


needs_ns = pytest.mark.skipif(not _can_unshare(), reason="needs unprivileged mount namespaces (unshare -Urm)")

# Runs inside the namespace: every scenario through the real CLI entry point, in one process.
SCENARIOS = textwrap.dedent(
    """
    import contextlib, io, json, os, sys, traceback
    from pathlib import Path
    from studio.cli.main import main

    out = {}

    def run(name, argv, home):
        os.environ["STUDIO_HOME"] = str(home)
        err, std = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
                rc = main(argv)
        except BaseException:
            rc, crash = "crash", traceback.format_exc()
        else:
            crash = None
        lines = [l for l in err.getvalue().splitlines() if l.startswith("studio: error")]
        out[name] = {"rc": rc, "errors": lines, "stdout": std.getvalue(), "crash": crash, "stderr": err.getvalue()[-3000:]}

    cfg = json.loads(sys.argv[1])
    for name, argv, home in cfg["runs"]:
        run(name, argv, home)
    print(json.dumps(out))
    """
)


def run_in_namespace(tmp_path: Path, *, ro: Path, full: Path, full_kb: int, fill_kb: int, runs: list) -> dict:
    script = tmp_path / "scenarios.py"
    script.write_text(SCENARIOS)
    shell = (
        f'mount --bind "{ro}" "{ro}" && mount -o remount,bind,ro "{ro}" && '
        f'mount -t tmpfs -o size={full_kb}k none "{full}" && '
        f'mkdir -p "{full}/home" && python -c "from studio.library import Library; Library.open(\'{full}/home\').close()" && '
        f'head -c {fill_kb * 1024} /dev/urandom > "{full}/filler" 2>/dev/null; '
        f'exec "{sys.executable}" "{script}" \'{json.dumps({"runs": runs})}\''
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), STUDIO_FALLBACK_DIR=str(tmp_path / "fallback"), OMP_NUM_THREADS="1")
    proc = subprocess.run(["unshare", "-Urm", "sh", "-c", shell], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def noise_pngs(folder: Path, n: int, size: int = 96) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size, size, 3), np.uint8)).save(folder / f"noise{i:02d}.png")


def one_clean_line(result: dict, *words: str) -> str:
    assert result["crash"] is None, result["crash"]
    assert result["rc"] == 1, result
    assert len(result["errors"]) == 1, result["stderr"]
    line = result["errors"][0]
    assert "Traceback" not in result["stderr"] and "[Errno" not in line and "damaged" not in line
    for word in words:
        assert word in line, line
    return line


@needs_ns
def test_generate_on_read_only_and_full_disks_keeps_the_image(tiny_sd_dir, tmp_path):
    ro, full = tmp_path / "ro", tmp_path / "full"
    (ro / "out").mkdir(parents=True)
    full.mkdir()
    base = ["generate", "a red star", "--model", str(tiny_sd_dir), "--steps", "2", "--seed", "3", "--json"]
    res = run_in_namespace(tmp_path, ro=ro, full=full, full_kb=400, fill_kb=385, runs=[
        ("out_read_only", base + ["--out", str(ro / "out")], str(tmp_path / "home")),
        ("home_under_read_only_parent", base, str(ro / "new-home")),
        ("gallery_disk_full", base, str(full / "home")),
    ])
    fallback = tmp_path / "fallback"
    for name in res:
        line = one_clean_line(res[name])
        rows = [json.loads(x) for x in res[name]["stdout"].splitlines() if x.startswith("{")]
        assert len(rows) == 1, (name, res[name])
        kept = Path(rows[0]["path"])
        assert kept.is_file() or (kept.is_relative_to(full)), (name, rows)
        assert str(kept) in line or "kept" in line, line
    assert "read-only" in res["out_read_only"]["errors"][0]
    assert "full" in res["gallery_disk_full"]["errors"][0]
    kept = sorted(fallback.glob("*.png"))
    assert len(kept) >= 2
    from studio.engine import metadata as md

    assert all(md.read_metadata(p).prompt == "a red star" for p in kept)


@needs_ns
def test_import_onto_a_nearly_full_disk_and_browsing_a_read_only_gallery(tmp_path):
    ro, full = tmp_path / "ro", tmp_path / "full"
    full.mkdir()
    from studio.library import Library

    with Library.open(ro / "home") as lib:  # a gallery that is then mounted read-only
        first = lib.add_generated(gen("on a read-only disk", seed=5))
    noise_pngs(tmp_path / "in", 12)
    res = run_in_namespace(tmp_path, ro=ro, full=full, full_kb=512, fill_kb=300, runs=[
        ("import_full", ["gallery", "import", str(tmp_path / "in")], str(full / "home")),
        ("list_after_full", ["gallery", "list", "--json"], str(full / "home")),
        ("reconcile_after_full", ["gallery", "reconcile", "--json"], str(full / "home")),
        ("list_read_only", ["gallery", "list", "--json"], str(ro / "home")),
        ("delete_read_only", ["gallery", "delete", str(first.id)], str(ro / "home")),
        ("import_read_only", ["gallery", "import", str(tmp_path / "in")], str(ro / "home")),
        ("list_home_under_read_only_parent", ["gallery", "list"], str(ro / "new-home")),
    ])
    line = one_clean_line(res["import_full"], "disk is full")
    assert "stopped after" in line
    listed = [json.loads(x) for x in res["list_after_full"]["stdout"].splitlines()]
    assert res["list_after_full"]["rc"] == 0 and 0 < len(listed) < 12
    assert json.loads(res["reconcile_after_full"]["stdout"])["added"] == 0  # no orphan copy was left behind
    rows = [json.loads(x) for x in res["list_read_only"]["stdout"].splitlines()]
    assert res["list_read_only"]["rc"] == 0 and [r["prompt"] for r in rows] == ["on a read-only disk"]
    one_clean_line(res["delete_read_only"], "read-only")
    one_clean_line(res["import_read_only"], "read-only")
    one_clean_line(res["list_home_under_read_only_parent"], "read-only", "STUDIO_HOME")


def run_cli_bytes(*argv: bytes, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), STUDIO_HOME=str(home), LC_ALL="C.UTF-8")
    return subprocess.run([sys.executable.encode(), b"-m", b"studio", *argv], capture_output=True, env=env, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    "argv",
    [
        [b"gallery", b"search", b"caf\xe9"],
        [b"generate", b"a \xff", b"--model", b"/nonexistent-model"],
        [b"generate", b"a cat", b"--negative", b"\xc3\x28", b"--model", b"/nonexistent-model"],
    ],
)
def test_non_utf8_argv_is_one_line(argv, studio_home):
    proc = run_cli_bytes(*argv, home=studio_home)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert err.count("\n") == 1 and "not valid UTF-8" in err, err


def test_bad_dates_are_one_line(studio_home, capsys):
    assert cli(["gallery", "list", "--since", "garbage"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Not a date: 'garbage'" in err


def test_bad_scheduler_and_huge_prompt_fail_before_the_model_loads(studio_home, capsys):
    # the model does not exist: the message proves the check ran before any model was looked at
    assert cli(["generate", "a cat", "--scheduler", "Eulerr", "--model", "/nonexistent-model"]) == 1
    assert "Unknown scheduler 'Eulerr'" in capsys.readouterr().err
    assert cli(["generate", "cat " * 2000, "--model", "/nonexistent-model"]) == 1
    err = capsys.readouterr().err
    assert "at least 2000 tokens" in err and err.count("\n") == 1


def test_window_keeps_an_image_the_gallery_cannot_take(tmp_path, monkeypatch):
    from studio.fsutil import StorageError
    from studio.ui.worker import _kept_elsewhere

    monkeypatch.setenv("STUDIO_FALLBACK_DIR", str(tmp_path / "fallback"))
    message = _kept_elsewhere([gen("kept by the window", seed=4)], StorageError(28, "The disk is full."))
    kept = list((tmp_path / "fallback").glob("*.png"))
    assert len(kept) == 1 and str(kept[0].parent) in message and "[Errno" not in message
    from studio.engine import metadata as md

    assert md.read_metadata(kept[0]).prompt == "kept by the window"
