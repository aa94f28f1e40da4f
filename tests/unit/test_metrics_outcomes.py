"""Resolutions, reopens, SLA achievement, promises, backlog, busiest hours, agents, breakdowns, comparison."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from shared_inbox.domain.metrics import (
    UNATTRIBUTED,
    Breakdown,
    ConversationFacts,
    Period,
    PromiseFact,
    Role,
    compute_report,
)
from shared_inbox.domain.model import Status
from shared_inbox.domain.sla import PromiseState, SlaPolicy, sla_clocks
from tests.unit.metrics_support import ANA, BEN, CALENDAR, HOUR, at, facts

WEEK = Period(date(2026, 3, 2), date(2026, 3, 8))
NOW = at("2026-03-20 12:00")


def report(conversations: list[ConversationFacts], **options: object):
    options.setdefault("business_hours", True)
    return compute_report(conversations, WEEK, calendar=CALENDAR, now=NOW, **options)  # type: ignore[arg-type]


def with_clocks(
    conv: ConversationFacts, policy: SlaPolicy, now: str = "2026-03-20 12:00"
) -> ConversationFacts:
    timed = [(m.at, m.role is Role.AGENT) for m in conv.messages if m.role in (Role.AGENT, Role.CUSTOMER)]
    clocks = tuple(sla_clocks(policy, timed, conv.statuses, CALENDAR, at(now)))
    return replace(conv, clocks=clocks, policy=policy.name)


def test_resolved_needs_a_reply_else_no_action_needed() -> None:
    resolved = facts(
        "r1",
        ("c", "2026-03-02 09:00"),
        ("a", "2026-03-02 10:00", ANA),
        statuses=[("2026-03-02 13:00", Status.CLOSED)],
    )
    nothing = facts("r2", ("c", "2026-03-02 09:00"), statuses=[("2026-03-02 09:30", Status.CLOSED)])
    summary = report([resolved, nothing]).summary
    assert (summary.resolved, summary.no_action_needed) == (1, 1)
    assert summary.resolution.values == (4 * HOUR,)
    assert (summary.replies_per_resolution, summary.one_touch_percent) == (1.0, 100.0)


def test_resolution_time_runs_to_the_final_close_and_counts_replies_before_it() -> None:
    conv = facts(
        "r1",
        ("c", "2026-03-02 09:00"),
        ("a", "2026-03-02 10:00", ANA),
        ("c", "2026-03-03 09:00"),  # reopens the close of the 2nd
        ("a", "2026-03-03 10:00", BEN),
        statuses=[("2026-03-02 11:00", Status.CLOSED), ("2026-03-03 11:00", Status.CLOSED)],
        assignments=[("2026-03-02 10:00", ANA), ("2026-03-03 09:30", BEN)],
    )
    result = report([conv])
    summary = result.summary
    assert summary.resolved == 1
    assert summary.resolution.values == (10 * HOUR,)  # 09:00 Monday to 11:00 Tuesday, business hours
    assert (summary.replies_per_resolution, summary.one_touch_percent) == (2.0, 0.0)
    assert (summary.reopened, summary.reopen_rate_percent) == (1, 100.0)
    assert {row.agent: row.resolved for row in result.agents} == {ANA: 0, BEN: 1}  # the assignee at the close


def test_a_resolution_not_reopened() -> None:
    conv = facts(
        "r1",
        ("c", "2026-03-02 09:00"),
        ("a", "2026-03-02 10:00", ANA),
        statuses=[("2026-03-02 11:00", Status.CLOSED)],
    )
    assert (report([conv]).summary.reopened, report([conv]).summary.reopen_rate_percent) == (0, 0.0)


def test_sla_achievement_counts_running_overdue_clocks_as_broken() -> None:
    policy = SlaPolicy("standard", first_response=timedelta(hours=2))
    kept = with_clocks(facts("s1", ("c", "2026-03-02 09:00"), ("a", "2026-03-02 10:00", ANA)), policy)
    late = with_clocks(facts("s2", ("c", "2026-03-02 09:00"), ("a", "2026-03-02 12:00", ANA)), policy)
    running = with_clocks(facts("s3", ("c", "2026-03-04 09:00")), policy)  # never answered, due at 11:00
    not_yet = with_clocks(facts("s4", ("c", "2026-03-04 09:00")), policy, now="2026-03-04 10:00")
    result = report([kept, late, running, not_yet])
    assert (result.summary.sla_kept, result.summary.sla_broken) == (1, 2)
    assert result.summary.sla_percent == 100 / 3
    assert [(r.policy, r.target, r.kept, r.broken) for r in result.sla] == [
        ("standard", "first_response", 1, 2)
    ]


def test_sla_clocks_count_in_the_period_their_outcome_was_settled() -> None:
    policy = SlaPolicy("standard", first_response=timedelta(hours=2))
    # Due Friday the 6th at 17:00, answered the Monday after: broken in the first week, nothing in the second.
    late = with_clocks(facts("s1", ("c", "2026-03-06 15:00"), ("a", "2026-03-09 10:00", ANA)), policy)
    assert report([late]).summary.sla_broken == 1
    second = compute_report(
        [late], Period(date(2026, 3, 9), date(2026, 3, 15)), calendar=CALENDAR, business_hours=True, now=NOW
    )
    assert (second.summary.sla_kept, second.summary.sla_broken) == (0, 0)


def test_promises_made_kept_broken_open_and_margin() -> None:
    conv = replace(
        facts("p1", ("c", "2026-03-02 09:00")),
        promises=(
            PromiseFact(
                at("2026-03-02 10:00"), at("2026-03-03 17:00"), PromiseState.KEPT, at("2026-03-03 15:00")
            ),
            PromiseFact(
                at("2026-03-02 10:00"), at("2026-03-03 17:00"), PromiseState.KEPT, at("2026-03-03 11:00")
            ),
            PromiseFact(at("2026-03-02 10:00"), at("2026-03-03 17:00"), PromiseState.BROKEN, None),
            PromiseFact(at("2026-03-06 10:00"), at("2026-03-30 17:00"), PromiseState.OPEN, None),
            PromiseFact(
                at("2026-03-12 10:00"), at("2026-03-13 17:00"), PromiseState.KEPT, at("2026-03-13 09:00")
            ),
        ),
    )
    summary = report([conv]).summary
    made = (summary.promises_made, summary.promises_kept, summary.promises_broken, summary.promises_open)
    assert made == (4, 2, 1, 1)  # the last was made after the period
    assert summary.promise_margin.median == 4 * HOUR  # kept 2 and 6 business hours early


def test_backlog_is_what_stays_open_at_the_end_of_each_day() -> None:
    first = facts("b1", ("c", "2026-03-02 10:00"), statuses=[("2026-03-04 12:00", Status.CLOSED)])
    pending = facts(
        "b2",
        ("c", "2026-03-03 10:00"),
        ("a", "2026-03-03 11:00", ANA),
        statuses=[("2026-03-03 11:00", Status.PENDING)],
    )
    reopened = facts(
        "b3",
        ("c", "2026-03-02 10:00"),
        ("c", "2026-03-06 08:00"),
        statuses=[("2026-03-02 12:00", Status.CLOSED)],
    )
    backlog = [row.backlog for row in report([first, pending, reopened]).days]
    assert backlog == [1, 2, 1, 1, 2, 2, 2]


def test_busiest_hours_by_local_weekday_and_hour_for_customer_started_conversations() -> None:
    monday = facts("h1", ("c", "2026-03-02 09:15"))
    again = facts("h2", ("c", "2026-03-02 09:45"))
    friday = facts("h3", ("c", "2026-03-06 16:59"))
    ours = facts("h4", ("a", "2026-03-03 10:00", ANA))
    grid = report([monday, again, friday, ours]).busiest
    assert grid[0][9] == 2 and grid[4][16] == 1
    assert sum(map(sum, grid)) == 3


def test_volume_per_day() -> None:
    conv = facts(
        "v1",
        ("c", "2026-03-02 09:00"),
        ("a", "2026-03-02 10:00", ANA),
        ("c", "2026-03-03 09:00"),
        notes=["2026-03-03 12:00"],
    )
    days = {
        row.day: (row.conversations_created, row.customer_messages, row.replies, row.notes)
        for row in report([conv]).days
    }
    assert days[date(2026, 3, 2)] == (1, 1, 1, 0)
    assert days[date(2026, 3, 3)] == (0, 1, 0, 1)


def test_agents_get_their_replies_and_first_responses_unattributed_apart() -> None:
    one = facts(
        "a1", ("c", "2026-03-02 09:00"), ("a", "2026-03-02 10:00", ANA), ("a", "2026-03-02 11:00", BEN)
    )
    two = facts("a2", ("c", "2026-03-02 09:00"), ("a", "2026-03-02 12:00", UNATTRIBUTED))
    rows = {
        row.agent: (row.replies, row.first_response.count, row.first_response.median)
        for row in report([one, two]).agents
    }
    assert rows == {ANA: (1, 1, HOUR), BEN: (1, 0, None), UNATTRIBUTED: (1, 1, 3 * HOUR)}
    assert [row.agent for row in report([one, two]).agents][-1] == UNATTRIBUTED


def test_breakdown_by_tag_organisation_and_policy() -> None:
    vip = facts(
        "t1", ("c", "2026-03-02 09:00"), ("a", "2026-03-02 10:00", ANA), tags=frozenset({"vip", "billing"})
    )
    plain = facts("t2", ("c", "2026-03-02 09:00"), organisation="other.example", policy="gold")
    by_tag = dict(report([vip, plain], by=Breakdown.TAG).breakdown)
    assert list(by_tag) == ["billing", "vip", "(none)"]
    assert by_tag["vip"].first_response.count == 1 and by_tag["(none)"].conversations_created == 1
    by_org = dict(report([vip, plain], by=Breakdown.ORGANISATION).breakdown)
    assert {k: v.conversations_created for k, v in by_org.items()} == {
        "customer.example": 1,
        "other.example": 1,
    }
    by_sla = dict(report([vip, plain], by=Breakdown.SLA).breakdown)
    assert list(by_sla) == ["gold", "(none)"]


def test_compare_reports_the_period_before_of_the_same_length() -> None:
    before = facts("x1", ("c", "2026-02-24 09:00"), ("a", "2026-02-24 10:00", ANA))
    now = facts("x2", ("c", "2026-03-03 09:00"), ("a", "2026-03-03 09:30", ANA))
    result = report([before, now], compare=True)
    assert result.previous is not None
    assert result.previous.period == Period(date(2026, 2, 23), date(2026, 3, 1))
    assert result.summary.first_response.median == 0.5 * HOUR
    assert result.previous.summary.first_response.median == HOUR
