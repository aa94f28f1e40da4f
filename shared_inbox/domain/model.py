"""Core value types shared by every layer.

Everything here is plain data: no IO, no clock reads. Times are timezone-aware
UTC datetimes passed in by the caller.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Status(enum.StrEnum):
    """Help Scout style conversation statuses."""

    ACTIVE = "active"
    PENDING = "pending"
    CLOSED = "closed"
    SPAM = "spam"


# IMAP system flags we keep in sync both ways.
SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
SYNCED_FLAGS = frozenset({SEEN, ANSWERED, FLAGGED})


@dataclass(frozen=True, slots=True)
class Address:
    """A display name and an address, both already sanitized."""

    name: str
    email: str  # lower-cased

    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class MessageKind(enum.StrEnum):
    """Who wrote a message: a person (customer or agent) or a machine.

    Only ``customer`` mail makes a customer wait: machine mail joins its conversation
    without reopening it or moving its SLA clocks.
    """

    CUSTOMER = "customer"
    AGENT = "agent"
    AUTO_REPLY = "auto_reply"  # out-of-office and other automatic answers (RFC 3834)
    BOUNCE = "bounce"  # a delivery status notification: our mail did not arrive
    BULK = "bulk"  # mailing lists, newsletters, notifications from no-reply senders


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """One recipient a bounce says our mail did not reach, in the remote server's words."""

    recipient: str  # lower-cased address, sanitized
    permanent: bool  # 5.x.x: will not arrive; 4.x.x: the server is still trying
    diagnostic: str  # e.g. "550 5.1.1 user unknown"; sanitized, one line

    def describe(self) -> str:
        words = f": {self.diagnostic}" if self.diagnostic else ""
        delayed = "" if self.permanent else " (still retrying)"
        return f"delivery failed to {self.recipient or 'an unknown recipient'}{delayed}{words}"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a message lives on the server. UIDs are only valid per UIDVALIDITY."""

    folder: str
    uidvalidity: int
    uid: int


@dataclass(slots=True)
class MessageMeta:
    """What we know about one message from its headers.

    Identity is the Message-ID (synthesized when missing), never the UID.
    """

    message_id: str  # without angle brackets
    subject: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime  # Date header, else INTERNALDATE; always aware, UTC
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    token: str | None = None  # our conversation token, when the message carries one
    reply_to: tuple[Address, ...] = ()
    flags: frozenset[str] = frozenset()
    size: int = 0
    locations: tuple[Location, ...] = ()
    outgoing: bool = False  # sent by the team (from our address, or found in Sent)
    has_attachments: bool = False
    synthetic_id: bool = False  # Message-ID was missing and made from a header hash
    header_notes: tuple[str, ...] = ()  # human-readable notes on malformed headers
    # When the server received it (INTERNALDATE). Unlike Date, a sender cannot
    # set it, so "did the customer write after we closed it?" asks this.
    received: datetime | None = None
    # What the headers say wrote it; ``agent`` for our own mail is decided by ``kind_of``.
    kind: MessageKind = MessageKind.CUSTOMER
    delivery_failures: tuple[DeliveryFailure, ...] = ()  # a bounce's failed recipients
    bounced_message_id: str | None = None  # the Message-ID of our mail a bounce returns

    @property
    def arrived(self) -> datetime:
        return self.received or self.date

    @property
    def unread(self) -> bool:
        return SEEN not in self.flags


@dataclass(frozen=True, slots=True)
class Customer:
    email: str
    name: str

    @property
    def organisation(self) -> str:
        return self.email.rpartition("@")[2]

    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def __reduce__(self) -> tuple[type[Customer], tuple[str, str]]:
        """Pickled through its constructor, several times quicker to read back than field by field."""
        return (Customer, (self.email, self.name))


@dataclass(slots=True)
class ConversationState:
    """The team-owned part of a conversation, built from events."""

    status: Status = Status.ACTIVE
    assignee: str | None = None
    tags: frozenset[str] = frozenset()
    snoozed_until: datetime | None = None

    def __reduce__(self) -> tuple[type[ConversationState], tuple[object, ...]]:
        """Pickled through its constructor: no dict of fields to build and drop per object."""
        return (ConversationState, (self.status, self.assignee, self.tags, self.snoozed_until))


@dataclass(slots=True)
class Conversation:
    """A thread of messages plus the team's state for it."""

    id: str
    subject: str
    message_ids: list[str]
    customer: Customer | None
    state: ConversationState = field(default_factory=ConversationState)
    last_activity: datetime | None = None
    last_customer_message: datetime | None = None
    unread: int = 0

    def __reduce__(self) -> tuple[type[Conversation], tuple[object, ...]]:
        """Pickled through its constructor (see `ConversationState.__reduce__`)."""
        fields = (self.customer, self.state, self.last_activity, self.last_customer_message, self.unread)
        return (Conversation, (self.id, self.subject, self.message_ids, *fields))
