"""Service level targets and promises: what the team owes a customer, and by when.

An :class:`SlaPolicy` sets up to three targets, each a time allowance measured in
business hours (or calendar time):

- *first response*: from the customer's first message to the team's first reply;
- *next response*: from a customer message that follows a reply to the team's next reply
  (one clock per such turn);
- *resolution*: from the customer's first message until the conversation is closed.

A response clock also stops when the conversation is closed (nobody owes a reply to a
closed conversation). Time while the conversation is pending does not count when the
policy pauses for pending, and time while closed never counts towards resolution, so a
reopened conversation carries on where it stopped. As in :func:`reduce_state`, a
customer message later than a pending or closed status reopens the conversation.

A clock is *kept* when it stopped by its due time and *broken* when it stopped later or
is still running past it. A running clock is *at risk* once the share of its allowance
used reaches the policy's ``risk_fraction``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import Status

__all__ = [
    "FollowUp",
    "Promise",
    "PromiseState",
    "SlaClock",
    "SlaMatch",
    "SlaPolicy",
    "SlaState",
    "SlaTarget",
    "choose_policy",
    "promise_outcome",
    "sla_clocks",
]

_ENDED = frozenset({Status.CLOSED, Status.SPAM})
_REOPENABLE = frozenset({Status.PENDING, Status.CLOSED})
_ALWAYS_OPEN = BusinessCalendar.always_open()

Interval = tuple[datetime, datetime | None]  # an open end runs on past now


class SlaTarget(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class SlaState(enum.StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    KEPT = "kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class SlaMatch:
    """Which conversations a policy covers; empty criteria match everything.

    Each non-empty criterion must hold: one of ``tags`` is on the conversation, its
    priority is one of ``priorities``, and the customer's domain is one of
    ``customer_domains`` or a subdomain of one.
    """

    tags: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    customer_domains: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("tags", "priorities", "customer_domains"):
            values = frozenset(value.strip().lower().strip(".") for value in getattr(self, name))
            object.__setattr__(self, name, values)

    def matches(self, tags: Iterable[str], priority: str | None, customer_domain: str | None) -> bool:
        if self.tags and not self.tags & {tag.lower() for tag in tags}:
            return False
        if self.priorities and (priority or "").lower() not in self.priorities:
            return False
        if self.customer_domains:
            domain = (customer_domain or "").lower().strip(".")
            return any(domain == wanted or domain.endswith("." + wanted) for wanted in self.customer_domains)
        return True


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    name: str
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    business_hours: bool = True
    pause_while_pending: bool = True
    match: SlaMatch = SlaMatch()
    risk_fraction: float = 0.75

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an SLA policy needs a name")
        for target in SlaTarget:
            allowance = getattr(self, target.value)
            if allowance is not None and allowance <= timedelta():
                raise ValueError(f"SLA policy {self.name!r}: {target.value} must be longer than zero")
        if not 0 < self.risk_fraction <= 1:
            raise ValueError(f"SLA policy {self.name!r}: risk_fraction must be above 0 and at most 1")


@dataclass(frozen=True, slots=True)
class SlaClock:
    target: SlaTarget
    started: datetime
    due: datetime | None  # None while paused before it falls due
    state: SlaState
    allowed: timedelta
    elapsed: timedelta  # counted time, up to the stop or to now
    stopped: datetime | None = None  # the reply or close that ended it

    @property
    def remaining(self) -> timedelta:
        """Counted time left; negative once broken."""
        return self.allowed - self.elapsed


def choose_policy(
    policies: Sequence[SlaPolicy], tags: Iterable[str], priority: str | None, customer_domain: str | None
) -> SlaPolicy | None:
    """The first policy, in the order given, that covers the conversation; list specific ones first."""
    tag_set = frozenset(tags)
    return next((p for p in policies if p.match.matches(tag_set, priority, customer_domain)), None)


def sla_clocks(
    policy: SlaPolicy,
    messages: Iterable[tuple[datetime, bool]],
    status_history: Iterable[tuple[datetime, Status]],
    calendar: BusinessCalendar | None,
    now: datetime,
) -> list[SlaClock]:
    """Every clock of a conversation, oldest first.

    ``messages`` are (arrival time, outgoing) pairs; ``status_history`` the status
    changes as (time, status). A spam conversation has no clocks.
    """
    if policy.business_hours and calendar is None:
        raise ValueError(f"SLA policy {policy.name!r} counts business hours but no calendar was given")
    counting = calendar if policy.business_hours and calendar is not None else _ALWAYS_OPEN
    ordered = sorted(messages, key=lambda message: (message[0].astimezone(UTC), message[1]))
    timeline = _timeline(ordered, status_history)
    if timeline[-1][1] is Status.SPAM:
        return []
    clock = _ClockMaker(counting, policy.risk_fraction, now)
    pending = _intervals(timeline, {Status.PENDING}) if policy.pause_while_pending else []
    clocks = []
    for target, started, stopped in _response_turns(ordered, timeline):
        allowed = policy.first_response if target is SlaTarget.FIRST_RESPONSE else policy.next_response
        if allowed is not None:
            clocks.append(clock(target, started, stopped, allowed, pending))
    first_customer = next((arrived.astimezone(UTC) for arrived, outgoing in ordered if not outgoing), None)
    if policy.resolution is not None and first_customer is not None:
        # Closed time never counts; the clock stops at the close that still stands.
        ended = _intervals(timeline, set(_ENDED))
        closed_since = ended[-1][0] if ended and ended[-1][1] is None else None
        stopped = closed_since if closed_since is not None and closed_since >= first_customer else None
        paused = sorted(pending + ended, key=lambda interval: interval[0])
        clocks.append(clock(SlaTarget.RESOLUTION, first_customer, stopped, policy.resolution, paused))
    return clocks


# -- timelines ------------------------------------------------------------------------


def _timeline(
    messages: Sequence[tuple[datetime, bool]], status_history: Iterable[tuple[datetime, Status]]
) -> list[tuple[datetime, Status]]:
    """Status changes in time order, with the reopening a customer message brings."""
    # A customer message at the same moment as a status change sorts first, so it does not undo it.
    changes = sorted(
        [(moment.astimezone(UTC), 1, status) for moment, status in status_history]
        + [(arrived.astimezone(UTC), 0, Status.ACTIVE) for arrived, outgoing in messages if not outgoing],
        key=lambda change: (change[0], change[1]),
    )
    timeline = [(datetime.min.replace(tzinfo=UTC), Status.ACTIVE)]
    for moment, is_status, status in changes:
        current = timeline[-1][1]
        new = status if is_status else (Status.ACTIVE if current in _REOPENABLE else current)
        if new is not current:
            timeline.append((moment, new))
    return timeline


def _intervals(timeline: list[tuple[datetime, Status]], statuses: set[Status]) -> list[Interval]:
    """When the conversation was in one of ``statuses``."""
    intervals: list[Interval] = []
    for index, (moment, status) in enumerate(timeline):
        inside = status in statuses
        was_inside = index > 0 and timeline[index - 1][1] in statuses
        if inside and not was_inside:
            intervals.append((moment, None))
        elif was_inside and not inside:
            intervals[-1] = (intervals[-1][0], moment)
    return intervals


def _response_turns(
    messages: Sequence[tuple[datetime, bool]], timeline: list[tuple[datetime, Status]]
) -> list[tuple[SlaTarget, datetime, datetime | None]]:
    """(target, start, stop) for each wait of the customer for a reply.

    A wait starts with a customer message while no wait is open and ends with the next
    reply or when the conversation is closed.
    """
    closes = [moment for moment, status in timeline if status in _ENDED]
    turns: list[tuple[SlaTarget, datetime, datetime | None]] = []
    replied = False
    open_since: datetime | None = None
    for arrived, outgoing in messages:
        arrived = arrived.astimezone(UTC)
        if open_since is not None:
            close = next((moment for moment in closes if open_since <= moment <= arrived), None)
            if close is not None:
                turns.append((_kind(replied), open_since, close))
                open_since = None
        if outgoing:
            if open_since is not None:
                turns.append((_kind(replied), open_since, arrived))
                open_since = None
            replied = True
        elif open_since is None:
            open_since = arrived
    if open_since is not None:
        close = next((moment for moment in closes if moment >= open_since), None)
        turns.append((_kind(replied), open_since, close))
    return turns


def _kind(replied: bool) -> SlaTarget:
    return SlaTarget.NEXT_RESPONSE if replied else SlaTarget.FIRST_RESPONSE


# -- one clock ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClockMaker:
    """Builds clocks that count time with one calendar and judge them at one moment."""

    calendar: BusinessCalendar
    risk_fraction: float
    now: datetime

    def __call__(
        self,
        target: SlaTarget,
        started: datetime,
        stopped: datetime | None,
        allowed: timedelta,
        paused: list[Interval],
    ) -> SlaClock:
        calendar = self.calendar
        end = stopped if stopped is not None else max(self.now.astimezone(UTC), started)
        segments = _active(started, end, paused)
        elapsed = sum((calendar.business_time_between(a, b) for a, b in segments), timedelta())
        paused_now = stopped is None and any(a <= end and (b is None or end < b) for a, b in paused)
        due = _due(segments, allowed, calendar, tail=None if paused_now else end)
        if due is not None and end > due:
            state = SlaState.BROKEN
        elif stopped is not None:
            state = SlaState.KEPT
        elif paused_now:
            state = SlaState.PAUSED
        elif elapsed >= allowed * self.risk_fraction:
            state = SlaState.AT_RISK
        else:
            state = SlaState.RUNNING
        zone = self.now.tzinfo
        return SlaClock(
            target=target,
            started=started.astimezone(zone),
            due=due.astimezone(zone) if due is not None else None,
            state=state,
            allowed=allowed,
            elapsed=elapsed,
            stopped=stopped.astimezone(zone) if stopped is not None else None,
        )


def _active(start: datetime, end: datetime, paused: list[Interval]) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) outside every paused interval."""
    segments, cursor = [], start
    for pause_start, pause_end in paused:
        if pause_end is not None and pause_end <= cursor:
            continue
        if pause_start >= end:
            break
        if pause_start > cursor:
            segments.append((cursor, pause_start))
        if pause_end is None:
            return segments
        cursor = max(cursor, pause_end)
    if cursor < end:
        segments.append((cursor, end))
    return segments


def _due(
    segments: list[tuple[datetime, datetime]],
    allowed: timedelta,
    calendar: BusinessCalendar,
    tail: datetime | None,
) -> datetime | None:
    """When the allowance runs out: within the counted segments, or after ``tail`` if the clock runs on."""
    remaining = allowed
    for start, end in segments:
        available = calendar.business_time_between(start, end)
        if available >= remaining:
            return calendar.add_business_time(start, remaining)
        remaining -= available
    return calendar.add_business_time(tail, remaining) if tail is not None else None


# -- promises ------------------------------------------------------------------------


class FollowUp(enum.StrEnum):
    """A reminder the team set itself rather than something told to the customer.

    ``AT`` falls due at its due time; ``AFTER_CLOSE`` waits for the conversation to be
    closed and falls due that long after the close (the promise's ``after`` phrase).
    """

    AT = "at"
    AFTER_CLOSE = "after_close"


class PromiseState(enum.StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Promise:
    """Something an agent told a customer the team would do by a given time."""

    id: str
    anchor: str  # a Message-ID in the conversation
    text: str
    due: datetime
    created_at: datetime
    author: str  # the agent's email
    state: PromiseState = PromiseState.OPEN
    settled_at: datetime | None = None  # when it was marked done or dropped
    follow_up: FollowUp | None = None  # None: a promise made to the customer
    after: str | None = None  # for AFTER_CLOSE: how long after the close, e.g. "in 1 week"
    made_in: str | None = None  # the Message-ID of the reply that made it; that reply does not keep it

    def __post_init__(self) -> None:
        for name in ("due", "created_at", "settled_at"):
            moment = getattr(self, name)
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise ValueError(f"promise {name} must be timezone-aware")


def promise_outcome(
    promise: Promise, agent_reply_times: Iterable[datetime], resolved_at: datetime | None, now: datetime
) -> PromiseState:
    """Kept when a reply, the resolution or marking it done came after the promise and by its due time.

    Broken when none did and the due time has passed; open until then. A dropped
    promise stays dropped.
    """
    if promise.state is PromiseState.DROPPED:
        return PromiseState.DROPPED
    fulfilments = [*agent_reply_times]
    if resolved_at is not None:
        fulfilments.append(resolved_at)
    if promise.state is PromiseState.KEPT and promise.settled_at is not None:
        fulfilments.append(promise.settled_at)
    # Compared in UTC: aware datetimes sharing a zone compare by wall time, which misorders a clock change.
    created, due = promise.created_at.astimezone(UTC), promise.due.astimezone(UTC)
    if any(created < moment.astimezone(UTC) <= due for moment in fulfilments):
        return PromiseState.KEPT
    return PromiseState.BROKEN if now.astimezone(UTC) > due else PromiseState.OPEN
