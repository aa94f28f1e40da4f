"""Internal notes and customer profiles as the UI reads them, folded from the inbox's event log.

The reducers are pure (:mod:`shared_inbox.domain.notes`, :mod:`shared_inbox.domain.profiles`);
this module feeds them the right events. Folding the whole log for the sidebar's Mentions count
or for every ``customer:`` search would repeat work on each keystroke, so the results are kept
per inbox until it gains events or messages (the only ways notes or threads can change).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared_inbox.domain.events import Event
from shared_inbox.domain.notes import NOTE_KINDS, Note, find_mentions, reduce_notes
from shared_inbox.domain.profiles import CUSTOMER_KINDS, CustomerRecord, reduce_profiles
from shared_inbox.services.inbox import Inbox

__all__ = [
    "conversation_notes",
    "customer_record",
    "profiles",
    "mentioned_conversations",
    "mentions_in",
]


@dataclass(frozen=True, slots=True)
class _Folded:
    seen: tuple[int, int]  # (events, messages) when folded
    notes: dict[str, list[Note]]  # conversation id -> live notes
    profiles: dict[str, CustomerRecord]


_FOLDED: weakref.WeakKeyDictionary[Inbox, _Folded] = weakref.WeakKeyDictionary()


def _folded(inbox: Inbox) -> _Folded:
    seen = (len(inbox.events), len(inbox.messages))
    cached = _FOLDED.get(inbox)
    if cached is not None and cached.seen == seen:
        return cached
    note_events: dict[str, list[Event]] = {}
    customer_events: list[Event] = []
    for event in inbox.events:
        kind = str(event.kind)
        if kind in NOTE_KINDS:
            conv = inbox.conversation(event.anchor)
            if conv is not None:
                note_events.setdefault(conv.id, []).append(event)
        elif kind in CUSTOMER_KINDS:
            customer_events.append(event)
    folded = _Folded(
        seen,
        {conv_id: reduce_notes(events) for conv_id, events in note_events.items()},
        reduce_profiles(customer_events),
    )
    _FOLDED[inbox] = folded
    return folded


def conversation_notes(inbox: Inbox, conv_id: str) -> list[Note]:
    """The live internal notes of one conversation, oldest first."""
    return reduce_notes(inbox.events_of(conv_id))


def mentioned_conversations(inbox: Inbox, me: str) -> dict[str, datetime]:
    """Conversations with a live note mentioning `me`, each with the time of its latest such note."""
    me = me.strip().lower()
    found: dict[str, datetime] = {}
    for conv_id, notes in _folded(inbox).notes.items():
        times = [note.edited_at or note.created_at for note in notes if me in note.mentions]
        if times:
            found[conv_id] = max(times)
    return found


def mentions_in(text: str, members: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The teammates (name, email pairs) a note's text mentions with ``@name``, as emails."""
    return find_mentions(text, members)


def customer_record(inbox: Inbox, email: str) -> CustomerRecord:
    """What the team recorded about `email` (an empty record when nothing yet)."""
    email = email.strip().lower()
    return _folded(inbox).profiles.get(email) or CustomerRecord(email)


def profiles(inbox: Inbox) -> dict[str, CustomerRecord]:
    """Every customer the team recorded something about, by address (do not modify)."""
    return _folded(inbox).profiles
