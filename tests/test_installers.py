"""installers/: the three platforms share one spec, the Linux desktop files validate, the bundle builds and runs.

The full build (installers/linux/test.sh: clean clone, bundle, .deb into a scratch root, frozen CLI and window
with no network) takes many minutes; it runs here only with STUDIO_TEST_INSTALLER=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALLERS = ROOT / "installers"
BUNDLE = json.loads((INSTALLERS / "common" / "bundle.json").read_text())
VERSION = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1]


def test_every_platform_builds_from_the_one_bundle_spec():
    scripts = {
        "linux": INSTALLERS / "linux" / "build.sh",
        "windows": INSTALLERS / "windows" / "build.ps1",
        "macos": INSTALLERS / "macos" / "build.sh",
        "pyinstaller spec": INSTALLERS / "common" / "studio.spec",
    }
    for name, path in scripts.items():
        text = path.read_text()
        assert "bundle.json" in text, f"{name} does not read the shared spec"
        assert "pyproject.toml" in text, f"{name} does not take the version from pyproject.toml"
    spec = scripts["pyinstaller spec"].read_text()
    for key in ("entry_module", "data", "hidden_imports", "console_script", "app_id"):
        assert f'BUNDLE["{key}"]' in spec or f"BUNDLE['{key}']" in spec, key
    iss = (INSTALLERS / "windows" / "studio.iss").read_text()
    assert "{#AppVersion}" in iss and "{#ExeName}" in iss and "{#AppId}" in iss
    assert "/DAppVersion=$Version" in scripts["windows"].read_text()
    linux = scripts["linux"].read_text()
    assert "BUNDLE_DATA" in linux and "ENTRY_MODULE" in linux


def test_the_shared_spec_names_what_exists():
    assert BUNDLE["entry_module"] == "studio" and (ROOT / "studio" / "__main__.py").is_file()
    for folder in BUNDLE["data"]:
        assert (ROOT / folder).is_dir(), folder
    for module in BUNDLE["hidden_imports"]:
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module
    assert (ROOT / BUNDLE["icon"]).is_file()
    assert BUNDLE["torch"].startswith("torch==")


def test_the_deb_depends_on_the_libraries_the_window_checks_for():
    from studio.ui.preflight import RUNTIME_LOADED, debian_package, needed_libraries, xcb_plugin_files

    control = (INSTALLERS / "linux" / "control").read_text()
    depends = {d.strip().split()[0] for d in re.search(r"^Depends: (.*)$", control, re.M)[1].split(",")}
    libs = set(RUNTIME_LOADED)
    for f in xcb_plugin_files():
        libs |= {n for n in needed_libraries(f) if n.startswith(("libxcb", "libxkbcommon"))}
    wanted = {debian_package(n) for n in libs if n != "libxcb.so.1" and not n.startswith(("libxcb-util", "libxcb-s",
                                                                                           "libxcb-render.", "libxcb-x"))}
    assert wanted <= depends, wanted - depends


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed")
def test_desktop_file_validates(tmp_path):
    desktop = tmp_path / f"{BUNDLE['app_id']}.desktop"
    desktop.write_text((INSTALLERS / "linux" / f"{BUNDLE['app_id']}.desktop").read_text().replace("@VERSION@", VERSION))
    proc = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream not installed")
def test_metainfo_validates(tmp_path):
    meta = tmp_path / f"{BUNDLE['app_id']}.metainfo.xml"
    meta.write_text((INSTALLERS / "linux" / f"{BUNDLE['app_id']}.metainfo.xml").read_text()
                    .replace("@VERSION@", VERSION).replace("@DATE@", "2026-12-03"))
    proc = subprocess.run(["appstreamcli", "validate", "--no-net", str(meta)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.installer
@pytest.mark.skipif(os.environ.get("STUDIO_TEST_INSTALLER") != "1", reason="set STUDIO_TEST_INSTALLER=1 (long build)")
def test_linux_bundle_builds_installs_and_runs_offline(tmp_path):
    proc = subprocess.run(["bash", str(INSTALLERS / "linux" / "test.sh"), str(tmp_path)], capture_output=True,
                          text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "installer test: OK" in proc.stdout and '"seed": 7' in proc.stdout
    assert "STUDIO_ENGINE_READY" in proc.stdout


def _bundle_layout(tmp_path):
    import sys

    root = tmp_path / "bundle"
    (root / "bin").mkdir(parents=True)
    (root / "runtime" / "bin").mkdir(parents=True)
    (root / "runtime" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (root / "runtime" / "bin" / "python3.11").symlink_to(sys.executable)
    dist = root / "runtime" / "lib" / "python3.11" / "site-packages" / "torch-2.13.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0+cpu\n")
    script = root / "bin" / "studio-gpu-pack"
    shutil.copy(INSTALLERS / "linux" / "gpu-pack.sh", script)
    return root, script


def test_gpu_pack_without_an_nvidia_gpu_changes_nothing(tmp_path):
    root, script = _bundle_layout(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(["sh", str(script), "--yes"], capture_output=True, text=True, env=env, timeout=120)
    if Path("/proc/driver/nvidia/version").exists():
        pytest.skip("this machine has an NVIDIA driver")
    assert proc.returncode == 0 and "No NVIDIA GPU found" in proc.stdout
    assert [p.name for p in (root / "runtime" / "lib" / "python3.11" / "site-packages").iterdir()] == [
        "torch-2.13.0.dist-info"]


def test_gpu_pack_offers_the_cuda_build_of_the_same_torch_when_a_gpu_is_there(tmp_path):
    root, script = _bundle_layout(tmp_path)
    fake_bin = tmp_path / "fakebin"
    fake_bin.mkdir()
    smi = fake_bin / "nvidia-smi"  # what nvidia-smi prints on a machine with a GPU
    smi.write_text("#!/bin/sh\necho 'NVIDIA GeForce RTX 4070'\n")
    smi.chmod(0o755)
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(["sh", str(script), "--dry-run"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "RTX 4070" in proc.stdout and "torch==2.13.0 " in proc.stdout and "whl/cu" in proc.stdout
    assert len(list((root / "runtime" / "lib" / "python3.11" / "site-packages").iterdir())) == 1
