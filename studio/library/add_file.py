"""Adding an already-encoded image (with its metadata) to the library: results of tools other than generation."""

from __future__ import annotations

import time

from studio.fsutil import atomic_write_bytes
from studio.library.entry import GalleryEntry


def add_png(lib, data: bytes, stem: str) -> GalleryEntry:
    """Write PNG bytes into today's gallery folder (atomically), then index the file's metadata."""
    now = time.time()
    with lib._write_lock:
        path = lib._new_image_path(now, stem)
        atomic_write_bytes(path, data)
        row, _broken = lib._row_for_file(path, path.stat(), created=now)
        new_id = lib._insert_row(row)
    entry = lib.get(new_id)
    assert entry is not None
    return entry
