"""Merging conversations and splitting one apart, and taking either back: one service for TUI and CLI.

Each act is one team event (see :mod:`shared_inbox.domain.regrouping`), recorded through the
command layer so it is durable, shipped to teammates, and folded the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared_inbox.domain.events import Event, EventError
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.regrouping import (
    MAX_MERGED,
    MERGE,
    SPLIT,
    UNMERGE,
    UNSPLIT,
    merge_data,
    replies_of,
    split_data,
    undo_data,
)
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.inbox import Inbox

__all__ = ["CommandError", "Regrouped", "merge", "split", "undo"]


@dataclass(frozen=True)
class Regrouped:
    """What a merge or split made: the conversation to show now, and the event that undoes it."""

    conversation_id: str
    event: Event
    moved: int  # messages that changed conversation


def merge(inbox: Inbox, commands: Commands, refs: Sequence[str]) -> Regrouped:
    """Merge the conversations ``refs`` name (ids, starts of ids, old ids or Message-IDs) into the oldest."""
    found: dict[str, Conversation] = {}
    for ref in refs:
        conv = commands.find(ref)
        found.setdefault(conv.id, conv)
    if len(found) < 2:
        raise CommandError("Name at least two different conversations to merge.")
    if len(found) > MAX_MERGED:
        raise CommandError(f"At most {MAX_MERGED} conversations can be merged at once.")
    convs = sorted(found.values(), key=lambda conv: _first(inbox, conv))
    survivor = convs[0]
    try:
        data = merge_data([_first(inbox, conv)[1] for conv in convs])
    except EventError as exc:
        raise CommandError(str(exc)) from None
    event = commands.record(survivor, MERGE, data)
    merged = inbox.conversation(survivor.id)
    return Regrouped(merged.id if merged else survivor.id, event, sum(len(c.message_ids) for c in convs[1:]))


def split(inbox: Inbox, commands: Commands, message_id: str) -> Regrouped:
    """Move ``message_id`` and its replies out of their conversation into a new one."""
    message_id = message_id.strip().removeprefix("<").removesuffix(">")
    conv = inbox.conversation(message_id) if message_id else None
    if conv is None or message_id not in conv.message_ids:
        raise CommandError(f"No message {message_id!r}; the reader shows a message's id.")
    moving = replies_of(message_id, inbox.messages_of(conv))
    if len(moving) >= len(conv.message_ids):
        raise CommandError(
            "That message and its replies are the whole conversation; there is nothing to split off."
        )
    try:
        data = split_data(message_id)
    except EventError as exc:
        raise CommandError(str(exc)) from None
    event = commands.record(conv, SPLIT, data)
    moved = inbox.conversation(message_id)
    return Regrouped(moved.id if moved else conv.id, event, len(moving))


def undo(inbox: Inbox, commands: Commands, event: Event) -> Event:
    """Take back a merge or split made earlier (by anyone), as if it had never been made."""
    kinds = {MERGE: UNMERGE, SPLIT: UNSPLIT}
    kind = kinds.get(str(event.kind))
    if kind is None:
        raise CommandError("Only a merge or a split can be taken back this way.")
    conv = inbox.conversation(event.anchor)
    if conv is None:
        raise CommandError("The conversation of that change is gone.")
    return commands.record(conv, kind, undo_data(event.id))


def _first(inbox: Inbox, conv: Conversation) -> tuple[datetime, str]:
    """The conversation's earliest message as (date, id): what decides whose id survives a merge."""
    metas = inbox.messages_of(conv)
    return (
        min((meta.date, meta.message_id) for meta in metas)
        if metas
        else (datetime.min.replace(tzinfo=UTC), conv.id)
    )
