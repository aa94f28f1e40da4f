"""A tinydb storage that never leaves a half-written file behind.

tinydb's JSONStorage rewrites its file in place, so a crash mid-write corrupts
it, and it rereads the whole file on every access. This storage keeps the last
written state in memory (until `drop_cache`) and replaces the file atomically
(see `files.atomic_write`), so each write is durable when it returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from shared_inbox.store.errors import StoreCorrupt
from shared_inbox.store.files import atomic_write

Tables = dict[str, dict[str, Any]]


def encode_json(data: object) -> bytes:
    """Compact, ASCII-only JSON: lone surrogates from hostile headers survive the round trip."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode("ascii")


def read_json_file(path: Path) -> object | None:
    """Parse a JSON file, None when it does not exist, StoreCorrupt when it cannot be parsed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        parsed: object = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreCorrupt(
            f"{path} is damaged and cannot be read ({exc}); restore it from a backup, "
            "or move the store aside and sync again."
        ) from exc
    return parsed


class AtomicJSONStorage(Storage):
    """tinydb storage: cached reads, atomic fsync'd writes, optional batching of writes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._data: Tables | None = None
        self._loaded = False
        self._batch_depth = 0
        self._dirty = False
        self.writes = 0  # durable writes done, so callers and tests can see batching work

    def read(self) -> Tables | None:
        if not self._loaded:
            data = read_json_file(self.path)
            if data is not None and not (
                isinstance(data, dict) and all(isinstance(t, dict) for t in data.values())
            ):
                raise StoreCorrupt(f"{self.path} does not hold tinydb tables; the store is damaged.")
            self._data = data
            self._loaded = True
        return self._data

    def write(self, data: Tables) -> None:
        self._data = data
        self._loaded = True
        if self._batch_depth:
            self._dirty = True
            return
        self._flush()

    def close(self) -> None:
        self._forget()

    def drop_cache(self) -> None:
        """Free the in-memory copy; the next access rereads the file (outside a batch only)."""
        if not self._batch_depth:
            self._forget()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Collect the writes made inside the block into one durable write at its end.

        If the block raises, its changes are discarded (memory is reloaded from disk).
        """
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._batch_depth -= 1
            if not self._batch_depth:
                self._forget()
            raise
        self._batch_depth -= 1
        if not self._batch_depth and self._dirty:
            self._flush()

    def _flush(self) -> None:
        try:
            atomic_write(self.path, encode_json(self._data))
        except BaseException:
            # tinydb mutated our cached dict before handing it over, so memory is now
            # ahead of the disk: drop it and reread the file next time.
            self._forget()
            raise
        self._dirty = False
        self.writes += 1

    def _forget(self) -> None:
        self._data = None
        self._loaded = False
        self._dirty = False
