"""Satisfaction ratings that come back by email: found after each sync round, kept as team events.

A rating is read from a rating link's subject, or from a reply whose first line is one of
the words, the latter only in a conversation where a reply asked for one (so "Great" at the
top of an ordinary answer is not taken for a vote). Teammates receive the same mail; the
event is recorded once per rating mail and copy, and the reports count one per mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shared_inbox.domain.conversations import is_outgoing
from shared_inbox.domain.events import Event
from shared_inbox.domain.message_kinds import is_machine
from shared_inbox.domain.metrics.attribution import recorded_replies
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.satisfaction import (
    RATING,
    RatingFact,
    is_rating_subject,
    read_rating,
    reduce_ratings,
    unanswered_complaint,
)
from shared_inbox.mail.body import read_message
from shared_inbox.services.commands import CommandError
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.session import Session

__all__ = ["complaints", "ratings_of", "take_ratings"]


def take_ratings(session: Session, message_ids: Iterable[str]) -> list[Event]:
    """Record the ratings among newly arrived messages; nothing when the team does not ask for them."""
    if not session.config.satisfaction.enabled:
        return []
    inbox, ours = session.inbox, session.config.our_addresses
    recorded: list[Event] = []
    for message_id in message_ids:
        meta = inbox.messages.get(message_id)
        if meta is None or is_outgoing(meta, ours) or is_machine(meta):
            continue
        conv = inbox.conversation(message_id)
        if conv is None or any(fact.message_id == message_id for fact in ratings_of(inbox, conv)):
            continue
        # Bodies are read only where a rating can be: most new mail is passed over on its headers.
        if not (is_rating_subject(meta.subject) or _asked_before(inbox, conv, meta.arrived)):
            continue
        raw = session.store.load_raw(message_id)
        found = read_rating(meta.subject, read_message(raw).text if raw is not None else "")
        if found is None:
            continue
        rating, comment = found
        try:
            recorded.append(session.commands.rate(conv.id, rating, message_id, comment))
        except CommandError:
            continue
    return recorded


def _asked_before(inbox: Inbox, conv: Conversation, moment: datetime) -> bool:
    asked = {mid for mid, reply in recorded_replies(inbox.events_of(conv.id)).items() if reply.asked}
    return any(meta.message_id in asked and meta.arrived <= moment for meta in inbox.messages_of(conv))


def ratings_of(inbox: Inbox, conv: Conversation) -> list[RatingFact]:
    return reduce_ratings(inbox.events_of(conv.id))


def complaints(inbox: Inbox) -> frozenset[str]:
    """Conversations whose latest rating is "not good" with a comment nobody has answered yet.

    Only conversations with a rating are looked at: the list asks on every rebuild.
    """
    found = set()
    ours = inbox.our_addresses
    rated = {inbox.index.conversation_of(event.anchor) for event in inbox.events if event.kind == RATING}
    for conv_id in rated:
        conv = inbox.conversation(conv_id) if conv_id is not None else None
        if conv is None:
            continue
        ratings = ratings_of(inbox, conv)
        if not ratings:
            continue
        metas = inbox.messages_of(conv)
        replies = [meta.arrived for meta in metas if is_outgoing(meta, ours)]
        if unanswered_complaint(ratings, replies, {meta.message_id: meta.arrived for meta in metas}):
            found.add(conv.id)
    return frozenset(found)
