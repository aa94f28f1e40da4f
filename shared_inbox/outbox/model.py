"""The outbox's plain data: entry states, the sending policy, and the JSON form of an entry.

An entry's life::

    held ──(undo window or send-later time passes)──> queued ──> sending ──> sent
      │                                                 ^  │        │
      └── cancelled (removed)         transient error ──┘  │        ├──> failed (5xx, or gave up)
                                                           │        └──> unconfirmed (in doubt)
                                                           └──> failed

`sending` is written durably before any network traffic for the attempt, and its `phase`
becomes `data` (durably) just before the message data is handed to the server. A process
that dies in `sending` therefore leaves behind exactly what the next run needs to know:
phase `connecting` means the server cannot have the message (safe to send again), phase
`data` means it may have it (`unconfirmed`: see docs/sending.md).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared_inbox.store.errors import StoreCorrupt

if TYPE_CHECKING:
    from shared_inbox.config import OutboxConfig


class OutboxState(enum.StrEnum):
    HELD = "held"  # waiting for its send time (the undo window, or "send later")
    QUEUED = "queued"  # due; waits for the sender, or for a retry after a temporary error
    SENDING = "sending"  # a delivery attempt is under way
    SENT = "sent"
    UNCONFIRMED = "unconfirmed"  # the server may have accepted it; never sent again automatically
    FAILED = "failed"


class Phase(enum.StrEnum):
    """How far a delivery attempt got; only meaningful while `sending`."""

    CONNECTING = "connecting"  # nothing handed over yet
    DATA = "data"  # the message data is (being) handed over


class Step(enum.StrEnum):
    """Work left after delivery."""

    RECORD = "record"  # store the sent message locally, so it shows in its conversation
    SENT_COPY = "sent_copy"  # APPEND a copy to the Sent folder
    ANSWERED = "answered"  # set \\Answered on the message replied to, on the server


# States an agent may still change (edit, cancel) because nothing can have left.
EDITABLE = frozenset({OutboxState.HELD, OutboxState.QUEUED, OutboxState.FAILED})
# States that stay listed until the agent acts on them.
NEEDS_ATTENTION = frozenset({OutboxState.FAILED, OutboxState.UNCONFIRMED})


def steps_after_delivery(replied_to: str | None, *, save_sent_copy: bool) -> frozenset[Step]:
    """What is left to do once the server accepted a message."""
    steps = {Step.RECORD}
    if save_sent_copy:
        steps.add(Step.SENT_COPY)
    if replied_to:
        steps.add(Step.ANSWERED)
    return frozenset(steps)


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    """How the outbox waits, retries and forgets. Times are the product's defaults."""

    undo_window: timedelta = timedelta(seconds=10)
    retry_first: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(minutes=30)
    give_up_after: timedelta = timedelta(days=2)
    keep_sent: timedelta = timedelta(days=7)

    @classmethod
    def from_config(cls, config: OutboxConfig, *, undo_seconds: float | None = None) -> OutboxPolicy:
        """The team's settings; `undo_seconds` overrides the window for one message."""
        undo = config.undo_seconds if undo_seconds is None else max(0.0, undo_seconds)
        return cls(
            undo_window=timedelta(seconds=undo),
            retry_max=timedelta(minutes=config.retry_max_minutes),
            give_up_after=timedelta(hours=config.give_up_after_hours),
            keep_sent=timedelta(days=config.keep_sent_days),
        )

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff: 30 s, 1 min, 2 min, ... capped at `retry_max`."""
        delay: timedelta = self.retry_first * (2 ** max(0, min(attempts - 1, 20)))
        return min(delay, self.retry_max)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outgoing message and what has happened to it. The bytes live in a file of their own."""

    id: str
    message_id: str
    mail_from: str
    recipients: tuple[str, ...]
    subject: str
    body: str  # the agent's own text, for listings and for editing
    author: str
    created_at: datetime
    release_at: datetime  # not sent before this time
    state: OutboxState
    conversation_id: str | None = None
    replied_to: str | None = None  # Message-ID that gets \Answered once this is sent
    phase: Phase | None = None
    attempts: int = 0
    first_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    note: str | None = None  # e.g. recipients the server refused, or how delivery was confirmed
    pending: frozenset[Step] = field(default_factory=frozenset)

    def due(self, now: datetime, *, ignore_backoff: bool = False) -> bool:
        """Whether the sender should try this entry now."""
        if self.state is OutboxState.HELD:
            return self.release_at <= now
        if self.state is OutboxState.QUEUED:
            return ignore_backoff or self.next_attempt_at is None or self.next_attempt_at <= now
        return False

    def wakes_at(self) -> datetime | None:
        """When this entry next becomes due, if it waits for a time."""
        if self.state is OutboxState.HELD:
            return self.release_at
        if self.state is OutboxState.QUEUED:
            return self.next_attempt_at or self.release_at
        return None

    def evolve(self, **changes: Any) -> OutboxEntry:
        return replace(self, **changes)


_TIMES = ("created_at", "release_at", "first_attempt_at", "next_attempt_at", "sent_at")
_OPTIONAL_TEXT = ("conversation_id", "replied_to", "last_error", "note")


def entry_to_doc(entry: OutboxEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": entry.id,
        "message_id": entry.message_id,
        "mail_from": entry.mail_from,
        "recipients": list(entry.recipients),
        "subject": entry.subject,
        "body": entry.body,
        "author": entry.author,
        "state": entry.state.value,
        "phase": entry.phase.value if entry.phase else None,
        "attempts": entry.attempts,
        "pending": sorted(step.value for step in entry.pending),
    }
    for name in _TIMES:
        value: datetime | None = getattr(entry, name)
        doc[name] = value.isoformat() if value else None
    for name in _OPTIONAL_TEXT:
        doc[name] = getattr(entry, name)
    return doc


def entry_from_doc(doc: Mapping[str, Any], source: str) -> OutboxEntry:
    """Read an entry back; anything malformed raises StoreCorrupt naming the file."""
    try:
        times = {name: _time(doc.get(name)) for name in _TIMES}
        created, release = times.pop("created_at"), times.pop("release_at")
        if created is None or release is None:
            raise ValueError("created_at and release_at are required")
        recipients = doc["recipients"]
        if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
            raise ValueError("recipients must be a list of strings")
        attempts = doc.get("attempts", 0)
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0:
            raise ValueError("attempts must be a count")
        phase = doc.get("phase")
        return OutboxEntry(
            id=_text(doc, "id"),
            message_id=_text(doc, "message_id"),
            mail_from=_text(doc, "mail_from"),
            recipients=tuple(recipients),
            subject=_text(doc, "subject"),
            body=_text(doc, "body"),
            author=_text(doc, "author"),
            created_at=created,
            release_at=release,
            state=OutboxState(doc["state"]),
            phase=Phase(phase) if phase is not None else None,
            attempts=attempts,
            pending=frozenset(Step(step) for step in doc.get("pending", [])),
            first_attempt_at=times["first_attempt_at"],
            next_attempt_at=times["next_attempt_at"],
            sent_at=times["sent_at"],
            conversation_id=_optional_text(doc, "conversation_id"),
            replied_to=_optional_text(doc, "replied_to"),
            last_error=_optional_text(doc, "last_error"),
            note=_optional_text(doc, "note"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreCorrupt(f"{source} is damaged: an outbox entry cannot be read ({exc}).") from None


def _text(doc: Mapping[str, Any], name: str) -> str:
    value = doc[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return value


def _optional_text(doc: Mapping[str, Any], name: str) -> str | None:
    value = doc.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return value


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("times must be ISO 8601 text")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return moment
