"""The raw mail cache: one Maildir file per message, outside the JSON files.

File names are derived from a hash of the Message-ID, so a hostile Message-ID
can never choose or escape a path. Each file is written to `tmp/`, fsync'd,
then renamed into `cur/` (the Maildir delivery protocol), so a reader never
sees half a message.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import logging
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from shared_inbox.store.files import FILE_MODE, fsync_dir, make_private_dir, write_all

log = logging.getLogger(__name__)

RAW_NAME = "raw"
MAILDIR_PARTS = ("cur", "new", "tmp")


def _load_syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2), which Python's os module does not expose."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function


_syncfs = _load_syncfs() if sys.platform.startswith("linux") else None


def _sync_filesystem(directory: Path) -> None:
    """Flush every file written on the filesystem holding `directory` (syncfs)."""
    assert _syncfs is not None
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs failed: {os.strerror(err)}", str(directory))
    finally:
        os.close(fd)


def raw_file_name(message_id: str) -> str:
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{digest[:32]}:2,"


class RawCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._cur = root / "cur"
        self._tmp = root / "tmp"

    @classmethod
    def open(cls, root: Path) -> RawCache:
        """Create the Maildir if needed and clear deliveries a crash left in tmp/."""
        for part in MAILDIR_PARTS:
            make_private_dir(root / part)
        cache = cls(root)
        cache._clear_tmp()
        return cache

    def path_for(self, message_id: str) -> Path:
        return self._cur / raw_file_name(message_id)

    def has(self, message_id: str) -> bool:
        return self.path_for(message_id).is_file()

    def load(self, message_id: str) -> bytes | None:
        try:
            return self.path_for(message_id).read_bytes()
        except FileNotFoundError:
            return None

    def save(self, message_id: str, raw: bytes) -> Path:
        return self.save_many([(message_id, raw)])[0]

    def save_many(self, items: Iterable[tuple[str, bytes]]) -> list[Path]:
        """Store several messages with one directory sync; durable when it returns."""
        staged: list[tuple[Path, Path]] = []
        try:
            items = list(items)
            # One filesystem sync for a whole batch instead of one fsync per file, where
            # the platform offers it: the same guarantee at a fraction of the cost.
            batch_sync = len(items) > 1 and _syncfs is not None
            for message_id, raw in items:
                staged.append((self._write_tmp(raw, sync=not batch_sync), self.path_for(message_id)))
            if batch_sync:
                _sync_filesystem(self._tmp)
            for temp, final in staged:
                os.replace(temp, final)
        except BaseException:
            for temp, _ in staged:
                with contextlib.suppress(OSError):
                    temp.unlink()
            raise
        if staged:
            fsync_dir(self._cur)
        return [final for _, final in staged]

    def _write_tmp(self, raw: bytes, *, sync: bool = True) -> Path:
        temp = self._tmp / f"{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            write_all(fd, raw)
            if sync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        os.close(fd)
        return temp

    def _clear_tmp(self) -> None:
        leftovers = [p for p in self._tmp.iterdir() if p.is_file()]
        for path in leftovers:
            path.unlink()
        if leftovers:
            log.info("%s: removed %d unfinished deliveries", self._tmp, len(leftovers))
            fsync_dir(self._tmp)
