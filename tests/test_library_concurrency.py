"""Issue 16: two or more processes saving at once keep every image, each with its own row."""

from __future__ import annotations

from concurrent_writers import run


def test_concurrent_writers_keep_every_image(studio_home):
    result = run(studio_home, procs=3, per_proc=40)
    assert result["writer_crashes"] == 0
    assert result["kept"] == result["saves"] == 120
    assert result["rows"] == result["distinct_files"] == 120
    assert result["rows_showing_their_own_file"] == 120
    gallery_files = list((studio_home / "gallery").rglob("*.png"))
    assert len(gallery_files) == 120  # no orphan, no overwritten file
