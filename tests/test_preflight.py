"""The window's pre-flight check names missing system libraries in one line instead of Qt's abort."""

from __future__ import annotations

import subprocess
import sys

import pytest

from studio.ui import preflight

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux-only")


@pytest.fixture()
def plugin_hiding_icccm(tmp_path):
    """A copy of the real xcb plugin whose link to libxcb-icccm points at a library no system has."""
    files = preflight.xcb_plugin_files()
    if not files:
        pytest.skip("this PySide6 build has no xcb plugin")
    original = files[-1].read_bytes()  # libQt6XcbQpa.so.6 links libxcb-icccm.so.4
    assert b"libxcb-icccm.so.4\0" in original
    patched = original.replace(b"libxcb-icccm.so.4\0", b"libxcb-iccqq.so.4\0")
    copy = tmp_path / files[-1].name
    copy.write_bytes(patched)
    return copy


def test_reads_the_libraries_the_real_plugin_links():
    files = preflight.xcb_plugin_files()
    if not files:
        pytest.skip("this PySide6 build has no xcb plugin")
    names = set().union(*(preflight.needed_libraries(f) for f in files))
    assert {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb.so.1"} <= names


def test_a_hidden_library_is_named_with_its_install_command(plugin_hiding_icccm):
    problem = preflight.check({"DISPLAY": ":0"}, files=[plugin_hiding_icccm])
    assert problem is not None
    assert "libxcb-iccqq.so.4" in problem.message
    assert "libxcb-icccm.so.4" not in problem.missing  # the rest of the plugin's links resolve
    assert "\n" not in problem.message
    assert preflight.install_command(["libxcb-iccqq.so.4"], "apt") == "sudo apt install libxcb-iccqq4"


def test_the_cursor_library_qt_loads_at_run_time_is_checked(plugin_hiding_icccm):
    problem = preflight.check({"DISPLAY": ":0"}, files=[], is_loadable=lambda name: name != "libxcb-cursor.so.0")
    assert problem is not None and problem.missing == ("libxcb-cursor.so.0",)
    assert "libxcb-cursor0" in problem.message and "sudo apt install" in problem.message


@pytest.mark.parametrize(
    ("soname", "package"),
    [("libxcb-icccm.so.4", "libxcb-icccm4"), ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
     ("libdbus-1.so.3", "libdbus-1-3"), ("libGL.so.1", "libgl1"), ("libX11-xcb.so.1", "libx11-xcb1")],
)
def test_debian_package_names(soname, package):
    assert preflight.debian_package(soname) == package


def test_other_distributions_get_their_own_package_names():
    assert preflight.install_command(["libxcb-cursor.so.0", "libxcb-icccm.so.4"], "dnf") == (
        "sudo dnf install xcb-util-cursor xcb-util-wm")


def test_offscreen_and_wayland_sessions_are_not_checked():
    assert preflight.check({"QT_QPA_PLATFORM": "offscreen"}, is_loadable=lambda n: False) is None
    assert preflight.check({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"},
                           is_loadable=lambda n: False) is None


def test_no_display_is_one_clear_line():
    problem = preflight.check({}, files=[])
    assert problem is not None and "DISPLAY" in problem.message and "studio generate" in problem.message


def test_the_app_prints_the_line_and_exits_1(tmp_path, studio_home):
    """The real entry point, with no display: one line on stderr, exit 1, no Qt abort."""
    env = {"PATH": "/usr/bin:/bin", "STUDIO_HOME": str(studio_home), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "studio"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error:") and "DISPLAY" in lines[0]
