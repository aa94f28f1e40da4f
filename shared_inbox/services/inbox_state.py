"""The inbox's thread index, conversations and parsed events, kept beside the store between runs.

Threading every message, parsing every event and putting every conversation together again
is most of what opening a large mailbox costs. The inbox keeps what it derived (see
`Store.save_derived`) under a key naming everything it was derived from: the store's messages
and events (`Store.contents_digest`), the threading settings, and the code that derives it.
The next open takes it back only when that key is the same, so a change to any of them rebuilds.

pickle, read back by an unpickler that builds nothing but the domain's own value classes and
datetimes: the bytes come only from this module, in a 0600 file inside the 0700 store, behind
a checksum, and anything else it meets fails the load, which then rebuilds.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import pickle
from pathlib import Path
from typing import Any, BinaryIO

import shared_inbox.domain
from shared_inbox.store import Store

log = logging.getLogger(__name__)

NAME = "inbox"
_FORMAT = b"inbox state 1"
_DATETIME_CLASSES = frozenset({"datetime", "timedelta", "timezone"})
_DOMAIN = "shared_inbox.domain."


@functools.cache
def code_fingerprint() -> bytes | None:
    """A digest of the code that derives the state: a new version never reads an old one's."""
    sources = [
        *sorted(Path(shared_inbox.domain.__file__).parent.rglob("*.py")),
        Path(__file__).parent / "inbox.py",
        Path(__file__),
    ]
    digest = hashlib.sha1(_FORMAT, usedforsecurity=False)
    try:
        for source in sources:
            digest.update(source.read_bytes())
    except OSError:
        return None  # without the sources no state is kept: rebuilding is always right
    return digest.digest()


def state_key(store: Store, settings: tuple[object, ...]) -> bytes | None:
    """What the state derived now from `store` under `settings` is kept and found under."""
    code = code_fingerprint()
    if code is None:
        return None
    digest = hashlib.sha1(code, usedforsecurity=False)
    digest.update(repr(settings).encode())
    digest.update(store.contents_digest())
    return digest.digest()


def dump_state(state: tuple[Any, ...]) -> bytes | None:
    """The state as bytes; None (logged) when some part of it cannot be kept."""
    try:
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        log.warning("the inbox state cannot be kept (%s); the next open rebuilds it", exc)
        return None


def load_state(file: BinaryIO) -> tuple[Any, ...] | None:
    """The kept state, or None when it cannot be read back (then the caller rebuilds)."""
    try:
        state = _DomainUnpickler(file).load()
    except Exception as exc:  # noqa: BLE001 - any failure means: rebuild
        log.warning("the kept inbox state is unreadable (%s); rebuilding it", exc)
        return None
    return state if isinstance(state, tuple) else None


class _DomainUnpickler(pickle.Unpickler):
    """Builds only the domain's classes and datetimes; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name in _DATETIME_CLASSES:
            return getattr(datetime, name)
        if module.startswith(_DOMAIN) and "." not in name:
            found = getattr(super().find_class(module, name), "__mro__", None)
            if found is not None:
                return found[0]
        raise pickle.UnpicklingError(f"{module}.{name} is not part of the inbox state")
