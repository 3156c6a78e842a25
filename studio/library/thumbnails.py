"""Thumbnails cached on disk, made in a background thread pool.

A thumbnail's file name is a hash of the image's path, size and modification
time and the thumbnail size, so a changed file gets a fresh thumbnail (the
old one is simply never asked for again; :meth:`ThumbnailCache.prune` removes
such strays). Qt-free: the gallery view wraps :meth:`ThumbnailCache.submit`.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

from studio.fsutil import StorageError, atomic_write_bytes

THUMB_SIZE = 256
THUMB_FORMAT = "WEBP"
THUMB_EXT = ".webp"


def thumb_key(path: Path, size: int, mtime_ns: int, px: int = THUMB_SIZE) -> str:
    text = f"{Path(path).as_posix()}|{size}|{mtime_ns}|{px}"
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_thumbnail(source: Path, px: int = THUMB_SIZE) -> Image.Image:
    """A thumbnail no larger than ``px`` on its longest side (RGB or RGBA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source) as im:
            if im.format == "JPEG":
                im.draft("RGB", (px, px))  # decode at reduced size: much faster for big JPEGs
            im = ImageOps.exif_transpose(im)
            im.thumbnail((px, px), Image.Resampling.LANCZOS, reducing_gap=2.0)
            if im.mode not in ("RGB", "RGBA"):
                im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
            return im.copy()


class ThumbnailCache:
    """``root/thumbnails/ab/<key>.webp`` files, made on demand by ``workers`` threads."""

    def __init__(self, folder: Path, px: int = THUMB_SIZE, workers: int = 2):
        self.folder = Path(folder)
        self.px = px
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def path_for(self, image: Path, size: int | None = None, mtime_ns: int | None = None) -> Path:
        if size is None or mtime_ns is None:
            st = os.stat(image)
            size, mtime_ns = st.st_size, st.st_mtime_ns
        key = thumb_key(Path(image).resolve(), size, mtime_ns, self.px)
        return self.folder / key[:2] / f"{key}{THUMB_EXT}"

    def cached(self, image: Path) -> Path | None:
        try:
            path = self.path_for(image)
        except OSError:
            return None
        return path if path.exists() else None

    def get(self, image: Path) -> Path:
        """The cached thumbnail of ``image``, making it first when needed (blocking)."""
        path = self.path_for(image)  # stat now: the key follows the current file
        if path.exists():
            return path
        thumb = make_thumbnail(image, self.px)
        out = io.BytesIO()
        thumb.save(out, THUMB_FORMAT, quality=80, method=2)
        atomic_write_bytes(path, out.getvalue())
        return path

    def load(self, image: Path) -> Image.Image:
        """The thumbnail as a loaded PIL image (made and cached when needed)."""
        try:
            path = self.get(image)
        except StorageError:  # a read-only or full disk: show it without caching it
            return make_thumbnail(image, self.px)
        try:
            with Image.open(path) as im:
                im.load()
                return im.copy()
        except OSError:  # a damaged cache file: make it again
            path.unlink(missing_ok=True)
            with Image.open(self.get(image)) as im:
                im.load()
                return im.copy()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="thumbnails")
            return self._pool

    def submit(self, image: Path, callback: Callable[[Future], None] | None = None) -> Future:
        """Make/load the thumbnail in the background; the future's result is a PIL image."""
        future = self._executor().submit(self.load, Path(image))
        if callback is not None:
            future.add_done_callback(callback)
        return future

    def prune(self, keep: Iterable[Path]) -> int:
        """Delete cached thumbnails of files not in ``keep`` (or changed since); returns how many."""
        wanted = set()
        for image in keep:
            try:
                wanted.add(self.path_for(image).name)
            except OSError:
                continue
        removed = 0
        if not self.folder.exists():
            return 0
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for thumb in sub.iterdir():
                if thumb.name not in wanted:
                    thumb.unlink(missing_ok=True)
                    removed += 1
        return removed

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
