"""Before the QApplication exists: can Qt's platform plugin load on this machine?

On a stock Debian/Ubuntu desktop Qt's xcb plugin aborts the process with a
long text when libxcb-cursor0 or one of its other xcb helpers is missing. This
module finds the libraries the plugin links (the ELF ``DT_NEEDED`` entries of
``libqxcb.so`` and ``libQt6XcbQpa.so.6``, plus the cursor library Qt loads at
run time), asks the system loader for each one, and turns the missing ones
into one line with the install command for the distribution.

It imports no Qt (it runs before Qt loads) and only reads files.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

# libraries Qt 6.5+ opens with dlopen, so they are not in DT_NEEDED
RUNTIME_LOADED = ("libxcb-cursor.so.0",)
# names whose package on Fedora/openSUSE/Arch differs from the Debian rule
_OTHER_DISTROS = {
    "libxcb-cursor.so.0": {"dnf": "xcb-util-cursor", "pacman": "xcb-util-cursor", "zypper": "libxcb-cursor0"},
    "libxcb-icccm.so.4": {"dnf": "xcb-util-wm", "pacman": "xcb-util-wm", "zypper": "libxcb-icccm4"},
    "libxcb-keysyms.so.1": {"dnf": "xcb-util-keysyms", "pacman": "xcb-util-keysyms", "zypper": "libxcb-keysyms1"},
    "libxcb-image.so.0": {"dnf": "xcb-util-image", "pacman": "xcb-util-image", "zypper": "libxcb-image0"},
    "libxcb-render-util.so.0": {"dnf": "xcb-util-renderutil", "pacman": "xcb-util-renderutil",
                                "zypper": "libxcb-render-util0"},
    "libxkbcommon-x11.so.0": {"dnf": "libxkbcommon-x11", "pacman": "libxkbcommon-x11", "zypper": "libxkbcommon-x11-0"},
}
_INSTALL = {"apt": "sudo apt install", "dnf": "sudo dnf install", "pacman": "sudo pacman -S", "zypper": "sudo zypper install"}


@dataclass(frozen=True)
class Problem:
    """Why the window cannot open; ``message`` is the one line to print."""

    message: str
    missing: tuple[str, ...] = ()


def needed_libraries(path: str | Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of an ELF64 little-endian shared object ([] if it is not one)."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return []
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return []
    needed, strtab = [], None
    for off in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, off)
        if tag == 0:
            break
        if tag == 1:
            needed.append(value)
        elif tag == 5:  # DT_STRTAB, a virtual address
            strtab = next((value - vaddr + offset for vaddr, offset, size in loads if vaddr <= value < vaddr + size), None)
    if strtab is None:
        return []
    names = []
    for index in needed:
        end = data.index(b"\0", strtab + index)
        names.append(data[strtab + index:end].decode("ascii", "replace"))
    return names


def loadable(soname: str) -> bool:
    """Whether the system loader finds and loads ``soname`` (with everything it links)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def debian_package(soname: str) -> str:
    """Debian's package for a library soname: libxcb-icccm.so.4 -> libxcb-icccm4, libdbus-1.so.3 -> libdbus-1-3."""
    m = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", soname)
    if not m:
        return soname
    stem, major = m[1].lower(), m[2]
    return f"{stem}-{major}" if stem[-1].isdigit() else f"{stem}{major}"


def package_manager() -> str:
    """apt, dnf, pacman or zypper, from /etc/os-release (apt when unknown)."""
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "apt"
    ids = " ".join(re.findall(r"^(?:ID|ID_LIKE)=\"?([^\"\n]*)", text, re.M)).lower().split()
    for manager, distros in (("dnf", {"fedora", "rhel", "centos"}), ("zypper", {"suse", "opensuse"}),
                             ("pacman", {"arch"}), ("apt", {"debian", "ubuntu"})):
        if distros & set(ids):
            return manager
    return "apt"


def install_command(missing: list[str], manager: str | None = None) -> str:
    manager = manager or package_manager()
    if manager == "apt":
        packages = [debian_package(n) for n in missing]
    else:
        packages = [_OTHER_DISTROS.get(n, {}).get(manager, debian_package(n)) for n in missing]
    return f"{_INSTALL[manager]} {' '.join(dict.fromkeys(packages))}"


def _pyside_dir() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    return Path(spec.origin).parent if spec and spec.origin else None


def xcb_plugin_files(pyside: Path | None = None) -> list[Path]:
    pyside = pyside or _pyside_dir()
    if pyside is None:
        return []
    files = [pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so", pyside / "Qt" / "lib" / "libQt6XcbQpa.so.6"]
    return [f for f in files if f.is_file()]


def missing_xcb_libraries(files: list[Path] | None = None, is_loadable=loadable) -> list[str]:
    """System libraries the xcb plugin needs that the loader cannot load (Qt's own libraries excluded)."""
    files = xcb_plugin_files() if files is None else files
    names: list[str] = []
    for f in files:
        names += [n for n in needed_libraries(f) if not n.startswith("libQt6") and not n.startswith("libpyside")]
    names += RUNTIME_LOADED
    return [n for n in dict.fromkeys(names) if not is_loadable(n)]


def _uses_xcb(env) -> bool:
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return any(p.strip().startswith("xcb") for p in platform.split(";")[:1])
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def check(env=None, files: list[Path] | None = None, is_loadable=loadable) -> Problem | None:
    """What stops the window from opening here, or None when Qt can start."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") or not _uses_xcb(env):
        return None
    if not env.get("DISPLAY") and not env.get("QT_QPA_PLATFORM"):
        if env.get("WAYLAND_DISPLAY"):
            return None
        return Problem("No display to open the window on (DISPLAY is not set). Run studio in a desktop session, "
                       "or use the headless commands: studio generate ..., studio --help.")
    missing = missing_xcb_libraries(files, is_loadable)
    if not missing:
        return None
    return Problem(
        f"The window needs system libraries that are missing: {', '.join(missing)}. "
        f"Install them with: {install_command(missing)} (the headless 'studio generate' works without them).",
        tuple(missing),
    )
