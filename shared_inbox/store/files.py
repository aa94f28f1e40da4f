"""Small filesystem primitives that make writes durable and private.

Every file the store creates is mode 0600 and every directory 0700, whatever
the umask, because the store holds customer mail.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".tmp"


def fsync_dir(path: Path) -> None:
    """Persist a directory entry change (create, rename, unlink)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) as 0700 directories, durably."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, DIR_MODE)
        fsync_dir(directory.parent)


def write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked; loop until everything is out."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def sync_fd(fd: int) -> None:
    """fdatasync where available: it skips timestamps but keeps size, which is all we need."""
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - macOS
        os.fsync(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file.

    The bytes go to a temporary file in the same directory, are fsync'd, renamed
    over the target, and the directory is fsync'd so the rename itself survives.
    """
    atomic_write_with(path, lambda fd: write_all(fd, data))


def atomic_write_with(path: Path, fill: Callable[[int], None]) -> None:
    """As `atomic_write`, with `fill` writing the new content to the file descriptor it is given.

    For content too large to hold twice in memory: the writer can produce it piece by piece.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        fill(fd)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    os.close(fd)
    try:
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_dir(path.parent)


def remove_leftover_temp_files(directory: Path) -> list[Path]:
    """Delete temporary files a crash left behind in `directory` (see atomic_write)."""
    removed = []
    for entry in directory.glob(f".*{TEMP_SUFFIX}"):
        if entry.is_file():
            entry.unlink()
            removed.append(entry)
    if removed:
        fsync_dir(directory)
    return removed
