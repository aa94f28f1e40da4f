"""What a reply does besides its text: the pending/assign change, a canned reply's actions, its promises.

Every change goes through the command layer, so it is an event like any other, and each
returns how to take it back: undoing the send withdraws what the send changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from shared_inbox.canned import CannedActions, promise_due
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import MessageKind, Status
from shared_inbox.domain.promises import PromiseCandidate, detect_promises, parse_follow_up
from shared_inbox.domain.satisfaction import rating_request
from shared_inbox.mail.compose import token_for
from shared_inbox.outbox.model import OutboxEntry
from shared_inbox.services.commands import CommandError, Commands

if TYPE_CHECKING:
    from shared_inbox.services.reply_model import ReplyDraft
    from shared_inbox.services.session import Session

__all__ = ["Revert", "answered", "apply_actions", "new_promises", "rating_footer", "record_senders"]

Revert = Callable[[], object]


def answered(commands: Commands, conversation_id: str, me: str) -> tuple[list[Revert], list[str]]:
    """A reply hands the conversation to the customer (pending) and to its author if nobody had it.

    Returns how to take the changes back and what they were, in words.
    """
    conv = commands.inbox.conversation(conversation_id)
    if conv is None:
        return [], []
    reverts: list[Revert] = []
    changes: list[str] = []
    if conv.state.assignee is None:
        commands.assign(conv.id, me)
        reverts.append(partial(commands.unassign, conv.id))
        changes.append(f"assigned to {me}")
    if conv.state.status is Status.ACTIVE:
        commands.set_status(conv.id, Status.PENDING.value)
        reverts.append(partial(commands.set_status, conv.id, Status.ACTIVE.value))
        changes.append("pending")
    return reverts, changes


def apply_actions(
    commands: Commands,
    conversation_id: str,
    actions: CannedActions,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    made_in: str | None = None,
) -> tuple[list[Revert], datetime | None]:
    """Apply one canned reply's actions; how to take each back, and the due time of its promise.

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
    if promise is None:
        return reverts, None
    event = commands.set_promise(conv.id, promise[0], promise[1], made_in=made_in)
    reverts.append(partial(commands.drop_promise, conv.id, str(event.data["promise"])))
    return reverts, promise[1]


def new_promises(
    text: str,
    *,
    sent_at: datetime,
    calendar: BusinessCalendar,
    already: Iterable[datetime] = (),
    phrases: Sequence[str] = (),
) -> list[PromiseCandidate]:
    """The promises in the agent's words, less those a canned reply's action already tracks.

    A detected promise is the same as a tracked one when it falls due at the same time or
    uses the same words ("within two business days" and "within 2 business days" are one).
    """
    due_times = set(already)
    words = {" ".join(phrase.split()).casefold() for phrase in phrases}
    return [
        candidate
        for candidate in detect_promises(text, sent_at=sent_at, calendar=calendar)
        if candidate.due not in due_times and " ".join(candidate.phrase.split()).casefold() not in words
    ]


def rating_footer(session: Session, draft: ReplyDraft) -> str:
    """The satisfaction question under a reply to the customer, when the team asks for ratings."""
    satisfaction = session.config.satisfaction
    if not satisfaction.enabled or draft.mode not in ("reply", "reply_all") or draft.conversation_id is None:
        return ""
    if draft.automatic:  # an acknowledgement has nothing to rate yet
        return ""
    conv = session.inbox.conversation(draft.conversation_id)
    if conv is None:
        return ""
    return rating_request(satisfaction.question, session.config.account.address, token_for(conv.id))


def record_senders(
    commands: Commands, sent: Iterable[OutboxEntry], message_ids: Iterable[str], *, asked: bool = False
) -> int:
    """A ``reply_sent`` event for each of ``message_ids`` the outbox sent, naming who sent it.

    Mail that says it was sent automatically (``Auto-Submitted``) is recorded as such, so an
    acknowledgement never counts as the team's response. ``asked``: replies carried the
    satisfaction question. Returns how many were recorded.
    """
    wanted = set(message_ids)
    recorded = 0
    for entry in sent:
        if entry.message_id not in wanted:
            continue
        conv = commands.inbox.conversation(entry.message_id)
        meta = commands.inbox.messages.get(entry.message_id)
        if conv is None or meta is None:
            continue
        try:
            automatic = meta.kind is MessageKind.AUTO_REPLY
            asks = asked and not automatic
            event = commands.reply_sent(conv.id, entry.message_id, automatic=automatic, asked=asks)
        except CommandError:
            continue
        recorded += event is not None
    return recorded
