"""Adding an already-encoded image (with its metadata) to the library: results of tools other than generation."""

from __future__ import annotations

import contextlib
import hashlib
import time

from studio.fsutil import write_new_file
from studio.library.entry import GalleryEntry
from studio.library.names import safe_filename


def add_png(lib, data: bytes, stem: str) -> GalleryEntry:
    """Write PNG bytes into today's gallery folder under a name claimed across processes, then index it."""
    now = time.time()
    with lib._write_lock:
        folder, prefix = lib._day_folder(now)
        name = safe_filename(f"{prefix}-{stem}", ".png")
        path = write_new_file(folder, lib._free_names(folder, name[: -len(".png")], ".png"), data)
        try:
            row, _broken = lib._row_for_file(path, path.stat(), created=now)
            row["content_hash"] = hashlib.sha1(data).hexdigest()
            new_id = lib._insert_row(row)
        except BaseException:
            with contextlib.suppress(OSError):  # no file without its row
                path.unlink()
            raise
    entry = lib.get(new_id)
    assert entry is not None
    return entry
