"""Settings: defaults, round trip, atomic save, broken files, data folder."""

from __future__ import annotations

import json
import os

from studio import paths
from studio.settings import Settings, apply_data_folder


def test_defaults_when_missing(studio_home):
    s = Settings.load()
    assert (s.device, s.dtype, s.preview_every, s.data_folder) == ("auto", "auto", 1, "")


def test_round_trip(studio_home):
    s = Settings(device="cpu", dtype="float32", preview_every=3, params={"steps": 12}, window_state="AAAA")
    s.save()
    assert Settings.load() == s
    assert json.loads(paths.settings_path().read_text())["preview_every"] == 3
    assert not [p for p in studio_home.iterdir() if p.name.startswith(".studio-tmp-")]


def test_broken_file_is_set_aside(studio_home):
    paths.settings_path().write_text("{not json")
    assert Settings.load() == Settings()
    assert (studio_home / "settings.json.bad").exists()


def test_bad_values_are_replaced(studio_home):
    paths.settings_path().write_text(json.dumps({"device": "tpu", "dtype": 3, "preview_every": "x", "params": [], "unknown": 1}))
    s = Settings.load()
    assert (s.device, s.dtype, s.preview_every, s.params) == ("auto", "auto", 1, {})


def test_data_folder_moves_the_data_dir(studio_home, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    apply_data_folder(Settings(data_folder=str(target)))
    try:
        assert paths.data_dir() == target and target.is_dir()
    finally:
        monkeypatch.setenv("STUDIO_HOME", str(studio_home))
    assert os.environ["STUDIO_HOME"] == str(studio_home)
