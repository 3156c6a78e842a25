"""Issue 16: kill -9 at random moments of a generate/import/delete/restore loop loses nothing."""

from __future__ import annotations

import numpy as np

from kill_harness import run


def test_random_kills_lose_no_image(tiny_sd_dir, tmp_path):
    from studio.engine.generator import Engine
    from studio.engine.request import GenerationRequest

    images = Engine().generate(GenerationRequest(prompt="a red star", model=str(tiny_sd_dir), steps=2, seed=1, batch_size=2))
    pixels = tmp_path / "pixels.npz"
    np.savez(pixels, *[img.image for img in images])  # the worker saves what the tiny model made
    result = run(tmp_path / "kills", kills=20, pixels=str(pixels), seed=16)
    assert result["kills"] >= 20 and result["crashes"] == 0, result
    assert result["saved_images_checked"] > 20, result
    assert result["losses"] == 0 and result["integrity_failures"] == 0, result
    assert result["rows_without_file"] == 0 and result["files_without_row"] == 0, result
    assert result["reconcile_crashes"] == 0, result
