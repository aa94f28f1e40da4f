"""The sidebar's views: which conversations each one shows, in which order, and how to undo a change.

Kept apart from the screen so the rules can be tested and reused without a running app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from shared_inbox.domain.conversations import waiting_since
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.model import Conversation, ConversationState, Status
from shared_inbox.services.commands import Commands
from shared_inbox.services.deadlines import Deadlines, Urgency


def is_snoozed(conv: Conversation, now: datetime) -> bool:
    until = conv.state.snoozed_until
    return until is not None and until > now and conv.state.status in (Status.ACTIVE, Status.PENDING)


@dataclass(frozen=True)
class View:
    """A named filter of the sidebar; `matches(conv, me, now)` decides membership."""

    id: str
    label: str
    matches: Callable[[Conversation, str, datetime], bool]


def _waiting(c: Conversation, now: datetime, status: Status = Status.ACTIVE) -> bool:
    return c.state.status is status and not is_snoozed(c, now)


def _unassigned(c: Conversation, me: str, now: datetime) -> bool:
    return _waiting(c, now) and c.state.assignee is None


def _mine(c: Conversation, me: str, now: datetime) -> bool:
    return c.state.assignee == me and (_waiting(c, now) or _waiting(c, now, Status.PENDING))


MENTIONS = "mentions"


def _by_mentions(c: Conversation, me: str, now: datetime) -> bool:
    """Mentions live in notes, not in the conversation: `partition` fills this view from them."""
    return False


DUE_SOON = "due_soon"
OVERDUE = "overdue"
DeadlinesOf = Callable[[Conversation], Deadlines]


def _by_deadline(c: Conversation, me: str, now: datetime) -> bool:
    """Deadlines are computed by the tracker, not read off the conversation: `partition` fills these."""
    return False


NEEDS_ATTENTION = "needs_attention"


def _by_held_reply(c: Conversation, me: str, now: datetime) -> bool:
    """Held replies are local to this agent's store, not team state: `partition` fills this view."""
    return False


VIEWS: tuple[View, ...] = (
    View("unassigned", "Unassigned", _unassigned),
    View("mine", "Mine", _mine),
    View("open", "All open", lambda c, me, now: _waiting(c, now)),
    View("pending", "Pending", lambda c, me, now: _waiting(c, now, Status.PENDING)),
    View("snoozed", "Snoozed", lambda c, me, now: is_snoozed(c, now)),
    View("closed", "Closed", lambda c, me, now: c.state.status is Status.CLOSED),
    View("spam", "Spam", lambda c, me, now: c.state.status is Status.SPAM),
    View(MENTIONS, "Mentions", _by_mentions),
    View(DUE_SOON, "Due soon", _by_deadline),
    View(OVERDUE, "Overdue", _by_deadline),
    View(NEEDS_ATTENTION, "Attention", _by_held_reply),
)


def partition(
    convs: Sequence[Conversation],
    me: str,
    now: datetime,
    *,
    mentioned: Mapping[str, datetime] | None = None,
    deadlines: DeadlinesOf | None = None,
    held: frozenset[str] = frozenset(),
    delivery_failed: frozenset[str] = frozenset(),
    complaints: frozenset[str] = frozenset(),
) -> dict[str, list[Conversation]]:
    """Each view's conversations, in the order the view shows them (see `view_order`).

    `mentioned` maps the ids of conversations with a note mentioning `me` to the time of the
    latest such note; the Mentions view shows those, the latest mention first. `held` holds the
    ids of conversations whose reply the Traffic Cop held, `delivery_failed` those where our mail
    bounced and nobody has written since, `complaints` those rated "not good" with a comment nobody
    has answered: together, the Needs attention view.
    """
    groups = {view.id: view_order(view.id, [c for c in convs if view.matches(c, me, now)]) for view in VIEWS}
    if mentioned:
        mentions = [c for c in convs if c.id in mentioned and c.state.status is not Status.SPAM]
        groups[MENTIONS] = sorted(mentions, key=lambda c: (mentioned[c.id], c.id), reverse=True)
    if deadlines is not None:
        groups.update(deadline_groups(convs, deadlines))
    if held or delivery_failed or complaints:
        attention = held | delivery_failed | complaints
        groups[NEEDS_ATTENTION] = view_order(NEEDS_ATTENTION, [c for c in convs if c.id in attention])
    return groups


def deadline_groups(convs: Sequence[Conversation], deadlines: DeadlinesOf) -> dict[str, list[Conversation]]:
    """Due soon (at risk) and Overdue, the soonest due first; spam owes nothing."""
    found: dict[str, list[tuple[datetime, str, Conversation]]] = {DUE_SOON: [], OVERDUE: []}
    for conv in convs:
        if conv.state.status is Status.SPAM:
            continue
        owed = deadlines(conv)
        view_id = {Urgency.AT_RISK: DUE_SOON, Urgency.OVERDUE: OVERDUE}.get(owed.urgency)
        if view_id is not None and owed.next_due is not None:
            found[view_id].append((owed.next_due, conv.id, conv))
    return {view_id: [conv for *_, conv in sorted(rows)] for view_id, rows in found.items()}


def by_next_due(convs: Sequence[Conversation], deadlines: DeadlinesOf) -> list[Conversation]:
    """The soonest deadline first (overdue on top); conversations owing nothing keep their order, after."""
    keyed = [(deadlines(conv).next_due, index, conv) for index, conv in enumerate(convs)]
    return [conv for *_, conv in sorted(keyed, key=lambda row: (row[0] is None, row[0] or _NEVER, row[1]))]


_NEVER = datetime.min.replace(tzinfo=UTC)


def waiting_first(conv: Conversation) -> tuple[int, datetime, str]:
    """Customers waiting on us come first, longest wait on top; then the rest by oldest activity.

    The id breaks ties, so two conversations of the same second keep one order on every run.
    """
    since = waiting_since(conv)
    if since is not None:
        return (0, since, conv.id)
    return (1, conv.last_activity or _NEVER, conv.id)


def view_order(view_id: str, convs: list[Conversation]) -> list[Conversation]:
    """Open work by waiting time (the longest-waiting customer first); closed and spam newest first."""
    if view_id in ("closed", "spam"):
        return sorted(convs, key=lambda c: (c.last_activity or _NEVER, c.id), reverse=True)
    if view_id == "snoozed":
        return sorted(convs, key=lambda c: (c.state.snoozed_until or _NEVER, c.id))
    return sorted(convs, key=waiting_first)


Undo = Callable[[], object]


def inverse_commands(
    commands: Commands,
    ref: str,
    before: ConversationState,
    after: ConversationState,
    made: object = None,
) -> list[Undo]:
    """The commands that take a conversation from `after` back to `before`, touching only what differs.

    `made` is what the change returned: when it is the status event, the undo names it, so
    the SLA clocks read as if the change had never been made.
    """
    steps: list[Undo] = []
    if before.status is not after.status:
        undoes = made.id if isinstance(made, Event) and made.kind is EventKind.STATUS else None
        steps.append(partial(commands.set_status, ref, before.status.value, undoes=undoes))
    if before.assignee != after.assignee:
        if before.assignee is None:
            steps.append(partial(commands.unassign, ref))
        else:
            steps.append(partial(commands.assign, ref, before.assignee))
    steps.extend(partial(commands.untag, ref, tag) for tag in sorted(after.tags - before.tags))
    steps.extend(partial(commands.tag, ref, tag) for tag in sorted(before.tags - after.tags))
    if before.snoozed_until != after.snoozed_until:
        if before.snoozed_until is None:
            steps.append(partial(commands.unsnooze, ref))
        else:
            steps.append(partial(commands.snooze, ref, before.snoozed_until))
    return steps
