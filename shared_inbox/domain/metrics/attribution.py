"""Who sent each of the team's messages, and which of them were written by a person.

A reply sent through shared-inbox is recorded, once the SMTP server accepted it, as a
``reply_sent`` team event naming its author. A reply written elsewhere (webmail, a phone)
shows up only as a message from one of our addresses: it goes to the team member whose
address it came from, or whose name its display name carries ("Ana Lima" or "Ana Lima via
Support"), else to nobody in particular (:data:`UNATTRIBUTED`). A message marked as sent
automatically (an acknowledgement, ``Auto-Submitted``) is nobody's reply.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shared_inbox.domain.events import Event
from shared_inbox.domain.model import MessageKind, MessageMeta

__all__ = [
    "REPLY_SENT",
    "UNATTRIBUTED",
    "Member",
    "RecordedReply",
    "Role",
    "Roster",
    "attribute",
    "recorded_replies",
    "reply_sent_data",
]

REPLY_SENT = "reply_sent"  # data: {"message": Message-ID, "automatic": bool, "asked": bool}
UNATTRIBUTED = "unattributed"
_MAX_MESSAGE_ID_CHARS = 998


class Role(enum.StrEnum):
    CUSTOMER = "customer"  # the customer writing: makes them wait
    AGENT = "agent"  # a reply by a person on the team
    AUTOMATIC = "automatic"  # our own automatic mail: acknowledgements, rule-sent replies
    MACHINE = "machine"  # their machines: auto-replies, bounces, bulk mail that does not count


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    email: str


class Roster:
    """The team, looked up by address and by name (without case or extra spaces)."""

    __slots__ = ("_by_email", "_by_name")

    def __init__(self, members: Sequence[Member]) -> None:
        self._by_email = {member.email.lower(): member.email.lower() for member in members}
        self._by_name: dict[str, str] = {}
        for member in members:
            name = " ".join(member.name.split()).casefold()
            if name:
                self._by_name.setdefault(name, member.email.lower())

    def member_of(self, meta: MessageMeta) -> str:
        """The member who sent a message of ours, by address, else by display name; else unattributed."""
        found = self._by_email.get(meta.sender.email.lower())
        if found is not None:
            return found
        display = " ".join(meta.sender.name.split()).casefold()
        if not display:
            return UNATTRIBUTED
        person = display.split(" via ", 1)[0].strip().strip("\"'")
        return self._by_name.get(display) or self._by_name.get(person) or UNATTRIBUTED


@dataclass(frozen=True, slots=True)
class RecordedReply:
    agent: str
    automatic: bool
    asked: bool = False


def reply_sent_data(message_id: str, *, automatic: bool = False, asked: bool = False) -> dict[str, object]:
    """The data of the event recording that the SMTP server accepted one of our messages.

    ``asked``: the message asked the customer to rate the team's service.
    """
    data: dict[str, object] = {"message": message_id}
    if automatic:
        data["automatic"] = True
    if asked:
        data["asked"] = True
    return data


def recorded_replies(events: Iterable[Event]) -> dict[str, RecordedReply]:
    """Message-ID -> who sent it, from ``reply_sent`` events; the earliest record of a message wins."""
    found: dict[str, RecordedReply] = {}
    for event in sorted(events, key=lambda e: (e.clock, e.id)):
        if event.kind != REPLY_SENT:
            continue
        message_id = event.data.get("message")
        if not isinstance(message_id, str) or not 0 < len(message_id) <= _MAX_MESSAGE_ID_CHARS:
            continue
        if message_id not in found:
            automatic = event.data.get("automatic") is True
            asked = event.data.get("asked") is True
            found[message_id] = RecordedReply(event.author.lower(), automatic, asked)
    return found


def attribute(
    meta: MessageMeta,
    *,
    outgoing: bool,
    customer_writes: bool,
    roster: Roster,
    recorded: Mapping[str, RecordedReply],
) -> tuple[Role, str | None]:
    """What a message is for the reports and, for a team reply, whose it is.

    ``customer_writes``: whether an incoming message acts as the customer writing
    (see :func:`shared_inbox.domain.message_kinds.makes_customer_wait`).
    """
    if not outgoing:
        return (Role.CUSTOMER, None) if customer_writes else (Role.MACHINE, None)
    record = recorded.get(meta.message_id)
    if meta.kind is MessageKind.AUTO_REPLY or (record is not None and record.automatic):
        return Role.AUTOMATIC, None
    if record is not None:
        return Role.AGENT, record.agent
    return Role.AGENT, roster.member_of(meta)
