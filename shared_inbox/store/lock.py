"""An exclusive lock on a store directory, held for as long as the store is open.

fcntl.flock locks are released by the kernel when the process dies, so a
crashed process never leaves a stale lock; the pid inside the file is only
there to make the error message useful.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from shared_inbox.store.errors import StoreLocked
from shared_inbox.store.files import FILE_MODE, sync_fd, write_all

LOCK_NAME = "lock"


class StoreLock:
    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, store_path: Path) -> StoreLock:
        """Take the lock or raise StoreLocked naming the process that holds it."""
        path = store_path / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise StoreLocked(_locked_message(store_path, holder)) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            write_all(fd, f"{os.getpid()}\n".encode())
            sync_fd(fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Unlock; the file stays, because deleting a lock file races with the next locker."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _locked_message(store_path: Path, pid: int | None) -> str:
    if pid == os.getpid():
        return f"{store_path} is already open in this shared-inbox process (pid {pid})"
    who = f"pid {pid}" if pid is not None else "pid unknown"
    return f"{store_path} is in use by another shared-inbox process ({who})"
