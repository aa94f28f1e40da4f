"""The conversation as the composer shows it beside the reply: its latest messages, their own words.

Quoted text and signatures are left out (the agent is answering what was said, not what was
quoted); a message whose text the store lacks is listed with ``text`` None, to fetch.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared_inbox.mail.body import read_message
from shared_inbox.mail.quotes import split_segments
from shared_inbox.services.session import Session

__all__ = ["THREAD_LIMIT", "ThreadMessage", "thread_of"]

THREAD_LIMIT = 5  # the latest messages are what a reply answers; the reader has the rest
MAX_LINES = 60  # of one message's own words


@dataclass(frozen=True)
class ThreadMessage:
    message_id: str
    sender: str
    when: str
    outgoing: bool
    text: str | None  # None: not in the store yet


def thread_of(session: Session, conversation_id: str, *, limit: int = THREAD_LIMIT) -> list[ThreadMessage]:
    """The conversation's latest messages, oldest first, with what each said in its own words."""
    conv = session.inbox.conversation(conversation_id)
    if conv is None:
        return []
    shown = []
    for meta in session.inbox.messages_of(conv)[-limit:]:
        raw = session.store.load_raw(meta.message_id)
        shown.append(
            ThreadMessage(
                message_id=meta.message_id,
                sender=meta.sender.display(),
                when=f"{meta.arrived.astimezone():%a %d %b %H:%M}",
                outgoing=meta.outgoing,
                text=None if raw is None else own_text(read_message(raw).text),
            )
        )
    return shown


def own_text(text: str) -> str:
    """The message without its quotes and signature, at most MAX_LINES lines."""
    own = "".join(segment.text for segment in split_segments(text) if segment.kind == "text").strip()
    lines = own.splitlines()
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], "…"]
    return "\n".join(lines)
