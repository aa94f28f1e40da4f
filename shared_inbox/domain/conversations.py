"""Putting conversations together: messages from the thread index plus team events.

A message is *outgoing* when the team sent it (``meta.outgoing``, or the sender is
one of our addresses); everything else comes from the customer's side. Only mail the
customer wrote reopens conversations and makes a customer wait: auto-replies and bounces
never do, bulk mail only when the team wants it to (see :mod:`.message_kinds`).
Auto-replies do not count as unread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from shared_inbox.domain.auto_reply import is_automatic_answer
from shared_inbox.domain.events import Event, reduce_state
from shared_inbox.domain.message_kinds import makes_customer_wait
from shared_inbox.domain.model import Conversation, Customer, MessageKind, MessageMeta, Status

__all__ = [
    "Grouping",
    "assemble",
    "assemble_one",
    "group_events",
    "is_outgoing",
    "waiting_since",
]


_ARRIVAL_PRECISION = timedelta(microseconds=999_999)
_NOT_A_TURN = frozenset({MessageKind.AUTO_REPLY, MessageKind.BOUNCE})


class Grouping(Protocol):
    """Which messages make up which conversation: threading, with or without the team's merges."""

    def conversation_of(self, message_id: str) -> str | None: ...

    def conversations(self) -> Mapping[str, list[str]]: ...


def is_outgoing(meta: MessageMeta, our_addresses: frozenset[str]) -> bool:
    return meta.outgoing or meta.sender.email.lower() in our_addresses


def group_events(index: Grouping, events: Iterable[Event]) -> dict[str, list[Event]]:
    """Events by conversation id, routed through their anchor Message-ID.

    Events whose anchor is not (yet) a known message are left out; they find their
    conversation once that message has been synced.
    """
    grouped: dict[str, list[Event]] = {}
    for event in events:
        conv_id = index.conversation_of(event.anchor)
        if conv_id is not None:
            grouped.setdefault(conv_id, []).append(event)
    return grouped


def assemble(
    index: Grouping,
    messages: Mapping[str, MessageMeta],
    events_by_conversation: Mapping[str, Sequence[Event]],
    our_addresses: frozenset[str],
    *,
    bulk_counts: bool = True,
) -> list[Conversation]:
    """Every conversation of the index that has at least one message in ``messages``."""
    ours = frozenset(address.lower() for address in our_addresses)
    conversations = []
    for conv_id, message_ids in index.conversations().items():
        metas = [messages[mid] for mid in message_ids if mid in messages]
        if metas:
            events = events_by_conversation.get(conv_id, ())
            conversations.append(assemble_one(conv_id, metas, events, ours, bulk_counts=bulk_counts))
    return conversations


def assemble_one(
    conv_id: str,
    metas: Sequence[MessageMeta],
    events: Iterable[Event],
    our_addresses: frozenset[str],
    *,
    bulk_counts: bool = True,
) -> Conversation:
    """One conversation from its messages (any order) and its events.

    ``bulk_counts``: whether bulk mail makes the customer wait (reopens, counts as their reply).
    """
    ordered = sorted(metas, key=lambda meta: (meta.date, meta.message_id))
    incoming = [meta for meta in ordered if not is_outgoing(meta, our_addresses)]
    written = [meta for meta in incoming if makes_customer_wait(meta, bulk_counts=bulk_counts)]
    # Arrival time, not the Date header: a customer's wrong clock must not keep
    # a closed conversation closed after they wrote again.
    customer_times = [meta.arrived for meta in written]
    # IMAP arrival times have whole seconds: a message from the same second as a
    # status change may have come after it, and reopening is the safe reading.
    reopen_times = [t + _ARRIVAL_PRECISION if t.microsecond == 0 else t for t in customer_times]
    return Conversation(
        id=conv_id,
        subject=_subject(ordered),
        message_ids=[meta.message_id for meta in ordered],
        customer=_customer(
            ordered, written or [m for m in incoming if m.kind is MessageKind.BULK], our_addresses
        ),
        state=reduce_state(events, reopen_times),
        last_activity=_last_activity(ordered, our_addresses),
        last_customer_message=max(customer_times) if customer_times else None,
        unread=sum(1 for meta in incoming if meta.unread and meta.kind is not MessageKind.AUTO_REPLY),
    )


def _last_activity(ordered: Sequence[MessageMeta], our_addresses: frozenset[str]) -> datetime | None:
    """The latest message written by someone; an auto-reply or a bounce is not a turn taken,
    and neither is our own automatic reply (an acknowledgement leaves the customer waiting)."""
    written = [
        m
        for m in ordered
        if not is_automatic_answer(m) and (is_outgoing(m, our_addresses) or m.kind not in _NOT_A_TURN)
    ]
    latest = written or ordered
    return latest[-1].date if latest else None


def _subject(ordered: Sequence[MessageMeta]) -> str:
    """The first message's subject; a later one when the first has none."""
    return next((meta.subject for meta in ordered if meta.subject.strip()), "")


def _customer(
    ordered: Sequence[MessageMeta], incoming: Sequence[MessageMeta], our_addresses: frozenset[str]
) -> Customer | None:
    """Who the conversation is with.

    The sender of the first customer message, or the address that message asks replies to
    go to (web contact forms send from their own address with the customer in Reply-To).
    For a conversation we started, its first recipient who is not us.
    """
    if incoming:
        first = incoming[0]
        reply_to = [a.email for a in first.reply_to if a.email and a.email.lower() not in our_addresses]
        email = reply_to[0] if reply_to else first.sender.email
    else:
        recipients = (address for meta in ordered for address in (*meta.to, *meta.cc))
        email = next((a.email for a in recipients if a.email.lower() not in our_addresses), "")
    if not email:
        return None
    return Customer(email=email.lower(), name=_name_for(email, ordered))


def _name_for(email: str, ordered: Sequence[MessageMeta]) -> str:
    """The first display name anyone used for ``email`` in the conversation."""
    wanted = email.lower()
    for meta in ordered:
        for address in (meta.sender, *meta.reply_to, *meta.to, *meta.cc):
            if address.email.lower() == wanted and address.name:
                return address.name
    return ""


def waiting_since(conv: Conversation) -> datetime | None:
    """Since when the customer has been waiting for us, or ``None`` if they are not.

    They wait when their last message is the latest in the conversation (nothing from
    us after it) and the conversation is active: pending, closed and spam conversations
    are not waiting on the team, and a newer customer message reopens them anyway.
    """
    if conv.state.status is not Status.ACTIVE or conv.last_customer_message is None:
        return None
    if conv.last_activity is not None and conv.last_activity > conv.last_customer_message:
        return None
    return conv.last_customer_message
