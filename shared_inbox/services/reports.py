"""The report use case: the team's service over a period, computed from what the store holds.

The TUI's Reports screen and `shared-inbox report` both ask :class:`Reports`; the metric
definitions live in :mod:`shared_inbox.domain.metrics`. Facts are built once per
conversation and kept until the inbox changes, so switching the period or the breakdown
on the screen costs only the arithmetic.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.metrics import (
    Breakdown,
    ConversationFacts,
    Member,
    Period,
    Report,
    Roster,
    compute_report,
)
from shared_inbox.domain.metrics.facts import conversation_facts
from shared_inbox.domain.sla import choose_policy
from shared_inbox.services.deadlines import priority_of
from shared_inbox.services.session import Session

__all__ = ["PeriodError", "ReportRequest", "Reports", "last_days", "period_between"]

MAX_DAYS = 3660
FRESH = timedelta(minutes=1)  # facts judged this recently serve another report (a switch of period)
_LAST = re.compile(r"^\s*(\d{1,4})\s*([dw])\s*$")


class PeriodError(ValueError):
    """A period that cannot be reported on; the message says why."""


@dataclass(frozen=True, slots=True)
class ReportRequest:
    period: Period
    by: Breakdown | None = None
    business_hours: bool = True
    compare: bool = False


def last_days(text: str, today: date) -> Period:
    """``--last 7d`` / ``4w``: that many whole days, ending today."""
    match = _LAST.match(text.lower())
    if not match:
        raise PeriodError(f"{text[:40]!r} is not a period like 7d or 4w")
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if not 0 < days <= MAX_DAYS:
        raise PeriodError(f"a period is 1 to {MAX_DAYS} days long")
    return Period(today - timedelta(days=days - 1), today)


def period_between(first: str, last: str) -> Period:
    """``--from DATE --to DATE``, both days included."""
    try:
        start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    except ValueError:
        raise PeriodError(f"dates are written YYYY-MM-DD, not {first[:20]!r} / {last[:20]!r}") from None
    if end < start:
        raise PeriodError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(f"a period is 1 to {MAX_DAYS} days long")
    return Period(start, end)


class Reports:
    """Reports over one session's inbox, judged at ``now()``."""

    def __init__(self, session: Session, *, now: Callable[[], datetime]) -> None:
        self.session = session
        self.now = now
        config = session.config
        self.calendar: BusinessCalendar = config.business_hours.calendar()
        self.roster = Roster([Member(m.name, m.email) for m in config.team.members])
        self._facts: list[ConversationFacts] | None = None
        self._facts_key: tuple[int, int] | None = None
        self._facts_at: datetime | None = None

    def today(self) -> date:
        return self.calendar.local(self.now()).date()

    def report(self, request: ReportRequest) -> Report:
        now = self.now()
        with _gc_paused():
            return compute_report(
                self.facts(now),
                request.period,
                calendar=self.calendar,
                business_hours=request.business_hours,
                now=now,
                by=request.by,
                compare=request.compare,
            )

    def facts(self, now: datetime) -> list[ConversationFacts]:
        """Every conversation's facts; kept while no message or event comes, for a minute at most."""
        inbox = self.session.inbox
        key = (len(inbox.messages), len(inbox.events))
        if (
            self._facts is not None
            and self._facts_key == key
            and self._facts_at is not None
            and timedelta() <= now - self._facts_at < FRESH
        ):
            return self._facts
        config = self.session.config
        policies = config.sla
        ours = config.our_addresses
        bulk = inbox.bulk_starts_clocks
        table = inbox.messages
        events = inbox.events_by_conversation()
        built = []
        for conv in inbox.conversations():
            policy = None
            if policies:
                domain = conv.customer.organisation if conv.customer else None
                policy = choose_policy(policies, conv.state.tags, priority_of(conv.state.tags), domain)
            built.append(
                conversation_facts(
                    conv,
                    [table[m] for m in conv.message_ids if m in table],
                    events.get(conv.id, ()),
                    our_addresses=ours,
                    roster=self.roster,
                    now=now,
                    bulk_counts=bulk,
                    policy=policy,
                    calendar=self.calendar,
                )
            )
        self._facts, self._facts_key, self._facts_at = built, key, now
        return built


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A report allocates facts for every conversation, none of them in a cycle: the cyclic
    collector's passes over them while they are built cost a tenth of the report's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
