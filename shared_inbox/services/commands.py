"""The one command layer for state changes, shared by the CLI and the UI.

Every change becomes an event (unique id, author, time, hybrid clock) written
durably to the store before the in-memory inbox sees it, so the same events can
later be shipped to teammates and replayed anywhere with the same result.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.clock import Hlc, HlcClock
from shared_inbox.domain.events import Event, EventError, EventKind, event_to_json
from shared_inbox.domain.metrics.attribution import REPLY_SENT, recorded_replies, reply_sent_data
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.domain.notes import NOTE_ADD, NOTE_DELETE, NOTE_EDIT, Note, note_data, reduce_notes
from shared_inbox.domain.profiles import (
    CUSTOMER_NOTE_ADD,
    CUSTOMER_NOTE_DELETE,
    CUSTOMER_NOTE_EDIT,
    CUSTOMER_SET,
    customer_field_data,
    customer_note_data,
    reduce_profiles,
)
from shared_inbox.domain.promise_events import (
    PROMISE_DONE,
    PROMISE_DROPPED,
    PROMISE_KINDS,
    PROMISE_SET,
    check_promise_event,
    promise_data,
)
from shared_inbox.domain.promises import FollowUpError, parse_follow_up, waits_for_close
from shared_inbox.domain.satisfaction import RATING, Rating, rating_data
from shared_inbox.domain.sla import FollowUp
from shared_inbox.services.inbox import AmbiguousConversation, Inbox
from shared_inbox.wallclock import Now, utc_now

_FOLLOW_UP_LEAD = re.compile(r"^(?:follow up|check back)\b\s*", re.IGNORECASE)


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
        # Called with each recorded event once it is durable (the team exchange ships it at once).
        self.listeners: list[Callable[[Event], None]] = []

    def _conversation(self, ref: str) -> Conversation:
        try:
            conv = self.inbox.find(ref)
        except AmbiguousConversation as exc:
            raise CommandError(str(exc)) from None
        if conv is None:
            raise CommandError(f"No conversation {ref!r}; `shared-inbox list` shows the ids.")
        return conv

    def record(self, conv: Conversation, kind: EventKind | str, data: Mapping[str, object]) -> Event:
        """Record an event of any kind on ``conv``, for services whose events this layer does not build."""
        return self._record(conv, kind, data)

    def find(self, ref: str) -> Conversation:
        """The conversation ``ref`` names; raises :class:`CommandError` saying why there is none."""
        return self._conversation(ref)

    def _record(self, conv: Conversation, kind: EventKind | str, data: Mapping[str, object]) -> Event:
        at = self.now()
        anchor = conv.message_ids[0]
        event = Event(
            id=self._event_id(anchor, kind, data),
            kind=kind,
            anchor=anchor,
            author=self.author,
            at=at,
            clock=self._tick(at),
            data=dict(data),
        )
        if str(kind) in PROMISE_KINDS:
            check_promise_event(event)  # refuse what teammates' copies would ignore
        if self.inbox.store.has_event(event.id):
            return event  # a rule's event that a teammate's copy wrote first: nothing to add or ship
        self.inbox.store.append_event(event_to_json(event))
        self.inbox.add_event(event)
        for listener in self.listeners:
            listener(event)
        return event

    def _event_id(self, anchor: str, kind: EventKind | str, data: Mapping[str, object]) -> str:
        return uuid.uuid4().hex

    def _tick(self, at: datetime) -> Hlc:
        return self.clock.tick(at)

    def _fresh_id(self) -> str:
        """The id of a new note or promise."""
        return uuid.uuid4().hex[:16]

    def assign(self, ref: str, assignee: str) -> Event:
        assignee = assignee.strip().lower()
        if not assignee:
            raise CommandError("Say whom to assign the conversation to.")
        return self._record(self._conversation(ref), EventKind.ASSIGN, {"assignee": assignee})

    def unassign(self, ref: str) -> Event:
        return self._record(self._conversation(ref), EventKind.UNASSIGN, {})

    def set_status(self, ref: str, status: str, *, undoes: str | None = None) -> Event:
        """Change the status; ``undoes`` names the status event this takes back (undo), which
        then leaves no trace in the SLA clocks or in what a close settles."""
        try:
            value = Status(status.strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in Status)
            raise CommandError(f"Unknown status {status!r}; use one of {allowed}.") from None
        data = {"status": value.value} if undoes is None else {"status": value.value, "undoes": undoes}
        return self._record(self._conversation(ref), EventKind.STATUS, data)

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

    # -- replies -----------------------------------------------------------------

    def reply_sent(
        self, ref: str, message_id: str, *, automatic: bool = False, asked: bool = False
    ) -> Event | None:
        """Record that the SMTP server accepted our message, and whose it was; None if recorded already."""
        conv = self._conversation(ref)
        if message_id in recorded_replies(self.inbox.events_of(conv.id)):
            return None
        return self._record(conv, REPLY_SENT, reply_sent_data(message_id, automatic=automatic, asked=asked))

    def rate(self, ref: str, rating: Rating, message_id: str, comment: str) -> Event:
        """Record a customer's satisfaction rating, read from their mail ``message_id``."""
        return self._record(self._conversation(ref), RATING, rating_data(rating, message_id, comment))

    # -- promises ----------------------------------------------------------------

    def set_promise(
        self,
        ref: str,
        text: str,
        due: datetime,
        *,
        promise_id: str | None = None,
        made_in: str | None = None,
    ) -> Event:
        """Record a promise to the customer (or edit one, given its id); it is owed until done or dropped.

        ``made_in`` is the Message-ID of the reply that made it, which therefore does not keep it.
        """
        if due.tzinfo is None:
            raise CommandError("A promise's due time needs a time zone.")
        text = " ".join(text.split())
        if not text:
            raise CommandError("Say what was promised.")
        try:
            data = promise_data(promise_id or self._fresh_id(), text[:500], due, made_in=made_in)
            return self._record(self._conversation(ref), PROMISE_SET, data)
        except EventError as exc:
            raise CommandError(str(exc)) from None

    def promise_done(self, ref: str, promise_id: str) -> Event:
        return self._settle(ref, promise_id, PROMISE_DONE)

    def drop_promise(self, ref: str, promise_id: str) -> Event:
        return self._settle(ref, promise_id, PROMISE_DROPPED)

    def _settle(self, ref: str, promise_id: str, kind: str) -> Event:
        try:
            return self._record(self._conversation(ref), kind, promise_data(promise_id))
        except EventError as exc:
            raise CommandError(str(exc)) from None

    # -- internal notes and customer profiles ------------------------------------------

    def add_note(self, ref: str, text: str, mentions: Sequence[str] = ()) -> Event:
        """Write an internal note on a conversation; it is shown to the team only, never sent."""
        return self._note(ref, NOTE_ADD, self._fresh_id(), text, list(mentions))

    def edit_note(self, ref: str, note_id: str, text: str, mentions: Sequence[str] = ()) -> Event:
        conv = self._conversation(ref)
        self._own(reduce_notes(self.inbox.events_of(conv.id)), note_id)
        return self._note(conv.id, NOTE_EDIT, note_id, text, list(mentions))

    def delete_note(self, ref: str, note_id: str) -> Event:
        conv = self._conversation(ref)
        self._own(reduce_notes(self.inbox.events_of(conv.id)), note_id)
        return self._note(conv.id, NOTE_DELETE, note_id, None, None)

    def set_customer_field(self, ref: str, email: str, field: str, value: str) -> Event:
        """Set (or, with an empty value, clear) a profile field of a customer of conversation `ref`."""
        try:
            data = customer_field_data(email, field, " ".join(value.split()))
        except EventError as exc:
            raise CommandError(str(exc)) from None
        return self._record(self._conversation(ref), CUSTOMER_SET, data)

    def add_customer_note(self, ref: str, email: str, text: str) -> Event:
        return self._customer_note(ref, CUSTOMER_NOTE_ADD, email, self._fresh_id(), text)

    def edit_customer_note(self, ref: str, email: str, note_id: str, text: str) -> Event:
        self._own_customer_note(email, note_id)
        return self._customer_note(ref, CUSTOMER_NOTE_EDIT, email, note_id, text)

    def delete_customer_note(self, ref: str, email: str, note_id: str) -> Event:
        self._own_customer_note(email, note_id)
        return self._customer_note(ref, CUSTOMER_NOTE_DELETE, email, note_id, None)

    def _note(self, ref: str, kind: str, note_id: str, text: str | None, mentions: list[str] | None) -> Event:
        try:
            data = note_data(note_id, _note_text(text), mentions)
        except EventError as exc:
            raise CommandError(str(exc)) from None
        return self._record(self._conversation(ref), kind, data)

    def _customer_note(self, ref: str, kind: str, email: str, note_id: str, text: str | None) -> Event:
        try:
            data = customer_note_data(email, note_id, _note_text(text))
        except EventError as exc:
            raise CommandError(str(exc)) from None
        return self._record(self._conversation(ref), kind, data)

    def _own(self, notes: Sequence[Note], note_id: str) -> None:
        note = next((note for note in notes if note.id == note_id), None)
        if note is None:
            raise CommandError("That note no longer exists.")
        if note.author != self.author:
            raise CommandError(f"Only {note.author} can change this note.")

    def _own_customer_note(self, email: str, note_id: str) -> None:
        record = reduce_profiles(self.inbox.events).get(email.strip().lower())
        self._own(record.notes if record is not None else (), note_id)

    # -- follow-ups ----------------------------------------------------------------

    def follow_up(self, ref: str, when: str, calendar: BusinessCalendar | None = None) -> Event:
        """Remind the team to come back to a conversation: "in 2 days", or "after close in 1 week".

        Recorded as a promise flagged as a follow-up; one counted from the close keeps a due
        time from now as well, so copies that do not know follow-ups still show something sensible.
        """
        phrase = _FOLLOW_UP_LEAD.sub("", " ".join(when.split()))
        try:
            due = parse_follow_up(phrase, self.now(), calendar)
        except FollowUpError as exc:
            raise CommandError(str(exc)) from None
        after_close = waits_for_close(phrase)
        kind = FollowUp.AFTER_CLOSE if after_close else FollowUp.AT
        text = f"Check back {phrase}" if after_close else f"Follow up {phrase}"
        try:
            data = promise_data(
                self._fresh_id(), text, due, follow_up=kind, after=phrase if after_close else None
            )
            return self._record(self._conversation(ref), PROMISE_SET, data)
        except EventError as exc:
            raise CommandError(str(exc)) from None


def _tag(tag: str) -> str:
    cleaned = tag.strip().lower()
    if not cleaned or len(cleaned) > 64 or any(c.isspace() or ord(c) < 32 for c in cleaned):
        raise CommandError(f"{tag!r} is not a usable tag (one word, at most 64 characters).")
    return cleaned


def _note_text(text: str | None) -> str | None:
    """Trailing blanks and blank lines at either end say nothing; the rest is kept as written."""
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))
