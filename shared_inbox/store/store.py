"""The durable local store: everything shared-inbox remembers between runs.

Layout of a store directory (all files 0600, directories 0700):

    lock            flock held while open; holds the owner's pid
    meta.json       schema version and creation time
    messages/       MessageMeta documents, tinydb shards of 250 by arrival (messages.py)
    messages/snapshot.bin  all of them in one compact file, checked against the shards (snapshot.py)
    folders.json    per-folder sync state (tables.py)
    settings.json   small key/value settings (tables.py)
    events.log      the team's events, checksummed JSON lines (eventlog.py)
    raw/            raw mail, a Maildir keyed by a hash of the Message-ID (raw.py)
    derived-*.bin   state derived from messages and events, kept for a quick open (derived.py)

Every method that changes state has made the change durable (fsync'd) when it
returns, and a crash at any instant leaves a store that opens and holds every
change that was acknowledged. Reads are served from memory. Calls may come
from several threads (a background sync next to the UI): each one holds an
internal lock for its duration.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Concatenate, ParamSpec, Protocol, TypeVar

from shared_inbox.domain.model import MessageMeta
from shared_inbox.store.derived import derived_path, read_derived, write_derived
from shared_inbox.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreNotFound,
    StoreUnusable,
    unusable_message,
)
from shared_inbox.store.eventlog import EVENTS_NAME, EventLog
from shared_inbox.store.files import DIR_MODE, TEMP_SUFFIX, make_private_dir, remove_leftover_temp_files
from shared_inbox.store.lock import LOCK_NAME, StoreLock
from shared_inbox.store.messages import MESSAGES_NAME, SHARD_SIZE, MessageShards, MessagesWritten
from shared_inbox.store.raw import RAW_NAME, RawCache
from shared_inbox.store.schema import META_NAME, StoreMeta, new_meta, read_meta, upgrade, write_meta
from shared_inbox.store.tables import FOLDERS_NAME, SETTINGS_NAME, FolderState, FolderTable, SettingsTable

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class _Closable(Protocol):
    def close(self) -> None: ...


def _serialized(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run the method under the store's lock, so threads see whole changes only."""

    def run(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._mutex:
            return method(self, *args, **kwargs)

    functools.update_wrapper(run, method)
    return run


class Store:
    def __init__(
        self,
        path: Path,
        lock: StoreLock,
        meta: StoreMeta,
        messages: MessageShards,
        folders: FolderTable,
        settings: SettingsTable,
        events: EventLog,
        raw: RawCache,
    ) -> None:
        self.path = path
        self.meta = meta
        self._lock = lock
        self._messages = messages
        self._folders = folders
        self._settings = settings
        self._events = events
        self._raw = raw
        self._mutex = threading.RLock()

    # -- lifecycle -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, shard_size: int = SHARD_SIZE) -> Store:
        """Lock and load the store at `path`, creating it when allowed.

        Raises StoreLocked, StoreCorrupt, StoreTooNew, StoreNotFound (create=False).
        """
        path = Path(path)
        try:
            _check_is_store_or_empty(path, create)
            if not path.exists():
                make_private_dir(path)
            lock = StoreLock.acquire(path)
        except OSError as exc:  # a file where a directory should be, no permission, read-only disk
            raise StoreUnusable(unusable_message(path, exc)) from None
        opened: list[_Closable] = []
        try:
            meta = read_meta(path)
            if meta is None:
                _check_is_store_or_empty(path, create)
                os.chmod(path, DIR_MODE)  # the directory may have existed, empty, with looser rights
                meta = new_meta()
                write_meta(path, meta)
            else:
                meta = upgrade(path, meta)
            remove_leftover_temp_files(path)
            with _gc_paused():
                messages = MessageShards.open(path / MESSAGES_NAME, shard_size=shard_size)
                opened.append(messages)
                folders = FolderTable(path / FOLDERS_NAME)
                opened.append(folders)
                settings = SettingsTable(path / SETTINGS_NAME)
                opened.append(settings)
                events = EventLog.open(path / EVENTS_NAME)
                opened.append(events)
            raw = RawCache.open(path / RAW_NAME)
        except BaseException:
            for part in reversed(opened):
                part.close()
            lock.release()
            raise
        return cls(path, lock, meta, messages, folders, settings, events, raw)

    @_serialized
    def close(self) -> None:
        """Release the lock; nothing to flush, since every write was durable already."""
        if not self._lock.held:
            return
        self._messages.close()
        self._folders.close()
        self._settings.close()
        self._events.close()
        self._lock.release()

    @property
    def closed(self) -> bool:
        return not self._lock.held

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _writable(self) -> None:
        if not self._lock.held:
            raise StoreError(f"the store at {self.path} is closed")

    # -- messages --------------------------------------------------------------

    @_serialized
    def upsert_messages(self, metas: Sequence[MessageMeta]) -> list[str]:
        """Add new messages and merge known ones; returns the Message-IDs that were new.

        A known message keeps its header fields, takes the given flags, and gains the
        given locations (one replacing a location in the same folder under another
        UIDVALIDITY).
        """
        self._writable()
        return self._messages.upsert(metas)

    @_serialized
    def update_flags(self, changes: Mapping[str, frozenset[str]]) -> None:
        """Replace the flags of known messages; unknown Message-IDs are ignored."""
        self._writable()
        self._messages.set_flags(changes)

    @_serialized
    def remove_locations(self, folder: str, uids: Iterable[int]) -> None:
        """The server expunged these UIDs: the messages stay, their locations go."""
        self._writable()
        self._messages.remove_locations(folder, uids, self._current_validities(folder))

    @_serialized
    def drop_folder_locations(self, folder: str) -> None:
        """The folder's UIDVALIDITY changed: every UID stored for it is void."""
        self._writable()
        self._messages.drop_folder(folder)

    @_serialized
    def message(self, message_id: str) -> MessageMeta | None:
        """A copy of the stored message; changing it does not change the store."""
        return self._messages.get(message_id)

    def message_table(self) -> Mapping[str, MessageMeta]:
        """Every stored message by Message-ID: live, read-only, shared rather than copied.

        The one copy of message metadata in memory; the inbox reads through it. A
        write replaces entries whole, so a meta taken from it never changes under you.
        """
        return self._messages.table

    def watch_messages(self, listener: MessagesWritten) -> None:
        """Call `listener(new_ids, changed_ids)` after every message write, on the writing thread.

        It runs under the store's lock: it must be quick and must not call the store.
        """
        self._messages.listeners.append(listener)

    @_serialized
    def messages(self) -> Iterator[MessageMeta]:
        """Copies of every stored message, in arrival order."""
        return iter(self._messages)

    @_serialized
    def message_count(self) -> int:
        return len(self._messages)

    @_serialized
    def uid_map(self, folder: str) -> dict[int, str]:
        """UID -> Message-ID for the folder's locations under its current UIDVALIDITY.

        The current UIDVALIDITY is the one in the saved folder state; before the first
        state is saved (an interrupted first sync) every stored location counts.
        """
        return self._messages.uid_map(folder, self._current_validities(folder))

    def _current_validities(self, folder: str) -> set[int] | None:
        state = self._folders.get(folder)
        return None if state is None else {state.uidvalidity}

    # -- folders ---------------------------------------------------------------

    @_serialized
    def folder_state(self, name: str) -> FolderState | None:
        return self._folders.get(name)

    @_serialized
    def folder_names(self) -> list[str]:
        return self._folders.names()

    @_serialized
    def save_folder_state(self, state: FolderState) -> None:
        self._writable()
        self._folders.save(state)

    # -- events ----------------------------------------------------------------

    @_serialized
    def append_event(self, event: Mapping[str, Any]) -> bool:
        """Durably append an event (the domain's JSON form); False if its "id" is already stored."""
        self._writable()
        return self._events.append(event)

    @_serialized
    def append_events(self, events: Sequence[Mapping[str, Any]]) -> list[bool]:
        """Durably append many events with a single fsync; per event, False if its "id" was already stored.

        All or nothing: when it raises, none of the batch is stored.
        """
        self._writable()
        return self._events.append_many(events)

    @_serialized
    def events(self) -> list[dict[str, Any]]:
        return self._events.events()

    @_serialized
    def event_count(self) -> int:
        return len(self._events)

    @_serialized
    def has_event(self, event_id: str) -> bool:
        return event_id in self._events

    # -- derived state ----------------------------------------------------------

    @_serialized
    def contents_digest(self) -> bytes:
        """A digest of every stored message and event: changes whenever either changes."""
        digest = hashlib.sha1(self._messages.digest(), usedforsecurity=False)
        digest.update(self._events.path.read_bytes())
        return digest.digest()

    @_serialized
    def load_derived(self, name: str, key: bytes, read: Callable[[BinaryIO], R]) -> R | None:
        """`read(file)` of the state kept with `save_derived` under the same name and key, else None."""
        return read_derived(derived_path(self.path, name), key, read)

    @_serialized
    def save_derived(self, name: str, key: bytes, payload: bytes) -> None:
        """Keep state derived from the store (a cache); a failure to write is only logged."""
        self._writable()
        try:
            write_derived(derived_path(self.path, name), key, payload)
        except OSError as exc:
            log.warning("could not keep %s (%s); the next start derives it again", name, exc)

    # -- raw mail --------------------------------------------------------------

    @_serialized
    def save_raw(self, message_id: str, raw: bytes) -> Path:
        self._writable()
        return self._raw.save(message_id, raw)

    @_serialized
    def save_raw_many(self, items: Iterable[tuple[str, bytes]]) -> list[Path]:
        """Save several raw messages (Message-ID, bytes) with a single directory sync."""
        self._writable()
        return self._raw.save_many(items)

    @_serialized
    def load_raw(self, message_id: str) -> bytes | None:
        return self._raw.load(message_id)

    @_serialized
    def has_raw(self, message_id: str) -> bool:
        return self._raw.has(message_id)

    # -- settings --------------------------------------------------------------

    @_serialized
    def get_setting(self, key: str, default: Any = None) -> Any:
        return self._settings.get(key, default)

    @_serialized
    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON-compatible value under `key` (TypeError/ValueError otherwise)."""
        self._writable()
        self._settings.set(key, value)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading builds millions of small acyclic objects; cyclic GC passes over them would
    only slow opening down by about a third."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_is_store_or_empty(path: Path, create: bool) -> None:
    """Refuse to turn a directory that holds other things into a store."""
    if (path / META_NAME).exists():
        if not path.is_dir():
            raise StoreError(f"{path} is not a directory")
        return
    if not create:
        raise StoreNotFound(f"there is no shared-inbox store at {path}")
    if not path.exists():
        return
    if not path.is_dir():
        raise StoreError(f"{path} is not a directory, so it cannot hold a shared-inbox store")
    others = [
        entry.name
        for entry in path.iterdir()
        if entry.name != LOCK_NAME and not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX))
    ]
    if others:
        listed = ", ".join(sorted(others)[:5])
        raise StoreCorrupt(
            f"{path / META_NAME} is missing but {path} is not empty (it holds {listed}); "
            "it is not a shared-inbox store, or its meta.json was lost."
        )
