"""What sending a canned reply does besides the text: status, tags, a snooze and a promise.

Every change goes through the command layer, so it is an event like any other and can be
taken back when the agent undoes the send.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from shared_inbox.canned.library import CannedActions
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.due_times import resolve
from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.domain.time_phrases import read_phrase, tokenize

__all__ = ["action_problems", "apply_actions", "promise_due"]

Revert = Callable[[], object]


class Conversations(Protocol):
    """Finds a conversation by its id, an old id, or a Message-ID in it."""

    def conversation(self, ref: str) -> Conversation | None: ...


class ConversationCommands(Protocol):
    """The recorded, undoable changes a reply's actions make (the services' Commands fits)."""

    @property
    def inbox(self) -> Conversations: ...

    def set_status(self, ref: str, status: str) -> Event: ...

    def tag(self, ref: str, tag: str) -> Event: ...

    def untag(self, ref: str, tag: str) -> Event: ...

    def snooze(self, ref: str, until: datetime) -> Event: ...

    def unsnooze(self, ref: str) -> Event: ...

    def set_promise(self, ref: str, text: str, due: datetime, *, promise_id: str | None = None) -> Event: ...

    def drop_promise(self, ref: str, promise_id: str) -> Event: ...


def promise_due(phrase: str, now: datetime, calendar: BusinessCalendar) -> datetime:
    """When a promised phrase falls due, read as a deadline ("by Friday" is Friday's close).

    A phrase the deadline grammar does not cover whole is read as a follow-up time instead.
    Raises FollowUpError when neither reads it or it lies in the past.
    """
    tokens = tokenize(phrase)
    read, end = read_phrase(tokens, 0) if tokens else (None, 0)
    if read is not None and end == len(tokens):
        due = resolve(read, now, calendar, deadline=True)
        if due is not None and due > now:
            return due
    return parse_follow_up(phrase, now, calendar)


def action_problems(actions: CannedActions, now: datetime, calendar: BusinessCalendar) -> list[str]:
    """Why the snooze or promise of a reply could not be applied at ``now`` (empty when they can)."""
    problems = []
    if actions.snooze is not None:
        try:
            parse_follow_up(actions.snooze, now, calendar)
        except FollowUpError as exc:
            problems.append(f"actions.snooze: {exc}")
    if actions.promise is not None:
        try:
            promise_due(actions.promise, now, calendar)
        except FollowUpError as exc:
            problems.append(f"actions.promise: {exc}")
    return problems


def apply_actions(
    commands: ConversationCommands,
    conversation_id: str,
    actions: CannedActions,
    *,
    now: datetime,
    calendar: BusinessCalendar,
) -> list[Revert]:
    """Apply one reply's actions; returns how to take each back (for undoing the send).

    Raises FollowUpError (before changing anything) when a time cannot be read, and the
    command layer's CommandError when a change is refused.
    """
    snooze_until = parse_follow_up(actions.snooze, now, calendar) if actions.snooze else None
    promise = (actions.promise, promise_due(actions.promise, now, calendar)) if actions.promise else None
    conv = commands.inbox.conversation(conversation_id)
    if conv is None:
        raise ValueError(f"no conversation {conversation_id!r}")
    reverts: list[Revert] = []
    if actions.status is not None and actions.status != conv.state.status.value:
        commands.set_status(conv.id, actions.status)
        reverts.append(partial(commands.set_status, conv.id, conv.state.status.value))
    for tag in actions.tags:
        if tag not in conv.state.tags:
            commands.tag(conv.id, tag)
            reverts.append(partial(commands.untag, conv.id, tag))
    if snooze_until is not None:
        commands.snooze(conv.id, snooze_until)
        reverts.append(partial(commands.unsnooze, conv.id))
    if promise is not None:
        event = commands.set_promise(conv.id, promise[0], promise[1])
        reverts.append(partial(commands.drop_promise, conv.id, str(event.data["promise"])))
    return reverts
