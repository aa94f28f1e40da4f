"""The one command layer for state changes, shared by the CLI and the UI.

Every change becomes an event (unique id, author, time, hybrid clock) written
durably to the store before the in-memory inbox sees it, so the same events can
later be shipped to teammates and replayed anywhere with the same result.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from shared_inbox.domain.clock import HlcClock
from shared_inbox.domain.events import Event, EventKind, event_to_json
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.services.inbox import Inbox

Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class CommandError(ValueError):
    """A change that cannot be made, phrased for the user."""


class Commands:
    def __init__(self, inbox: Inbox, *, author: str, now: Now = utc_now) -> None:
        self.inbox = inbox
        self.author = author
        self.now = now
        self.clock = HlcClock(author)
        for event in inbox.events:
            self.clock.observe(event.clock, now())

    def _conversation(self, ref: str) -> Conversation:
        conv = self.inbox.conversation(ref)
        if conv is None:
            raise CommandError(f"No conversation {ref!r}; `shared-inbox list` shows the ids.")
        return conv

    def _record(self, conv: Conversation, kind: EventKind, data: Mapping[str, object]) -> Event:
        at = self.now()
        anchor = conv.message_ids[0]
        event = Event(
            id=uuid.uuid4().hex,
            kind=kind,
            anchor=anchor,
            author=self.author,
            at=at,
            clock=self.clock.tick(at),
            data=dict(data),
        )
        self.inbox.store.append_event(event_to_json(event))
        self.inbox.add_event(event)
        return event

    def assign(self, ref: str, assignee: str) -> Event:
        assignee = assignee.strip().lower()
        if not assignee:
            raise CommandError("Say whom to assign the conversation to.")
        return self._record(self._conversation(ref), EventKind.ASSIGN, {"assignee": assignee})

    def unassign(self, ref: str) -> Event:
        return self._record(self._conversation(ref), EventKind.UNASSIGN, {})

    def set_status(self, ref: str, status: str) -> Event:
        try:
            value = Status(status.strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in Status)
            raise CommandError(f"Unknown status {status!r}; use one of {allowed}.") from None
        return self._record(self._conversation(ref), EventKind.STATUS, {"status": value.value})

    def tag(self, ref: str, tag: str) -> Event:
        return self._record(self._conversation(ref), EventKind.TAG, {"tag": _tag(tag)})

    def untag(self, ref: str, tag: str) -> Event:
        return self._record(self._conversation(ref), EventKind.UNTAG, {"tag": _tag(tag)})

    def snooze(self, ref: str, until: datetime) -> Event:
        if until.tzinfo is None:
            raise CommandError("A snooze time needs a time zone.")
        data = {"until": until.astimezone(UTC).isoformat()}
        return self._record(self._conversation(ref), EventKind.SNOOZE, data)

    def unsnooze(self, ref: str) -> Event:
        return self._record(self._conversation(ref), EventKind.UNSNOOZE, {})


def _tag(tag: str) -> str:
    cleaned = tag.strip().lower()
    if not cleaned or len(cleaned) > 64 or any(c.isspace() or ord(c) < 32 for c in cleaned):
        raise CommandError(f"{tag!r} is not a usable tag (one word, at most 64 characters).")
    return cleaned
