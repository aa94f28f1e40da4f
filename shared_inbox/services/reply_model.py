"""What the reply use case takes and gives: a draft, a preview, what queueing did, what an undo returned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses
from typing import Literal

from shared_inbox.canned import CannedReply
from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Address
from shared_inbox.domain.promises import PromiseCandidate
from shared_inbox.mail.compose import OutgoingAttachment
from shared_inbox.outbox import OutboxEntry
from shared_inbox.services.reply_effects import Revert

__all__ = [
    "ComposeMode",
    "Preview",
    "Queued",
    "ReplyDraft",
    "ReplyError",
    "Undone",
    "open_tag_at",
    "parse_addresses",
]

ComposeMode = Literal["reply", "reply_all", "forward", "new"]
TAG_MARKS = ("{{", "}}")


class ReplyError(ValueError):
    """Why a reply was not queued, in one sentence; nothing was changed."""


@dataclass(frozen=True)
class ReplyDraft:
    """What the agent wrote and to whom: everything needed to queue it, or to bring it back."""

    mode: ComposeMode
    body: str
    conversation_id: str | None = None  # None for a new conversation
    to: tuple[Address, ...] | None = None  # None: the people a reply goes to by default
    cc: tuple[Address, ...] = ()
    subject: str = ""  # a new conversation's
    attachments: tuple[OutgoingAttachment, ...] = ()
    canned: tuple[CannedReply, ...] = ()  # canned replies inserted: their actions apply on sending
    send_at: datetime | None = None  # None: after the undo window
    plain_from: bool = False  # "Company <address>" rather than the configured style
    shows_original: bool = False  # the body already holds the forwarded text (the composer shows it)
    # Sent by a rule, not a person: marked Auto-Submitted, and it neither answers the customer
    # (no pending, no assignment, no SLA response) nor takes the conversation from anyone.
    automatic: bool = False


@dataclass(frozen=True)
class Preview:
    """Who a reply goes to and its subject, as the outbox will build it."""

    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str


@dataclass
class Queued:
    """A queued message and what queueing it did; `promises` are found, not yet tracked."""

    entry: OutboxEntry
    draft: ReplyDraft
    changes: list[str] = field(default_factory=list)  # e.g. "pending", "assigned to ann@..."
    tracked: list[Event] = field(default_factory=list)  # promises recorded (canned or accepted)
    promises: list[PromiseCandidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # canned actions that could not apply
    reverts: list[Revert] = field(default_factory=list)  # latest first


@dataclass(frozen=True)
class Undone:
    """The outcome of undoing a send: a sentence, and the draft to bring back when it worked."""

    message: str
    draft: ReplyDraft | None = None


def open_tag_at(text: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the first ``{{`` or ``}}`` left in the text, else None."""
    found = [at for mark in TAG_MARKS if (at := text.find(mark)) >= 0]
    if not found:
        return None
    at = min(found)
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def parse_addresses(text: str | Sequence[str]) -> list[Address]:
    """Addresses as the agent typed them (comma-separated, or one per item); ReplyError names a bad one."""
    found: list[Address] = []
    for name, email in getaddresses([text] if isinstance(text, str) else list(text)):
        if not name and not email:
            continue
        if "@" not in email:
            raise ReplyError(f"{email or name!r} is not an email address.")
        found.append(Address(name.strip(), email.strip().lower()))
    return found
