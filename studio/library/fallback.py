"""Where a finished image goes when its folder cannot be written (read-only or full disk).

A generation that took minutes is never dropped because the gallery or the
``--out`` folder failed: :func:`save_elsewhere` writes it (PNG with its
metadata, atomically, never replacing a file) into the first fallback folder
that works, and says where.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from studio.engine import metadata as md_mod
from studio.fsutil import StorageError, write_new_file

FALLBACK_NAME = "studio-unsaved"


def fallback_folders(exclude: Path | None = None) -> list[Path]:
    """Candidates, in order: $STUDIO_FALLBACK_DIR, the temp folder, the home folder."""
    out = []
    env = os.environ.get("STUDIO_FALLBACK_DIR")
    if env:
        out.append(Path(env).expanduser())
    out.append(Path(tempfile.gettempdir()) / FALLBACK_NAME)
    out.append(Path.home() / FALLBACK_NAME)
    if exclude is not None:
        out = [p for p in out if Path(os.path.abspath(p)) != Path(os.path.abspath(exclude))]
    return out


def save_elsewhere(images: Sequence, *, exclude: Path | None = None) -> list[Path]:
    """Write ``images`` (GeneratedImage) into the first fallback folder that takes them all.

    Raises :class:`StorageError` naming every folder tried when none works.
    """
    tried = []
    for folder in fallback_folders(exclude):
        try:
            written = []
            for img in images:
                data = md_mod.encode_png(img)
                names = (f"{img.seed}-{img.index}-{n}.png" for n in itertools.count(1))
                written.append(write_new_file(folder, names, data))
            return written
        except OSError as exc:
            tried.append(f"{folder} ({exc})")
    raise StorageError(f"No fallback folder could be written either: {'; '.join(tried)}.")
