"""Atomic file writes: a temporary file in the target folder, fsync, rename.

A reader (or a crash) sees either the old file or the complete new one, never
a partial write. Disk errors become :class:`StorageError` with a message a
user can act on.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".studio-tmp-"


class StorageError(OSError):
    """A file could not be written; the message says why in plain words (no ``[Errno N]`` prefix)."""

    def __str__(self) -> str:
        return self.strerror if self.errno is not None and self.strerror else super().__str__()


def describe_os_error(exc: OSError, path: Path, needed: int | None = None) -> str:
    if exc.errno == errno.ENOSPC:
        try:
            free = f"{shutil.disk_usage(path.parent).free / 1e6:.1f} MB free"
        except OSError:
            free = ""
        size = f"{needed / 1e6:.2f} MB needed" if needed else ""
        detail = ", ".join(x for x in (size, free) if x)
        return f"The disk is full{f' ({detail})' if detail else ''}: could not write {path}. Free some space and try again."
    if exc.errno == errno.EDQUOT:
        return f"The disk quota is used up: could not write {path}. Free some space and try again."
    if exc.errno in (errno.EROFS,):
        return f"The folder {path.parent} is on a read-only disk; choose another output folder."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"No permission to write {path}; choose another folder or fix its permissions."
    return f"Could not write {path}: {exc.strerror or exc}"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported on this platform (e.g. Windows)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask (read by setting it and putting it straight back)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(fileobj)`` on a temp file beside ``path``, then rename it into place.

    The file gets the mode a plain ``open()`` would give it (0666 less the umask,
    so 0644 under the usual 022), not ``mkstemp``'s private 0600.
    """
    path = Path(path)
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(path.parent)
    except OSError as exc:
        if isinstance(exc, StorageError):
            raise
        raise StorageError(exc.errno, describe_os_error(exc, path)) from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_new_file(folder: str | os.PathLike, names: Iterable[str], data: bytes) -> Path:
    """Write ``data`` under the first of ``names`` that is free in ``folder``, never replacing a file.

    The name is claimed atomically, across processes: the complete temp file is
    hard-linked to the name (``link`` fails when the name exists), so two
    writers never get the same name and no reader ever sees a partial file.
    Where hard links are not supported the name is reserved with an
    ``O_EXCL`` create and the temp file renamed over that reservation.
    """
    folder = Path(folder)
    tmp_name = None
    target = folder / "image"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())  # as atomic_write: the umask's mode, not mkstemp's 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        for name in names:
            target = folder / name
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                try:  # no hard links here: reserve the name, then rename over the reservation
                    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                except FileExistsError:
                    continue
                os.replace(tmp_name, target)
                tmp_name = None
            _fsync_dir(folder)
            return target
        raise StorageError(errno.EEXIST, f"No free file name left in {folder}.")
    except OSError as exc:
        if isinstance(exc, StorageError):
            raise
        raise StorageError(exc.errno, describe_os_error(exc, target, len(data))) from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def is_temp_leftover(path: Path) -> bool:
    """True for the temp files an interrupted :func:`atomic_write` can leave behind."""
    return path.name.startswith(TEMP_PREFIX)
