"""A period passes by the conversations that only began after it, and nothing else.

What a period counts of a conversation never comes before its earliest message, status
change, note, rating, promise or SLA clock; team events carry the writer's clock, so an
event may be dated before the first message arrived, and it still counts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from shared_inbox.domain.metrics import ConversationFacts, Period, PromiseFact, Report, compute_report
from shared_inbox.domain.model import Status
from shared_inbox.domain.satisfaction import Rating, RatingFact
from shared_inbox.domain.sla import PromiseState
from tests.unit.metrics_support import ANA, CALENDAR, HOUR, at, facts

WEEK = Period(date(2026, 3, 2), date(2026, 3, 8))
NOW = at("2026-03-20 12:00")


def report(conversations: list[ConversationFacts]) -> Report:
    return compute_report(conversations, WEEK, calendar=CALENDAR, business_hours=True, now=NOW)


def test_a_conversation_begun_after_the_period_adds_nothing_to_it() -> None:
    open_before = facts("o1", ("c", "2026-03-02 10:00"))
    later = facts(
        "l1",
        ("c", "2026-03-10 10:00"),
        ("a", "2026-03-10 11:00", ANA),
        statuses=[("2026-03-10 12:00", Status.CLOSED)],
        notes=["2026-03-10 11:30"],
    )
    alone, both = report([open_before]), report([open_before, later])
    assert both.summary == alone.summary and both.agents == alone.agents and both.days == alone.days


def test_an_open_conversation_from_before_the_period_still_counts_in_it() -> None:
    old = facts("o1", ("c", "2026-02-23 10:00"))
    week = report([old])
    assert [row.backlog for row in week.days] == [1] * 7
    assert [w.conversation_id for w in week.waiting] == ["o1"]
    assert week.summary.wait.count == 1 and week.summary.wait.median == 5 * 8 * HOUR


def test_team_events_dated_inside_the_period_count_though_the_first_message_came_later() -> None:
    skewed = replace(
        facts(
            "s1",
            ("c", "2026-03-10 10:00"),
            statuses=[("2026-03-05 12:00", Status.CLOSED)],
            notes=["2026-03-05 11:00"],
        ),
        ratings=(RatingFact(at("2026-03-05 13:00"), Rating.GREAT, "s1-r", "", ANA),),
        promises=(PromiseFact(at("2026-03-05 10:00"), at("2026-03-06 17:00"), PromiseState.BROKEN, None),),
    )
    summary = report([skewed]).summary
    assert (summary.notes, summary.no_action_needed, summary.ratings) == (1, 1, (1, 0, 0))
    assert (summary.promises_made, summary.promises_broken) == (1, 1)
