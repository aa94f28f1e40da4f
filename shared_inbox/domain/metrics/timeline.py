"""Per-conversation measures: when the customer waited, for how long, and when the team resolved it.

A customer message reopens a pending or closed conversation (as the inbox itself reads
it); spam stays spam. Only replies by a person count as responses: notes never, and the
team's automatic mail (acknowledgements) neither.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared_inbox.domain.metrics.attribution import Role
from shared_inbox.domain.metrics.facts import ConversationFacts, MessageFact
from shared_inbox.domain.model import Status

__all__ = [
    "Resolution",
    "Turn",
    "active_spans",
    "assignee_at",
    "first_response",
    "resolution_in",
    "response_turns",
    "timeline",
    "waiting_since",
]

_REOPENABLE = frozenset({Status.PENDING, Status.CLOSED})
_BEGINNING = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Turn:
    """The customer waited from ``started`` until ``reply`` answered them."""

    started: datetime
    reply: MessageFact


@dataclass(frozen=True, slots=True)
class Resolution:
    closed: datetime  # the last close within the period
    first_customer: datetime | None
    replies: int  # team replies before the close
    reopened: bool  # a customer message came after a close in the period
    resolved: bool  # at least one reply: otherwise "no action needed"


def timeline(facts: ConversationFacts) -> list[tuple[datetime, Status]]:
    """Status in force from each moment on, with the reopening customer messages bring."""
    if not facts.statuses:  # never closed, pended or marked spam: a customer message changes nothing
        return [(_BEGINNING, Status.ACTIVE)]
    changes = sorted(
        [(at, 1, status) for at, status in facts.statuses]
        + [(m.at, 0, Status.ACTIVE) for m in facts.messages if m.role is Role.CUSTOMER],
        key=lambda change: (change[0], change[1]),
    )
    result = [(_BEGINNING, Status.ACTIVE)]
    for moment, is_status, status in changes:
        current = result[-1][1]
        new = status if is_status else (Status.ACTIVE if current in _REOPENABLE else current)
        if new is not current:
            result.append((moment, new))
    return result


def first_response(facts: ConversationFacts) -> Turn | None:
    """First customer message -> first reply after it; None for conversations the team started."""
    if facts.team_started:
        return None
    first = next((m for m in facts.messages if m.role is Role.CUSTOMER), None)
    if first is None:
        return None
    reply = next((m for m in facts.messages if m.role is Role.AGENT and m.at >= first.at), None)
    return Turn(first.at, reply) if reply is not None else None


def waiting_since(facts: ConversationFacts, moment: datetime) -> datetime | None:
    """When the customer's first message came, if no reply had gone out by ``moment``."""
    if facts.team_started or any(m.role is Role.AGENT and m.at <= moment for m in facts.messages):
        return None
    return next((m.at for m in facts.messages if m.role is Role.CUSTOMER), None)


Moments = Sequence[tuple[datetime, Status]]


def response_turns(facts: ConversationFacts, moments: Moments | None = None) -> list[Turn]:
    """Each customer turn (first unanswered customer message) and the reply that ended it.

    A close ends a turn without a response: nobody owes a reply to a closed conversation.
    ``moments``: the conversation's :func:`timeline`, when the caller has it already.
    """
    moments = timeline(facts) if moments is None else moments
    closes = [at for at, status in moments if status in (Status.CLOSED, Status.SPAM)]
    turns = []
    open_since: datetime | None = None
    for message in facts.messages:
        if closes and open_since is not None and any(open_since <= at <= message.at for at in closes):
            open_since = None
        if message.role is Role.AGENT and open_since is not None:
            turns.append(Turn(open_since, message))
            open_since = None
        elif message.role is Role.CUSTOMER and open_since is None:
            open_since = message.at
    return turns


def resolution_in(
    facts: ConversationFacts, start: datetime, end: datetime, moments: Moments | None = None
) -> Resolution | None:
    """The conversation's last close within [start, end), judged as resolved or "no action needed"."""
    moments = timeline(facts) if moments is None else moments
    closes = [at for at, status in moments if status is Status.CLOSED and start <= at < end]
    if not closes:
        return None
    closed = closes[-1]
    replies = sum(1 for m in facts.messages if m.role is Role.AGENT and m.at <= closed)
    first_customer = next((m.at for m in facts.messages if m.role is Role.CUSTOMER), None)
    reopened = any(m.role is Role.CUSTOMER and m.at > closes[0] for m in facts.messages)
    return Resolution(closed, first_customer, replies, reopened, resolved=replies > 0)


def assignee_at(facts: ConversationFacts, moment: datetime) -> str | None:
    assignee = None
    for at, who in facts.assignments:
        if at > moment:
            break
        assignee = who
    return assignee


def active_spans(
    facts: ConversationFacts, start: datetime, end: datetime, moments: Moments | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The parts of [start, end) in which the conversation was active and not snoozed.

    Pending (waiting on the customer), snoozed, closed and spam time is not the customer's wait.
    """
    created = facts.created
    if created is None:
        return
    moments = timeline(facts) if moments is None else moments
    for index, (at, status) in enumerate(moments):
        if status is not Status.ACTIVE:
            continue
        stop = moments[index + 1][0] if index + 1 < len(moments) else end
        lo, hi = max(at, created, start), min(stop, end)
        if lo < hi:
            yield from _minus(lo, hi, facts.snoozes)


def _minus(
    lo: datetime, hi: datetime, holes: tuple[tuple[datetime, datetime], ...]
) -> Iterator[tuple[datetime, datetime]]:
    cursor = lo
    for hole_start, hole_end in sorted(holes):
        if hole_end <= cursor or hole_start >= hi:
            continue
        if hole_start > cursor:
            yield cursor, hole_start
        cursor = max(cursor, hole_end)
    if cursor < hi:
        yield cursor, hi
