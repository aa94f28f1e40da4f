"""What a conversation summary is made of, and what it is made from.

The inputs are plain data the service layer prepares: each message's own words (quoted text and
signatures already cut away by the mail layer), notes, status changes and the promises the team
tracks. The summary only reads them; it never sees raw mail.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.model import MessageKind, Status


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of the conversation, as the summary reads it."""

    message_id: str
    when: datetime  # aware
    kind: MessageKind  # customer, agent, or a machine's (auto-reply, bounce, bulk)
    author: str  # a display name or an address, sanitized
    text: str  # the author's own words: no quoted text, no signature
    attachments: tuple[str, ...] = ()  # file names, sanitized


@dataclass(frozen=True, slots=True)
class ThreadNote:
    when: datetime
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    when: datetime
    status: Status
    by: str


@dataclass(frozen=True, slots=True)
class TrackedPromise:
    """A promise or follow-up the team recorded, with what the deadline tracker says of it."""

    text: str
    due: datetime
    state: str  # "open", "broken", "kept", "dropped"


@dataclass(frozen=True, slots=True)
class Thread:
    """Everything a summary is made from."""

    subject: str
    messages: tuple[ThreadMessage, ...]
    notes: tuple[ThreadNote, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()
    tracked_promises: tuple[TrackedPromise, ...] = ()


class Actor(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    NOTE = "note"
    STATUS = "status"
    MACHINE = "machine"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    when: datetime
    actor: Actor
    who: str
    line: str  # one line, what was said or done


@dataclass(frozen=True, slots=True)
class OpenPromise:
    text: str  # the promising sentence, or the tracked promise's text
    due: datetime | None
    state: str  # "open" or "overdue"
    source: str  # "reply" (found in an agent's reply) or "tracked"


class FactKind(enum.StrEnum):
    ORDER = "order"
    INVOICE = "invoice"
    TRACKING = "tracking"
    AMOUNT = "amount"
    DATE = "date"
    ATTACHMENT = "attachment"


@dataclass(frozen=True, slots=True)
class Fact:
    kind: FactKind
    value: str


class MoodLabel(enum.StrEnum):
    FRUSTRATED = "frustrated"
    NEUTRAL = "neutral"
    HAPPY = "happy"


@dataclass(frozen=True, slots=True)
class Mood:
    label: MoodLabel
    words: tuple[str, ...] = ()  # the words that decided it, as the customer wrote them


@dataclass(frozen=True, slots=True)
class Summary:
    ask: str
    timeline: tuple[TimelineEntry, ...]
    open_questions: tuple[str, ...]  # the customer's sentences, verbatim
    promises: tuple[OpenPromise, ...]
    facts: tuple[Fact, ...]
    mood: Mood = field(default_factory=lambda: Mood(MoodLabel.NEUTRAL))
