"""Privacy: no connection of any kind from the CLI or the window (network only on an explicit hub download).

Two views: a ``sys.addaudithook`` hook records every Python-level socket event
(connect, bind, sendto, name lookups, urllib/http.client requests) over a CLI
session and a window session; ``strace`` records the connect/bind/sendto system
calls of a whole ``studio generate`` + ``studio verify`` process, native code
included (libtorch, Qt, the c2pa library). Local AF_UNIX sockets are not network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_ui_window import GEN_TIMEOUT, open_window, qloop, wait_ready  # noqa: F401 - qloop is a fixture

from studio.cli.main import main as cli

NETWORK_EVENTS = {
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo",
    "urllib.Request", "http.client.connect",
}
_recorded: list[tuple[str, str]] | None = None
IDLE_S = 45


def _hook(event: str, args: tuple) -> None:
    if _recorded is None or event not in NETWORK_EVENTS:
        return
    if event.startswith("socket.") and args and isinstance(args[0], socket.socket) and args[0].family == socket.AF_UNIX:
        return  # local IPC, not network
    _recorded.append((event, repr(args)[:200]))


sys.addaudithook(_hook)  # hooks cannot be removed: it records only inside `recording()`


class recording:
    def __enter__(self) -> list[tuple[str, str]]:
        global _recorded
        _recorded = []
        return _recorded

    def __exit__(self, *exc) -> None:
        global _recorded
        _recorded = None


def test_the_hook_sees_a_connection_attempt():
    """The audit hook is live: a connect to a closed loopback port is recorded."""
    with recording() as events, socket.socket() as s:
        s.settimeout(0.5)
        s.connect_ex(("127.0.0.1", 9))
    assert [e for e, _ in events] == ["socket.connect"]


def test_cli_session_opens_no_connection(tiny_sd_dir, tmp_path, capsys):
    mask = np.zeros((64, 64), np.uint8)
    mask[8:40, 8:40] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    with recording() as events:
        assert cli(["generate", "a red star", "--model", str(tiny_sd_dir), "--steps", "2", "--out", str(tmp_path / "o"), "--json"]) == 0
        path = json.loads(capsys.readouterr().out.splitlines()[0])["path"]
        assert cli(["generate", "a ring", "--model", str(tiny_sd_dir), "--steps", "2", "--init", path,
                    "--mask", str(tmp_path / "mask.png")]) == 0
        assert cli(["gallery", "export", "1", "--to", str(tmp_path / "export"), "--keep", "provenance"]) == 0
        assert cli(["verify", path]) == 0
        assert cli(["models"]) == 0
    assert events == []


def test_window_session_opens_no_connection(qtbot, qloop, tiny_sd_dir, tmp_path):  # noqa: F811
    with recording() as events:
        window = open_window(qtbot, tiny_sd_dir, steps=2)
        wait_ready(qtbot, window)
        window.prompt_editor.set_text("a blue square", "")
        with qtbot.waitSignal(window.images_shown, timeout=GEN_TIMEOUT):
            window.generate()
        qtbot.waitUntil(lambda: window.canvas.current_path() is not None, timeout=10_000)
        task = window.save_image(str(tmp_path / "saved.png"))
        qtbot.waitUntil(task.done, timeout=20_000)
        assert task.exception() is None
        gallery = window.gallery
        qtbot.waitUntil(lambda: gallery is not None and gallery.model.rowCount() == 1, timeout=20_000)
        gallery.view.setCurrentIndex(gallery.model.index(0))
        badge = gallery.detail.provenance_badge
        qtbot.waitUntil(lambda: "Content Credentials" in badge.text(), timeout=20_000)
        with qtbot.waitSignal(gallery.exported, timeout=30_000):
            gallery.export_selected(tmp_path / "export", ids=gallery.model.ids[:1], keep="provenance")
        window.close()
    assert events == []
    assert "AI-made" in badge.text() and "this install" in badge.text()


def _strace_network_calls(log: Path) -> list[str]:
    """connect/sendto/sendmsg on IP sockets, and binds to anything but loopback. (urllib3 binds a socket
    to ``::1`` port 0 at import to learn whether IPv6 works: no packet leaves, nothing connects.)"""
    calls = []
    for line in log.read_text(errors="replace").splitlines():
        if not re.search(r"AF_INET6?\b", line):
            continue
        if re.search(r"\b(connect|sendto|sendmsg)\(", line):
            calls.append(line.strip())
        elif re.search(r"\bbind\(", line) and not re.search(r'"::1"|"127\.0\.0\.1"', line):
            calls.append(line.strip())
    return calls


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_strace_sees_a_connect(tmp_path):
    log = tmp_path / "strace.log"
    script = "import socket; s = socket.socket(); s.settimeout(0.5); s.connect_ex(('127.0.0.1', 9))"
    run = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,bind,sendto,sendmsg", "-o", str(log),
                          sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        pytest.skip(f"strace cannot trace here: {run.stderr.strip()[:200]}")
    assert any("127.0.0.1" in call for call in _strace_network_calls(log))


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_whole_process_makes_no_network_system_call(tiny_sd_dir, tmp_path, studio_home):
    """Native code included, and without HF_HUB_OFFLINE: the app itself stays offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_HUB_")}
    env.update(STUDIO_HOME=str(studio_home), OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    log = tmp_path / "strace.log"
    script = (
        "from studio.cli.main import main; import sys;"
        f"assert main(['generate', 'a red star', '--model', {str(tiny_sd_dir)!r}, '--steps', '2', '--out', {str(tmp_path / 'o')!r}]) == 0;"
        f"import glob; rc = main(['verify', *glob.glob({str(tmp_path / 'o' / '*.png')!r})]);"
        # stay alive like a real session: background telemetry (onnxruntime's fires after ~30 s) gets its chance
        "import time; time.sleep(IDLE_S); sys.exit(rc)"
    ).replace("IDLE_S", str(IDLE_S))
    run = subprocess.run(
        ["strace", "-f", "-qq", "-s", "96", "-e", "trace=connect,bind,sendto,sendmsg", "-o", str(log), sys.executable, "-c", script],
        env=env, capture_output=True, text=True, timeout=600,
    )
    if run.returncode != 0 and "ptrace" in run.stderr.lower():
        pytest.skip(f"strace cannot trace here: {run.stderr.strip().splitlines()[0]}")
    assert run.returncode == 0, run.stderr[-2000:]
    calls = _strace_network_calls(log)
    if calls:
        shutil.copy(log, Path(os.environ.get("TMPDIR", "/tmp")) / "studio-privacy-strace.log")
    assert calls == []
