"""Image > Upscale x4 in the real window: off the GUI thread, result on the canvas (undoable) and in the gallery."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QAction

from studio.engine.metadata import read_metadata
from studio.engine.metadata.writing import encode_image
from studio.engine.upscale import models
from test_ui_window import open_window, qloop, wait_ready  # noqa: F401  (qloop is a fixture)

pytestmark = pytest.mark.skipif(not (models.bundled_dir() / "studio-compact-x4.safetensors").is_file(),
                                reason="the bundled upscaler is not in this checkout")


def test_upscale_x4_from_the_menu(qtbot, qloop, tiny_sd_dir, tmp_path):
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[8:40, 16:48] = (30, 90, 220)
    src = tmp_path / "blue.png"
    src.write_bytes(encode_image(pixels, "png", "a blue square\nSteps: 20, Sampler: Euler, CFG scale: 2, Seed: 9, Size: 64x48"))
    window = open_window(qtbot, tiny_sd_dir)
    wait_ready(qtbot, window)
    window.open_image(str(src))
    qtbot.waitUntil(lambda: window.canvas.current_image() is not None and window.canvas.current_image().width() == 64,
                    timeout=10_000)
    with qtbot.waitSignal(window.upscaler.finished, timeout=120_000) as blocker:
        window.findChild(QAction, "upscale4").trigger()
    assert (window.canvas.current_image().width(), window.canvas.current_image().height()) == (256, 192)
    saved = blocker.args[0]
    md = read_metadata(saved)
    assert md.prompt == "a blue square" and md.seed == 9
    assert md.parameters["Postprocess upscale by"] == "4"
    # the source image is recorded, also for another tool's file (its parameters stay the A1111 text's)
    assert md.studio["postprocess"]["source"] == {"file": "blue.png", "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    assert Image.open(saved).size == (256, 192)
    # AI-upscaled pixels of a file that does not say it is AI-made: composite media, signed, source named
    from studio.engine.provenance import verify
    from studio.engine.provenance.source_type import COMPOSITE

    report = verify.verify_file(saved)
    assert report.c2pa == "trusted" and report.source_type == COMPOSITE
    assert any(i.startswith("blue.png") for i in report.ingredients)
    window.canvas.undo_stack.undo()
    assert window.canvas.current_image().width() == 64
    window.close()
