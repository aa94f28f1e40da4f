"""A conversation's summary for the reader, the command line and escalations.

The domain (:mod:`shared_inbox.domain.summary`) reads plain words; this module gives it them:
each message's body with quoted text and signatures cut (by the mail layer's own folding rules,
the same the reader uses), who wrote it, the team's notes, the status changes that stand and the
promises the deadline tracker follows. Bodies come from the raw cache; a front end that may use
the network passes the ones it fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from shared_inbox.domain.events import EventKind, status_history
from shared_inbox.domain.message_kinds import kind_of
from shared_inbox.domain.model import Conversation, MessageMeta
from shared_inbox.domain.summary import (
    StatusChange,
    Summary,
    Thread,
    ThreadMessage,
    ThreadNote,
    TrackedPromise,
    summarize,
)
from shared_inbox.mail.body import read_message
from shared_inbox.mail.quotes import split_segments
from shared_inbox.services.deadlines import ItemKind, tracker_for
from shared_inbox.services.notes import conversation_notes

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

__all__ = ["missing_bodies", "own_words", "summary_of", "thread_of"]

NOT_DOWNLOADED = ""  # a message whose body is not here yet says nothing, rather than guessing


def own_words(text: str) -> str:
    """A body without its quoted text and signature: what its author wrote this time."""
    return "".join(segment.text for segment in split_segments(text) if segment.kind == "text")


def thread_of(
    session: Session, conv: Conversation, now: datetime, raws: Mapping[str, bytes | None] | None = None
) -> Thread:
    """Everything :func:`summarize` reads about ``conv``; ``raws`` adds bodies the cache lacks."""
    inbox = session.inbox
    metas = sorted(inbox.messages_of(conv), key=lambda m: (m.date, m.message_id))  # as the reader shows them
    messages = tuple(_message(session, meta, (raws or {}).get(meta.message_id)) for meta in metas)
    events = inbox.events_of(conv.id)
    names = {member.email: member.name or member.email for member in session.config.team.members}
    by_time = {
        event.at: names.get(event.author, event.author) for event in events if event.kind is EventKind.STATUS
    }
    changes = tuple(StatusChange(at, status, by_time.get(at, "")) for at, status in status_history(events))
    notes = tuple(
        ThreadNote(n.created_at, names.get(n.author, n.author), n.text)
        for n in conversation_notes(inbox, conv.id)
    )
    deadlines = tracker_for(session).of(conv, now)
    tracked = tuple(
        TrackedPromise(item.text, item.due, item.state)
        for item in deadlines.promises
        if item.kind in (ItemKind.PROMISE, ItemKind.FOLLOW_UP) and item.due is not None
    )
    return Thread(conv.subject, messages, notes, changes, tracked)


def summary_of(
    session: Session, conv: Conversation, now: datetime, raws: Mapping[str, bytes | None] | None = None
) -> Summary:
    """The summary of ``conv`` as of ``now``."""
    return summarize(thread_of(session, conv, now, raws), now)


def missing_bodies(session: Session, conv: Conversation) -> list[str]:
    """The messages of ``conv`` whose bodies the sync has not downloaded yet."""
    return [m.message_id for m in session.inbox.messages_of(conv) if not session.store.has_raw(m.message_id)]


def _message(session: Session, meta: MessageMeta, fetched: bytes | None) -> ThreadMessage:
    raw = fetched if fetched is not None else session.store.load_raw(meta.message_id)
    kind = kind_of(meta, session.inbox.our_addresses)
    author = meta.sender.name or meta.sender.email
    if raw is None:
        return ThreadMessage(meta.message_id, meta.date, kind, author, NOT_DOWNLOADED)
    read = read_message(raw)
    names = tuple(info.filename for info in read.attachments)
    text = "".join(segment.text for segment in read.segments if segment.kind == "text")
    return ThreadMessage(meta.message_id, meta.date, kind, author, text, names)
