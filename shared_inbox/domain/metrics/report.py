"""A report over one period: the headline figures, the days, the busiest hours, agents and breakdowns.

Times are passed in: the period's bounds, and ``now`` at which running clocks and open
promises are judged. Days and hours are read in the business calendar's time zone;
durations are counted in business time or, on request, in calendar time.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.metrics.attribution import UNATTRIBUTED, Role
from shared_inbox.domain.metrics.derived import Derived, Positions, derive
from shared_inbox.domain.metrics.facts import ConversationFacts
from shared_inbox.domain.metrics.stats import Distribution, distribution
from shared_inbox.domain.metrics.summary import Summary, summarise
from shared_inbox.domain.metrics.timeline import (
    assignee_at,
    resolution_in,
)
from shared_inbox.domain.model import Status
from shared_inbox.domain.sla import SlaState, SlaTarget

__all__ = ["AgentRow", "Breakdown", "DayRow", "Period", "Report", "SlaRow", "Waiting", "compute_report"]

NO_VALUE = "(none)"
_OPEN = frozenset({Status.ACTIVE, Status.PENDING})


class Breakdown(enum.StrEnum):
    AGENT = "agent"
    TAG = "tag"
    ORGANISATION = "organisation"
    SLA = "sla"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days, ``first`` to ``last`` inclusive, in a calendar's time zone."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"the period ends ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def previous(self) -> Period:
        length = self.last - self.first + timedelta(days=1)
        return Period(self.first - length, self.last - length)

    def bounds(self, calendar: BusinessCalendar) -> tuple[datetime, datetime]:
        """The period's first and last instant (excluded), in UTC like every time the reports compare."""
        return _midnight(self.first, calendar), _midnight(self.last + timedelta(days=1), calendar)


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    conversations_created: int
    customer_messages: int
    replies: int
    notes: int
    backlog: int  # open (active or pending) at the end of the day


@dataclass(frozen=True, slots=True)
class Waiting:
    conversation_id: str
    since: datetime
    age_seconds: float


@dataclass(frozen=True, slots=True)
class SlaRow:
    policy: str
    target: str
    kept: int
    broken: int


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: str
    replies: int
    first_response: Distribution
    resolved: int


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    hours: str  # "business" or "calendar"
    summary: Summary
    days: tuple[DayRow, ...]
    busiest: tuple[tuple[int, ...], ...]  # [weekday][hour] new conversations
    waiting: tuple[Waiting, ...]  # no first response yet, oldest first
    sla: tuple[SlaRow, ...]
    agents: tuple[AgentRow, ...]
    by: Breakdown | None = None
    breakdown: tuple[tuple[str, Summary], ...] = ()
    previous: Report | None = None


def compute_report(
    conversations: Sequence[ConversationFacts],
    period: Period,
    *,
    calendar: BusinessCalendar,
    business_hours: bool,
    now: datetime,
    by: Breakdown | None = None,
    compare: bool = False,
) -> Report:
    """The report for ``period``; with ``compare``, the period of the same length before it too."""
    derived = [derive(facts) for facts in conversations if not facts.spam]
    measure = Positions(calendar if business_hours else BusinessCalendar.always_open(calendar.zone))
    hours = "business" if business_hours else "calendar"
    previous = _report(derived, period.previous(), calendar, measure, hours, now, by) if compare else None
    return replace(_report(derived, period, calendar, measure, hours, now, by), previous=previous)


def _report(
    derived: Sequence[Derived],
    period: Period,
    calendar: BusinessCalendar,
    measure: Positions,
    hours: str,
    now: datetime,
    by: Breakdown | None,
) -> Report:
    start, end = period.bounds(calendar)
    rows: tuple[tuple[str, Summary], ...] = ()
    if by is not None and by is not Breakdown.AGENT:
        groups = _groups(derived, _keys_for(by))
        rows = tuple((key, summarise(group, start, end, measure, now)) for key, group in groups)
    return Report(
        period=period,
        hours=hours,
        summary=summarise(derived, start, end, measure, now),
        days=_days(derived, period, calendar),
        busiest=_busiest(derived, start, end, calendar),
        waiting=_waiting(derived, end, now, measure),
        sla=_sla_rows(derived, start, end),
        agents=_agents(derived, start, end, measure),
        by=by,
        breakdown=rows,
    )


def _midnight(day: date, calendar: BusinessCalendar) -> datetime:
    # Comparing instants of two zones asks each for its offset; UTC against UTC is plain arithmetic.
    return datetime.combine(day, time(), tzinfo=calendar.zone).astimezone(UTC)


def _days(derived: Sequence[Derived], period: Period, calendar: BusinessCalendar) -> tuple[DayRow, ...]:
    """Volume per day, and the backlog at each day's end (counted over each open stretch at once)."""
    days = period.days
    ends = [_midnight(day + timedelta(days=1), calendar) for day in days]
    first, last = period.bounds(calendar)
    created = [0] * len(days)
    customer = [0] * len(days)
    replies = [0] * len(days)
    notes = [0] * len(days)
    backlog = [0] * (len(days) + 1)  # +1 where an open stretch starts covering day ends, -1 where it stops

    def day_of(moment: datetime) -> int | None:
        return bisect.bisect_right(ends, moment) if first <= moment < last else None

    for item in derived:
        facts, born = item.facts, item.created
        if born is None or born >= last:
            continue
        if (index := day_of(born)) is not None:
            created[index] += 1
        for message in facts.messages:
            if (index := day_of(message.at)) is not None:
                customer[index] += message.role is Role.CUSTOMER
                replies[index] += message.role is Role.AGENT
        for at in facts.notes:
            if (index := day_of(at)) is not None:
                notes[index] += 1
        moments = item.moments
        for number, (at, status) in enumerate(moments):
            if status not in _OPEN:
                continue
            # Open from `at` (or the creation) until the next change: the day ends inside that stretch.
            low = bisect.bisect_right(ends, max(at, born))
            following = moments[number + 1][0] if number + 1 < len(moments) else None
            high = len(ends) if following is None else bisect.bisect_right(ends, following)
            if low < high:
                backlog[low] += 1
                backlog[high] -= 1
    open_at_end = list(accumulate(backlog))
    return tuple(
        DayRow(day, created[i], customer[i], replies[i], notes[i], open_at_end[i])
        for i, day in enumerate(days)
    )


def _busiest(
    derived: Sequence[Derived], start: datetime, end: datetime, calendar: BusinessCalendar
) -> tuple[tuple[int, ...], ...]:
    grid = [[0] * 24 for _ in range(7)]
    for item in derived:
        created = item.created
        if created is not None and start <= created < end and not item.team_started:
            local = calendar.local(created)
            grid[local.weekday()][local.hour] += 1
    return tuple(tuple(row) for row in grid)


def _waiting(
    derived: Sequence[Derived], end: datetime, now: datetime, measure: Positions
) -> tuple[Waiting, ...]:
    """Conversations still without a first response at the period's end (or now), oldest first."""
    moment = min(end, now)
    found = []
    for item in derived:
        since = item.waiting_since(moment)
        if since is None or since >= moment or item.status_at(moment) is not Status.ACTIVE:
            continue
        age = measure.seconds(since, moment)
        found.append(Waiting(item.facts.id, since, age))
    return tuple(sorted(found, key=lambda w: (w.since, w.conversation_id)))


def _sla_rows(derived: Sequence[Derived], start: datetime, end: datetime) -> tuple[SlaRow, ...]:
    counts: dict[tuple[str, str], list[int]] = {}
    for item in derived:
        facts = item.facts
        if facts.policy is None:
            continue
        for clock in facts.clocks:
            key = (facts.policy, clock.target.value)
            if clock.state is SlaState.KEPT and clock.stopped is not None and start <= clock.stopped < end:
                counts.setdefault(key, [0, 0])[0] += 1
            elif clock.state is SlaState.BROKEN and clock.due is not None and start <= clock.due < end:
                counts.setdefault(key, [0, 0])[1] += 1
    order = [target.value for target in SlaTarget]
    ordered = sorted(counts.items(), key=lambda item: (item[0][0], order.index(item[0][1])))
    return tuple(SlaRow(policy, target, kept, broken) for (policy, target), (kept, broken) in ordered)


def _agents(
    derived: Sequence[Derived], start: datetime, end: datetime, measure: Positions
) -> tuple[AgentRow, ...]:
    """Replies and first responses go to whoever sent them; resolutions to the assignee at the close."""
    replies: dict[str, int] = {}
    firsts: dict[str, list[float]] = {}
    resolved: dict[str, int] = {}
    for item in derived:
        if not item.before(end):
            continue
        facts = item.facts
        for message in facts.messages:
            if message.role is Role.AGENT and start <= message.at < end:
                agent = message.agent or UNATTRIBUTED
                replies[agent] = replies.get(agent, 0) + 1
        first = item.first
        if first is not None and start <= first.reply.at < end:
            seconds = measure.seconds(first.started, first.reply.at)
            firsts.setdefault(first.reply.agent or UNATTRIBUTED, []).append(seconds)
        resolution = resolution_in(facts, start, end, item.moments) if len(item.moments) > 1 else None
        if resolution is not None and resolution.resolved:
            agent = assignee_at(facts, resolution.closed) or UNATTRIBUTED
            resolved[agent] = resolved.get(agent, 0) + 1
    agents = sorted(set(replies) | set(firsts) | set(resolved), key=lambda a: (a == UNATTRIBUTED, a))
    return tuple(
        AgentRow(agent, replies.get(agent, 0), distribution(firsts.get(agent, ())), resolved.get(agent, 0))
        for agent in agents
    )


def _keys_for(by: Breakdown) -> Callable[[ConversationFacts], Iterable[str]]:
    if by is Breakdown.TAG:
        return lambda facts: sorted(facts.tags) or [NO_VALUE]
    if by is Breakdown.ORGANISATION:
        return lambda facts: [facts.organisation or NO_VALUE]
    return lambda facts: [facts.policy or NO_VALUE]


def _groups(
    derived: Sequence[Derived], keys: Callable[[ConversationFacts], Iterable[str]]
) -> list[tuple[str, list[Derived]]]:
    groups: dict[str, list[Derived]] = {}
    for item in derived:
        for key in keys(item.facts):
            groups.setdefault(key, []).append(item)
    return sorted(groups.items(), key=lambda group: (group[0] == NO_VALUE, group[0]))
