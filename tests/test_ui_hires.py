"""Hires fix from the parameters panel, through the real window: a 2x image with A1111's Hires keys,
kept in the saved settings and brought back by Reuse parameters."""

from __future__ import annotations

import pytest
from PIL import Image
from test_ui_window import GEN_TIMEOUT, gallery_entries, open_window, qloop, wait_ready  # noqa: F401  (qloop is a fixture)

from studio.engine.hires import HiresOptions
from studio.engine.metadata import read_metadata
from studio.engine.request import Mode
from studio.engine.upscale import models

pytestmark = pytest.mark.skipif(not (models.bundled_dir() / "studio-compact-x4.safetensors").is_file(),
                                reason="the bundled upscaler is not in this checkout")


def _turn_on(panel, scale=2.0, steps=2, denoise=0.5):
    hires = panel.hires
    hires.toggle.click()  # the group opens
    assert hires.body.isVisibleTo(panel)
    hires.enable_check.setChecked(True)
    hires.scale.setValue(scale)
    hires.steps.setValue(steps)
    hires.denoise.setValue(denoise)


@pytest.mark.usefixtures("qloop")
def test_hires_fix_from_the_panel_makes_a_2x_image_kept_and_reused(qtbot, tiny_sd_dir):
    w = open_window(qtbot, tiny_sd_dir, steps=2)
    wait_ready(qtbot, w)
    panel = w.params
    assert panel.hires.options() is None  # off until asked for
    _turn_on(panel)
    qtbot.waitUntil(lambda: panel.hires.size_label.text() == "64x64 → 128x128", timeout=5000)  # the tiny model's native size
    assert panel.hires.summary.text().startswith("on")
    w.prompt_editor.set_text("a red circle", "")
    job = w.generate()
    assert job.hires == HiresOptions(2.0, 0.5, 2, None) and "hires x2" in job.summary()
    with qtbot.waitSignal(w.gen.worker.job_saved, timeout=GEN_TIMEOUT):
        pass
    image = w.canvas.current_image()
    assert (image.width(), image.height()) == (128, 128)
    (entry,) = gallery_entries()
    assert Image.open(entry.path).size == (128, 128)
    p = read_metadata(entry.path).parameters
    assert (p["Hires upscale"], p["Hires steps"], p["Hires upscaler"], p["Denoising strength"], p["Size"]) == (
        "2", "2", "studio-compact-x4", "0.5", "64x64")

    # Reuse: an image made without the hires fix turns it off, this one turns it back on as it was
    w.reuse_parameters({"prompt": "plain", "steps": 3})
    assert panel.hires.options() is None
    qtbot.waitUntil(lambda: w.gallery.model.row_of(entry.id) >= 0, timeout=10_000)
    w.gallery.select_ids([entry.id])
    w.gallery.reuse_current()
    assert panel.hires.options() == HiresOptions(2.0, 0.5, 2, None)
    v = panel.values()
    assert (v["width"], v["height"]) == (64, 64)  # the first pass's size, not the result's
    assert panel.hires.size_label.text() == "64x64 → 128x128"

    # saved with the panel's settings: a restart brings the group back as it was left
    panel.hires.scale.setValue(3.0)
    panel.hires.upscaler.setCurrentIndex(panel.hires.upscaler.findData("Lanczos"))
    kept = panel.hires.settings()
    w.close()
    w2 = open_window(qtbot, None, steps=None)
    assert w2.params.hires.settings() == kept
    assert w2.params.hires.options() == HiresOptions(3.0, 0.5, 2, "Lanczos")
    assert w2.params.hires.body.isVisibleTo(w2.params)
    # text to image only: greyed out in the other modes, and a job there carries no hires fix
    w2.params.set_mode(Mode.IMG2IMG)
    assert not w2.params.hires.enable_check.isEnabled() and w2.params.hires.options() is None
    w2.params.set_mode(Mode.TXT2IMG)
    assert w2.params.hires.options() is not None
    w2.close()
