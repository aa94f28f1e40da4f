"""The durable outbox: queued messages survive crashes, and every state change is on disk first.

Layout, inside the store directory (so the store's lock covers it; 0700 / 0600 like the rest):

    outbox/entries.json        one tinydb document per entry (atomic, fsync'd writes)
    outbox/mail/<id>-<n>.eml   the exact bytes to send, revision n (a new file per edit)

A message's bytes are written before its entry, and an edit writes a new revision before the
entry points at it, so a crash at any instant leaves either the old or the new message, never
half of one; files no entry points at are removed on open.

Every method is thread-safe: the sender works in a thread while the agent edits or cancels.
An entry that the sender has claimed (`sending`) can no longer be edited or cancelled.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tinydb import TinyDB

from shared_inbox.outbox.edit import EditError, replace_body
from shared_inbox.outbox.model import (
    EDITABLE,
    OutboxEntry,
    OutboxPolicy,
    OutboxState,
    Phase,
    Step,
    entry_from_doc,
    entry_to_doc,
)
from shared_inbox.store import Store, StoreCorrupt, StoreError
from shared_inbox.store.files import atomic_write, fsync_dir, make_private_dir, remove_leftover_temp_files
from shared_inbox.store.storage import AtomicJSONStorage

OUTBOX_NAME = "outbox"
ENTRIES_NAME = "entries.json"
MAIL_NAME = "mail"

INTERRUPTED_BEFORE = "The previous attempt was interrupted before the message was handed to the server."
MAIL_MISSING = "The file holding this message is missing, so it cannot be sent; cancel it and write it again."
INTERRUPTED_DURING = (
    "The program stopped while the message was being handed to the server, so it may have been "
    "delivered; it is not sent again automatically."
)


class OutboxError(Exception):
    """An outbox action that cannot be done, phrased for the agent."""


class Outbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.mail_dir = directory / MAIL_NAME
        self.changed = threading.Event()  # set whenever the agent queues or changes something
        self._lock = threading.RLock()
        self._db = TinyDB(directory / ENTRIES_NAME, storage=AtomicJSONStorage)
        self._table = self._db.table("entries")
        self._entries: dict[str, tuple[int, OutboxEntry, int]] = {}  # id -> (doc id, entry, revision)
        source = str(directory / ENTRIES_NAME)
        for doc in self._table:
            entry = entry_from_doc(doc, source)
            revision = doc.get("revision", 0)
            if not isinstance(revision, int):
                raise StoreCorrupt(f"{source} is damaged: entry {entry.id} has a bad revision.")
            self._entries[entry.id] = (doc.doc_id, entry, revision)

    @classmethod
    def open(cls, store: Store) -> Outbox:
        """Open (creating if needed) the outbox of an open store, finishing what a crash interrupted."""
        if store.closed:
            raise StoreError(f"the store at {store.path} is closed")
        directory = store.path / OUTBOX_NAME
        make_private_dir(directory / MAIL_NAME)
        remove_leftover_temp_files(directory)
        remove_leftover_temp_files(directory / MAIL_NAME)
        outbox = cls(directory)
        outbox._recover()
        outbox._remove_orphans()
        return outbox

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reading -----------------------------------------------------------------

    def entries(self, states: Iterable[OutboxState] | None = None) -> list[OutboxEntry]:
        """Entries (optionally only those in `states`), oldest first."""
        wanted = None if states is None else frozenset(states)
        with self._lock:
            found = [e for _, e, _ in self._entries.values() if wanted is None or e.state in wanted]
        return sorted(found, key=lambda e: e.created_at)  # stable: ties keep the order of queueing

    def get(self, entry_id: str) -> OutboxEntry:
        with self._lock:
            return self._slot(entry_id)[1]

    def raw(self, entry_id: str) -> bytes:
        """The exact bytes that go out for this entry."""
        with self._lock:
            _, entry, revision = self._slot(entry_id)
            try:
                return self._mail_path(entry.id, revision).read_bytes()
            except FileNotFoundError:
                raise OutboxError(MAIL_MISSING) from None

    def due(self, now: datetime, *, ignore_backoff: bool = False) -> list[OutboxEntry]:
        return [e for e in self.entries() if e.due(now, ignore_backoff=ignore_backoff)]

    def next_wake(self) -> datetime | None:
        """The earliest time a waiting entry becomes due."""
        times = [t for e in self.entries() if (t := e.wakes_at()) is not None]
        return min(times, default=None)

    # -- what the agent does -----------------------------------------------------

    def add(self, raw: bytes, entry: OutboxEntry) -> OutboxEntry:
        """Durably queue a message; `entry.id` is replaced by a fresh one."""
        with self._lock:
            entry = entry.evolve(id=self._new_id())
            atomic_write(self._mail_path(entry.id, 0), raw)
            doc_id = self._table.insert({**entry_to_doc(entry), "revision": 0})
            self._entries[entry.id] = (doc_id, entry, 0)
        self.changed.set()
        return entry

    def edit_body(self, entry_id: str, new_body: str) -> OutboxEntry:
        """Replace the agent's text of a message that has not left yet (signature and quote stay)."""
        with self._lock:
            doc_id, entry, revision = self._slot(entry_id)
            self._require(entry, EDITABLE, "edited")
            try:
                raw = replace_body(self._mail_path(entry.id, revision).read_bytes(), entry.body, new_body)
            except EditError as exc:
                raise OutboxError(str(exc)) from None
            atomic_write(self._mail_path(entry.id, revision + 1), raw)
            updated = entry.evolve(body=new_body)
            self._write(updated, revision + 1)
            self._unlink(self._mail_path(entry.id, revision))
        self.changed.set()
        return updated

    def cancel(self, entry_id: str) -> OutboxEntry:
        """Drop a message that has not left (undo send), or forget an unconfirmed one."""
        with self._lock:
            doc_id, entry, revision = self._slot(entry_id)
            self._require(entry, EDITABLE | {OutboxState.UNCONFIRMED}, "cancelled")
            self._table.remove(doc_ids=[doc_id])
            del self._entries[entry.id]
            self._unlink(self._mail_path(entry.id, revision))
        self.changed.set()
        return entry

    def send_now(self, entry_id: str, now: datetime) -> OutboxEntry:
        """Skip the rest of the undo window, the send-later time or the retry wait."""
        with self._lock:
            entry = self._slot(entry_id)[1]
            self._require(entry, {OutboxState.HELD, OutboxState.QUEUED}, "sent now")
            updated = self._update(
                entry.evolve(state=OutboxState.QUEUED, release_at=now, next_attempt_at=None)
            )
        self.changed.set()
        return updated

    def retry(self, entry_id: str, now: datetime) -> OutboxEntry:
        """Queue a failed or unconfirmed message again (an unconfirmed one may then arrive twice)."""
        with self._lock:
            entry = self._slot(entry_id)[1]
            self._require(entry, {OutboxState.FAILED, OutboxState.UNCONFIRMED}, "retried")
            updated = self._update(
                entry.evolve(
                    state=OutboxState.QUEUED,
                    phase=None,
                    attempts=0,
                    first_attempt_at=None,
                    next_attempt_at=None,
                    release_at=min(entry.release_at, now),
                )
            )
        self.changed.set()
        return updated

    def mark_sent(self, entry_id: str, now: datetime, pending: Iterable[Step]) -> OutboxEntry:
        """The agent knows an unconfirmed message arrived: finish it like a delivered one."""
        with self._lock:
            entry = self._slot(entry_id)[1]
            self._require(entry, {OutboxState.UNCONFIRMED}, "marked as sent")
            updated = self._sent(entry, now, "Marked as sent by the agent.", pending)
        self.changed.set()
        return updated

    # -- what the sender does ------------------------------------------------------

    def begin(self, entry_id: str, now: datetime, *, ignore_backoff: bool = False) -> OutboxEntry | None:
        """Claim a due entry for a delivery attempt; None if it is gone or no longer due."""
        with self._lock:
            slot = self._entries.get(entry_id)
            if slot is None or not slot[1].due(now, ignore_backoff=ignore_backoff):
                return None
            entry = slot[1]
            return self._update(
                entry.evolve(
                    state=OutboxState.SENDING,
                    phase=Phase.CONNECTING,
                    attempts=entry.attempts + 1,
                    first_attempt_at=entry.first_attempt_at or now,
                )
            )

    def handing_over(self, entry_id: str) -> None:
        """From now on the server may end up with the message (see model.Phase)."""
        with self._lock:
            entry = self._slot(entry_id)[1]
            self._require(entry, {OutboxState.SENDING}, "handed over")
            self._update(entry.evolve(phase=Phase.DATA))

    def delivered(
        self, entry_id: str, now: datetime, note: str | None, pending: Iterable[Step]
    ) -> OutboxEntry:
        with self._lock:
            entry = self._slot(entry_id)[1]
            self._require(entry, {OutboxState.SENDING, OutboxState.UNCONFIRMED}, "marked as delivered")
            return self._sent(entry, now, note, pending)

    def deferred(self, entry_id: str, now: datetime, error: str, policy: OutboxPolicy) -> OutboxEntry:
        """A temporary failure: try again after a backoff, or give up after `policy.give_up_after`."""
        with self._lock:
            entry = self._slot(entry_id)[1]
            first = entry.first_attempt_at or now
            if now - first >= policy.give_up_after:
                hours = round(policy.give_up_after.total_seconds() / 3600)
                return self.failed(
                    entry_id, f"Gave up after {entry.attempts} attempts in {hours} hours: {error}"
                )
            return self._update(
                entry.evolve(
                    state=OutboxState.QUEUED,
                    phase=None,
                    first_attempt_at=first,
                    next_attempt_at=now + policy.retry_delay(max(1, entry.attempts)),
                    last_error=error,
                )
            )

    def failed(self, entry_id: str, error: str) -> OutboxEntry:
        with self._lock:
            entry = self._slot(entry_id)[1]
            return self._update(entry.evolve(state=OutboxState.FAILED, phase=None, last_error=error))

    def unconfirmed(self, entry_id: str, error: str) -> OutboxEntry:
        with self._lock:
            entry = self._slot(entry_id)[1]
            return self._update(entry.evolve(state=OutboxState.UNCONFIRMED, phase=None, last_error=error))

    def step_done(self, entry_id: str, step: Step) -> OutboxEntry:
        with self._lock:
            entry = self._slot(entry_id)[1]
            return self._update(entry.evolve(pending=entry.pending - {step}))

    def prune(self, sent_before: datetime) -> list[str]:
        """Forget finished entries sent before `sent_before`; returns their ids."""
        with self._lock:
            old = [
                e
                for _, e, _ in self._entries.values()
                if e.state is OutboxState.SENT and not e.pending and e.sent_at and e.sent_at < sent_before
            ]
            for entry in old:
                doc_id, _, revision = self._entries.pop(entry.id)
                self._table.remove(doc_ids=[doc_id])
                self._unlink(self._mail_path(entry.id, revision))
            return [e.id for e in old]

    # -- internals ---------------------------------------------------------------

    def _sent(
        self, entry: OutboxEntry, now: datetime, note: str | None, pending: Iterable[Step]
    ) -> OutboxEntry:
        return self._update(
            entry.evolve(
                state=OutboxState.SENT,
                phase=None,
                sent_at=now,
                next_attempt_at=None,
                last_error=None,  # an earlier attempt's failure no longer describes the entry
                note=note,
                pending=frozenset(pending),
            )
        )

    def _recover(self) -> None:
        """Settle entries a dead process left in `sending` (the store lock says no one else is
        sending), and entries whose message file is gone (nothing can be sent for those)."""
        for _, entry, revision in list(self._entries.values()):
            if not self._mail_path(entry.id, revision).is_file():
                if entry.state is OutboxState.SENT and entry.pending:
                    self._update(entry.evolve(pending=frozenset()))
                elif entry.state is not OutboxState.SENT and entry.last_error != MAIL_MISSING:
                    self._update(entry.evolve(state=OutboxState.FAILED, phase=None, last_error=MAIL_MISSING))
            elif entry.state is not OutboxState.SENDING:
                continue
            elif entry.phase is Phase.DATA:
                self._update(
                    entry.evolve(state=OutboxState.UNCONFIRMED, phase=None, last_error=INTERRUPTED_DURING)
                )
            else:
                self._update(
                    entry.evolve(state=OutboxState.QUEUED, phase=None, last_error=INTERRUPTED_BEFORE)
                )

    def _remove_orphans(self) -> None:
        wanted = {
            self._mail_path(entry_id, revision).name for entry_id, (_, _, revision) in self._entries.items()
        }
        removed = False
        for path in self.mail_dir.iterdir():
            if path.name not in wanted and path.is_file():
                path.unlink()
                removed = True
        if removed:
            fsync_dir(self.mail_dir)

    def _slot(self, entry_id: str) -> tuple[int, OutboxEntry, int]:
        slot = self._entries.get(entry_id.strip())
        if slot is None:
            raise OutboxError(f"There is no outbox entry {entry_id!r}; `shared-inbox outbox` lists them.")
        return slot

    def _require(self, entry: OutboxEntry, allowed: Iterable[OutboxState], action: str) -> None:
        if entry.state in set(allowed):
            return
        why = {
            OutboxState.SENDING: "it is being sent right now",
            OutboxState.SENT: "it was already sent",
            OutboxState.UNCONFIRMED: "it may already have been delivered",
        }.get(entry.state, f"it is {entry.state.value}")
        raise OutboxError(f"Outbox entry {entry.id} cannot be {action}: {why}.")

    def _update(self, entry: OutboxEntry) -> OutboxEntry:
        return self._write(entry, self._entries[entry.id][2])

    def _write(self, entry: OutboxEntry, revision: int) -> OutboxEntry:
        doc_id = self._entries[entry.id][0]
        self._table.update({**entry_to_doc(entry), "revision": revision}, doc_ids=[doc_id])
        self._entries[entry.id] = (doc_id, entry, revision)
        return entry

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(4)
            if candidate not in self._entries:
                return candidate

    def _mail_path(self, entry_id: str, revision: int) -> Path:
        # Entry ids are made here (hex), never taken from mail, so they are safe as file names.
        return self.mail_dir / f"{entry_id}-{revision}.eml"

    def _unlink(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            fsync_dir(path.parent)
