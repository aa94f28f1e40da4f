"""What happened, one line per step: customer messages, replies, notes and status changes.

Machine mail shows as what it is ("automatic reply", "delivery failure") without its words: an
out-of-office text says nothing about the case.
"""

from __future__ import annotations

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.summary.model import Actor, Thread, TimelineEntry
from shared_inbox.domain.summary.sentences import first_line

__all__ = ["timeline"]

_MACHINE_LINES = {
    MessageKind.AUTO_REPLY: "automatic reply",
    MessageKind.BOUNCE: "delivery failure",
    MessageKind.BULK: "bulk mail",
}


def timeline(thread: Thread) -> list[TimelineEntry]:
    """Every step of the conversation, oldest first."""
    entries: list[TimelineEntry] = []
    for message in thread.messages:
        if message.kind in _MACHINE_LINES:
            entries.append(
                TimelineEntry(message.when, Actor.MACHINE, message.author, _MACHINE_LINES[message.kind])
            )
            continue
        actor = Actor.AGENT if message.kind is MessageKind.AGENT else Actor.CUSTOMER
        line = first_line(message.text) or _files(message.attachments) or "(no text)"
        entries.append(TimelineEntry(message.when, actor, message.author, line))
    for note in thread.notes:
        entries.append(
            TimelineEntry(note.when, Actor.NOTE, note.author, first_line(note.text) or "(empty note)")
        )
    for change in thread.status_changes:
        entries.append(TimelineEntry(change.when, Actor.STATUS, change.by, f"marked {change.status.value}"))
    return sorted(entries, key=lambda entry: entry.when)


def _files(names: tuple[str, ...]) -> str:
    return f"sent {', '.join(names)}" if names else ""
