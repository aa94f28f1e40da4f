"""A report over one period: the headline figures, the days, the busiest hours, agents and breakdowns.

Times are passed in: the period's bounds, and ``now`` at which running clocks and open
promises are judged. Days and hours are read in the business calendar's time zone;
durations are counted in business time or, on request, in calendar time.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.metrics.attribution import UNATTRIBUTED, Role
from shared_inbox.domain.metrics.facts import ConversationFacts
from shared_inbox.domain.metrics.stats import Distribution, distribution
from shared_inbox.domain.metrics.summary import Summary, summarise
from shared_inbox.domain.metrics.timeline import (
    assignee_at,
    first_response,
    resolution_in,
    timeline,
    waiting_since,
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
    live = [facts for facts in conversations if not facts.spam]
    start, end = period.bounds(calendar)
    measure = calendar if business_hours else BusinessCalendar.always_open(calendar.zone)
    summary = summarise(live, start, end, measure, now)
    rows: tuple[tuple[str, Summary], ...] = ()
    if by is not None and by is not Breakdown.AGENT:
        rows = tuple(
            (key, summarise(group, start, end, measure, now)) for key, group in _groups(live, _keys_for(by))
        )
    previous = None
    if compare:
        previous = compute_report(
            conversations, period.previous(), calendar=calendar, business_hours=business_hours, now=now, by=by
        )
    return Report(
        period=period,
        hours="business" if business_hours else "calendar",
        summary=summary,
        days=_days(live, period, calendar),
        busiest=_busiest(live, start, end, calendar),
        waiting=_waiting(live, end, now, measure),
        sla=_sla_rows(live, start, end),
        agents=_agents(live, start, end, measure),
        by=by,
        breakdown=rows,
        previous=previous,
    )


def _midnight(day: date, calendar: BusinessCalendar) -> datetime:
    return datetime.combine(day, time(), tzinfo=calendar.zone)


def _days(
    conversations: Sequence[ConversationFacts], period: Period, calendar: BusinessCalendar
) -> tuple[DayRow, ...]:
    days = period.days
    ends = [_midnight(day + timedelta(days=1), calendar) for day in days]
    counts = {day: [0, 0, 0, 0, 0] for day in days}
    first, last = period.bounds(calendar)

    def day_of(moment: datetime) -> date | None:
        return calendar.local(moment).date() if first <= moment < last else None

    for facts in conversations:
        if facts.created is not None and (day := day_of(facts.created)) is not None:
            counts[day][0] += 1
        for message in facts.messages:
            if (day := day_of(message.at)) is not None:
                counts[day][1] += message.role is Role.CUSTOMER
                counts[day][2] += message.role is Role.AGENT
        for at in facts.notes:
            if (day := day_of(at)) is not None:
                counts[day][3] += 1
        if facts.created is None or facts.created >= last:
            continue
        moments = timeline(facts)
        starts = [at for at, _ in moments]
        for day, day_end in zip(days, ends, strict=True):
            if facts.created < day_end and moments[bisect.bisect_left(starts, day_end) - 1][1] in _OPEN:
                counts[day][4] += 1
    return tuple(DayRow(day, *counts[day]) for day in days)


def _busiest(
    conversations: Sequence[ConversationFacts], start: datetime, end: datetime, calendar: BusinessCalendar
) -> tuple[tuple[int, ...], ...]:
    grid = [[0] * 24 for _ in range(7)]
    for facts in conversations:
        created = facts.created
        if created is not None and start <= created < end and not facts.team_started:
            local = calendar.local(created)
            grid[local.weekday()][local.hour] += 1
    return tuple(tuple(row) for row in grid)


def _waiting(
    conversations: Sequence[ConversationFacts], end: datetime, now: datetime, measure: BusinessCalendar
) -> tuple[Waiting, ...]:
    """Conversations still without a first response at the period's end (or now), oldest first."""
    moment = min(end, now)
    found = []
    for facts in conversations:
        since = waiting_since(facts, moment)
        if since is None or since >= moment:
            continue
        moments = timeline(facts)
        starts = [at for at, _ in moments]
        if moments[bisect.bisect_right(starts, moment) - 1][1] is not Status.ACTIVE:
            continue
        age = measure.business_time_between(since, moment).total_seconds()
        found.append(Waiting(facts.id, since, age))
    return tuple(sorted(found, key=lambda w: (w.since, w.conversation_id)))


def _sla_rows(
    conversations: Sequence[ConversationFacts], start: datetime, end: datetime
) -> tuple[SlaRow, ...]:
    counts: dict[tuple[str, str], list[int]] = {}
    for facts in conversations:
        if facts.policy is None:
            continue
        for clock in facts.clocks:
            key = (facts.policy, clock.target.value)
            if clock.state is SlaState.KEPT and clock.stopped is not None and start <= clock.stopped < end:
                counts.setdefault(key, [0, 0])[0] += 1
            elif clock.state is SlaState.BROKEN and clock.due is not None and start <= clock.due < end:
                counts.setdefault(key, [0, 0])[1] += 1
    order = [target.value for target in SlaTarget]
    return tuple(
        SlaRow(policy, target, kept, broken)
        for (policy, target), (kept, broken) in sorted(
            counts.items(), key=lambda i: (i[0][0], order.index(i[0][1]))
        )
    )


def _agents(
    conversations: Sequence[ConversationFacts], start: datetime, end: datetime, measure: BusinessCalendar
) -> tuple[AgentRow, ...]:
    """Replies and first responses go to whoever sent them; resolutions to the assignee at the close."""
    replies: dict[str, int] = {}
    firsts: dict[str, list[float]] = {}
    resolved: dict[str, int] = {}
    for facts in conversations:
        for message in facts.messages:
            if message.role is Role.AGENT and start <= message.at < end:
                agent = message.agent or UNATTRIBUTED
                replies[agent] = replies.get(agent, 0) + 1
        first = first_response(facts)
        if first is not None and start <= first.reply.at < end:
            seconds = measure.business_time_between(first.started, first.reply.at).total_seconds()
            firsts.setdefault(first.reply.agent or UNATTRIBUTED, []).append(seconds)
        resolution = resolution_in(facts, start, end)
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
    conversations: Sequence[ConversationFacts], keys: Callable[[ConversationFacts], Iterable[str]]
) -> list[tuple[str, list[ConversationFacts]]]:
    groups: dict[str, list[ConversationFacts]] = {}
    for facts in conversations:
        for key in keys(facts):
            groups.setdefault(key, []).append(facts)
    return sorted(groups.items(), key=lambda item: (item[0] == NO_VALUE, item[0]))
