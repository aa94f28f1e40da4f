"""State derived from the store's messages and events, kept beside them so that opening is quick.

Threading 50k messages into conversations and putting those together costs most of a second
at every start. A caller that derives such state may keep it here under a key that names what it
was derived from (see `Store.contents_digest`); reading it back gives the bytes only when the
file is intact and the key is the same. Anything else (no file, damaged, another key, another
format) reads as nothing, and the caller derives the state again. The file is a cache: losing or
damaging it costs time, never data, and it is never the only copy of anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from shared_inbox.store.files import atomic_write

log = logging.getLogger(__name__)

_MAGIC = b"shared-inbox derived state 1\n"
_CHECKSUM_SIZE = 20
_KEY_SIZE = 20
_CHUNK = 1 << 20
T = TypeVar("T")
_NAME = re.compile(r"[a-z][a-z-]{0,30}")


def derived_path(store_path: Path, name: str) -> Path:
    """Where the state called `name` (a fixed word of the caller's, never data) is kept."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a name for derived state")
    return store_path / f"derived-{name}.bin"


def write_derived(path: Path, key: bytes, payload: bytes) -> None:
    """Keep `payload` under `key` (a 20-byte digest) atomically, behind a checksum of both."""
    if len(key) != _KEY_SIZE:
        raise ValueError("the key of derived state is a 20-byte digest")
    body = key + payload
    atomic_write(path, _MAGIC + hashlib.sha1(body, usedforsecurity=False).digest() + body)


def read_derived(path: Path, key: bytes, read: Callable[[BinaryIO], T]) -> T | None:
    """`read(file)` of the payload kept under `key`, or None when there is none, it is damaged or
    its key differs. The file is read in pieces, never held whole: it may be tens of megabytes."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_MAGIC) + _CHECKSUM_SIZE + _KEY_SIZE)
            if not head.startswith(_MAGIC) or len(head) < len(_MAGIC) + _CHECKSUM_SIZE + _KEY_SIZE:
                log.warning("%s is not derived state; deriving it again", path)
                return None
            checksum, stored_key = head[len(_MAGIC) : -_KEY_SIZE], head[-_KEY_SIZE:]
            if stored_key != key:
                return None  # derived from other messages or events: the normal case after a change
            digest = hashlib.sha1(stored_key, usedforsecurity=False)
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
            if digest.digest() != checksum:
                log.warning("%s is damaged; deriving it again", path)
                return None
            file.seek(len(head))
            return read(file)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); deriving it again", path, exc)
        return None
