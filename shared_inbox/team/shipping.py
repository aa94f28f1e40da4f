"""The local side of the team log: what still has to go up, and taking in what came down.

The store's event log holds local and teammates' events in arrival order. A
durable cursor in the store settings says how much of that log is already on
the server (shipped by us, or read from there). The cursor is written only
after the APPEND succeeded, so a process killed in between ships the same
events again; their ids make the repeat harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared_inbox.domain.events import Event, EventError, event_from_json, event_to_json
from shared_inbox.store import Store

log = logging.getLogger(__name__)

SHIPPED_KEY = "team.shipped"  # int: events of the log, in file order, known to be on the server
FETCHED_KEY = "team.fetched"  # {"uidvalidity": int, "last_uid": int}: how far the events folder was read
IGNORED_KEY = "team.ignored"  # {"uidvalidity", "total", "messages": [...]}: folder messages not taken in
SHARING_OFF_KEY = (
    "team.sharing_off"  # str: why the last exchange with the events folder failed; absent when it worked
)
NAMED_AT_MOST = 50  # ignored messages remembered by name; the count goes on


@dataclass(frozen=True)
class Pending:
    """Local events to ship, each with the cursor value that becomes true once it is on the server."""

    events: list[tuple[Event, int]]
    end: int  # the cursor once everything pending (and everything skipped) is on the server


@dataclass(frozen=True)
class FetchCursor:
    uidvalidity: int
    last_uid: int
    keys: str = ""  # which team keys read it (TeamKeys.fingerprint): other keys read everything again


@dataclass(frozen=True)
class IgnoredMessage:
    """A message of the events folder that was not (wholly) taken in; texts are printable ASCII."""

    uid: int
    reason: str
    sender: str = ""
    subject: str = ""


@dataclass(frozen=True)
class IgnoredReport:
    total: int
    named: list[IgnoredMessage]


class ShipQueue:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.on_server: set[str] = set()  # ids seen in the events folder or shipped, this run

    @property
    def shipped(self) -> int:
        value = self.store.get_setting(SHIPPED_KEY, 0)
        return value if type(value) is int and value >= 0 else 0

    def backlog(self) -> int:
        """How many log entries are past the cursor (an upper bound on what is left to ship)."""
        return max(0, self.store.event_count() - self.shipped)

    def pending(self) -> Pending:
        start = self.shipped
        if self.store.event_count() <= start:
            return Pending([], start)
        docs = self.store.events()
        events: list[tuple[Event, int]] = []
        for position, doc in enumerate(docs[start:], start + 1):
            if doc.get("id") in self.on_server:
                continue
            try:
                events.append((event_from_json(doc), position))
            except EventError as exc:
                log.warning("not shipping a malformed event from the local log: %s", exc)
        return Pending(events, len(docs))

    def mark_shipped(self, cursor: int, events: Iterable[Event] = ()) -> None:
        self.on_server.update(event.id for event in events)
        if cursor > self.shipped:
            self.store.set_setting(SHIPPED_KEY, cursor)

    # -- what came down ------------------------------------------------------------

    def sharing_off(self) -> str | None:
        """Why team sharing failed at the last exchange, or None when it worked (or never ran)."""
        value = self.store.get_setting(SHARING_OFF_KEY)
        return value if isinstance(value, str) and value else None

    def record_sharing(self, off_because: str | None) -> None:
        """Remember the outcome of an exchange; written only when it changed."""
        if self.sharing_off() != off_because:
            self.store.set_setting(SHARING_OFF_KEY, off_because or "")

    def fetch_cursor(self) -> FetchCursor | None:
        value = self.store.get_setting(FETCHED_KEY)
        if not isinstance(value, dict):
            return None
        validity, last, keys = value.get("uidvalidity"), value.get("last_uid"), value.get("keys", "")
        if type(validity) is not int or type(last) is not int or last < 0 or not isinstance(keys, str):
            return None
        return FetchCursor(validity, last, keys)

    def save_fetch_cursor(self, cursor: FetchCursor) -> None:
        value = {"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid, "keys": cursor.keys}
        self.store.set_setting(FETCHED_KEY, value)

    def known_events(self) -> dict[str, Event]:
        """Every readable event of the local log, by id (for compaction to adopt what is already ours)."""
        known: dict[str, Event] = {}
        for doc in self.store.events():
            try:
                event = event_from_json(doc)
            except EventError:
                continue
            known.setdefault(event.id, event)
        return known

    def ignored(self) -> IgnoredReport:
        """What the events folder held that was not taken in, as of the last read of each message."""
        value = self.store.get_setting(IGNORED_KEY)
        if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
            return IgnoredReport(0, [])
        named = [_ignored_from(doc) for doc in value["messages"]]
        kept = [entry for entry in named if entry is not None]
        total = value.get("total")
        return IgnoredReport(total if type(total) is int and total >= len(kept) else len(kept), kept)

    def record_ignored(
        self,
        uidvalidity: int,
        found: Sequence[IgnoredMessage],
        *,
        complete: bool,
        gone: Collection[int] = (),
    ) -> None:
        """Remember newly ignored messages and forget those `gone` from the folder; `complete` (the
        whole folder was read) replaces the list."""
        value = self.store.get_setting(IGNORED_KEY)
        same = isinstance(value, dict) and value.get("uidvalidity") == uidvalidity and not complete
        before = self.ignored() if same else IgnoredReport(0, [])
        still = [entry for entry in before.named if entry.uid not in gone]
        if not found and len(still) == len(before.named) and (same or value is None):
            return
        known = {entry.uid for entry in still}
        fresh = [entry for entry in found if entry.uid not in known]
        named = (still + fresh)[-NAMED_AT_MOST:]
        docs = [{"uid": e.uid, "reason": e.reason, "from": e.sender, "subject": e.subject} for e in named]
        total = before.total - (len(before.named) - len(still)) + len(fresh)
        self.store.set_setting(IGNORED_KEY, {"uidvalidity": uidvalidity, "total": total, "messages": docs})

    def ingest(self, events: Sequence[Event]) -> list[Event]:
        """Store teammates' events durably; returns those the store did not have yet."""
        self.on_server.update(event.id for event in events)
        fresh: dict[str, Event] = {}
        for event in events:
            if event.id not in fresh and not self.store.has_event(event.id):
                fresh[event.id] = event
        if not fresh:
            return []
        docs = [event_to_json(event) for event in fresh.values()]
        added = _append_all(self.store, docs)
        return [event for event, was_added in zip(fresh.values(), added, strict=True) if was_added]


def _append_all(store: Store, docs: list[dict[str, Any]]) -> list[bool]:
    """One durable write for many events when the store offers it, else one per event."""
    append_many = getattr(store, "append_events", None)
    if callable(append_many):
        result = append_many(docs)
        return [bool(flag) for flag in result]
    return [store.append_event(doc) for doc in docs]


def _ignored_from(doc: object) -> IgnoredMessage | None:
    if not isinstance(doc, dict) or type(doc.get("uid")) is not int:
        return None
    texts = [doc.get(key) for key in ("reason", "from", "subject")]
    if not all(isinstance(text, str) for text in texts):
        return None
    return IgnoredMessage(doc["uid"], *(str(text) for text in texts))
