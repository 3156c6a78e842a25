"""The gallery's Upscale x2/x4, through the real window: a new gallery image that names its source;
a broken file is reported and the app carries on."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image
from test_ui_window import gallery_entries, open_window, qloop, wait_ready  # noqa: F401  (qloop is a fixture)

from studio.engine.metadata import read_metadata
from studio.engine.metadata.writing import encode_image
from studio.engine.upscale import models
from studio.library import Library

pytestmark = pytest.mark.skipif(not (models.bundled_dir() / "studio-compact-x4.safetensors").is_file(),
                                reason="the bundled upscaler is not in this checkout")


def _add_to_gallery(tmp_path, name: str, colour) -> object:
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[8:40, 16:48] = colour
    src = tmp_path / name
    src.write_bytes(encode_image(pixels, "png", "a square\nSteps: 20, Sampler: Euler, CFG scale: 2, Seed: 9, Size: 64x48"))
    with Library.open() as lib:
        report = lib.import_files([src])
        return lib.get(report.added[0])


def _menu_action(window, entry_ids, text):
    gallery = window.gallery
    gallery.select_ids(entry_ids)
    actions = {a.text(): a for a in gallery.context_menu().actions()}
    assert text in actions, list(actions)
    return actions[text]


def _open(qtbot, tiny_sd_dir, entries):
    window = open_window(qtbot, tiny_sd_dir)
    wait_ready(qtbot, window)
    qtbot.waitUntil(lambda: all(window.gallery.model.row_of(e.id) >= 0 for e in entries), timeout=10_000)
    return window


@pytest.mark.usefixtures("qloop")
def test_gallery_upscale_x2_saves_a_new_image_that_names_its_source(qtbot, tiny_sd_dir, tmp_path):
    source = _add_to_gallery(tmp_path, "blue.png", (30, 90, 220))
    window = _open(qtbot, tiny_sd_dir, [source])
    with qtbot.waitSignal(window.upscaler.files_finished, timeout=120_000) as blocker:
        _menu_action(window, [source.id], "Upscale x2").trigger()
    saved, failed = blocker.args
    assert failed == [] and len(saved) == 1
    assert Image.open(saved[0]).size == (128, 96)
    md = read_metadata(saved[0])
    assert md.prompt == "a square" and md.seed == 9  # the source's parameters carried over
    assert md.parameters["Postprocess upscale by"] == "2"
    recorded = md.studio["postprocess"]["source"]
    assert recorded == {"file": source.path.name, "sha256": hashlib.sha256(source.path.read_bytes()).hexdigest()}
    # in the gallery, beside its source; the source is untouched
    qtbot.waitUntil(lambda: window.gallery.model.rowCount() == 2, timeout=10_000)
    assert {str(e.path) for e in gallery_entries()} == {str(source.path), saved[0]}
    assert Image.open(source.path).size == (64, 48)
    # indexed at the file's own size (its parameters keep the source's generation "Size: 64x48")
    upscaled = next(e for e in gallery_entries() if str(e.path) == saved[0])
    assert (upscaled.width, upscaled.height) == (128, 96)
    from studio.engine.provenance import verify

    report = verify.verify_file(saved[0])
    assert report.c2pa == "trusted" and "c2pa.opened" in report.actions[0]
    assert "x2" in window.canvas_panel.progress.format()
    window.close()


@pytest.mark.usefixtures("qloop")
def test_gallery_upscale_of_a_broken_file_says_so_and_does_the_others(qtbot, tiny_sd_dir, tmp_path):
    good = _add_to_gallery(tmp_path, "good.png", (200, 40, 40))
    broken = _add_to_gallery(tmp_path, "broken.png", (40, 200, 40))
    broken.path.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")  # damaged on disk after it was indexed
    window = _open(qtbot, tiny_sd_dir, [good, broken])
    with qtbot.waitSignal(window.upscaler.files_finished, timeout=120_000) as blocker:
        _menu_action(window, [broken.id, good.id], "Upscale 2 x2").trigger()
    saved, failed = blocker.args
    assert len(saved) == 1 and Image.open(saved[0]).size == (128, 96)
    assert len(failed) == 1 and failed[0].startswith(broken.path.name)
    message = window.messages.text()
    assert "Could not upscale 1 of 2" in message and broken.path.name in message
    assert not window.upscaler.busy and window.isVisible()  # the app is up and ready for the next one
    with qtbot.waitSignal(window.upscaler.files_finished, timeout=120_000):
        _menu_action(window, [good.id], "Upscale x4").trigger()
    window.close()
