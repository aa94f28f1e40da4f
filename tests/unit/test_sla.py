"""SLA policies and clocks, and promise outcomes, across weekends, holidays, time zones and DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import Status
from shared_inbox.domain.sla import (
    Promise,
    PromiseState,
    SlaClock,
    SlaMatch,
    SlaPolicy,
    SlaState,
    SlaTarget,
    choose_policy,
    promise_outcome,
    sla_clocks,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Monday to Friday 09:00-17:00 in Berlin; Whit Monday, 20 May 2024, is a holiday.
OFFICE = BusinessCalendar.weekdays("Europe/Berlin", "09:00", "17:00", holidays=[date(2024, 5, 20)])
POLICY = SlaPolicy(
    "standard",
    first_response=timedelta(hours=2),
    next_response=timedelta(hours=4),
    resolution=timedelta(hours=16),
)
FIRST, NEXT, RESOLUTION = SlaTarget.FIRST_RESPONSE, SlaTarget.NEXT_RESPONSE, SlaTarget.RESOLUTION
RUNNING, AT_RISK, PAUSED, KEPT, BROKEN = (
    SlaState.RUNNING,
    SlaState.AT_RISK,
    SlaState.PAUSED,
    SlaState.KEPT,
    SlaState.BROKEN,
)


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    """A wall time in Berlin, May 2024 unless told (6 May is a Monday)."""
    return datetime(2024, month, day, hour, minute, tzinfo=BERLIN)


def customer(moment: datetime) -> tuple[datetime, bool]:
    return (moment, False)


def agent(moment: datetime) -> tuple[datetime, bool]:
    return (moment, True)


def summary(clocks: list[SlaClock]) -> list[tuple[SlaTarget, SlaState, str | None]]:
    """(target, state, due as Berlin "DD HH:MM") for each clock."""
    return [
        (clock.target, clock.state, clock.due.astimezone(BERLIN).strftime("%d %H:%M") if clock.due else None)
        for clock in clocks
    ]


def run(
    messages: list[tuple[datetime, bool]],
    now: datetime,
    statuses: list[tuple[datetime, Status]] | None = None,
    policy: SlaPolicy = POLICY,
    calendar: BusinessCalendar | None = OFFICE,
) -> list[tuple[SlaTarget, SlaState, str | None]]:
    return summary(sla_clocks(policy, messages, statuses or [], calendar, now))


# -- first response ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "now", "expected"),
    [
        ([customer(at(6, 10)), agent(at(6, 11, 30))], at(6, 12), (KEPT, "06 12:00")),
        ([customer(at(6, 10)), agent(at(6, 12))], at(6, 12), (KEPT, "06 12:00")),  # right on time
        ([customer(at(6, 10)), agent(at(6, 12, 30))], at(6, 13), (BROKEN, "06 12:00")),
        ([customer(at(6, 10))], at(6, 11), (RUNNING, "06 12:00")),
        ([customer(at(6, 10))], at(6, 11, 40), (AT_RISK, "06 12:00")),  # 75% of the allowance used
        ([customer(at(6, 10))], at(6, 12, 1), (BROKEN, "06 12:00")),
        ([customer(at(6, 10)), customer(at(6, 10, 30)), agent(at(6, 11))], at(6, 12), (KEPT, "06 12:00")),
        # Friday afternoon: the weekend does not count.
        ([customer(at(10, 16))], at(11, 12), (RUNNING, "13 10:00")),
        ([customer(at(10, 16)), agent(at(13, 9, 30))], at(13, 12), (KEPT, "13 10:00")),
        ([customer(at(10, 16)), agent(at(13, 10, 30))], at(13, 12), (BROKEN, "13 10:00")),
        # A customer writing on Saturday waits for the Monday opening.
        ([customer(at(11, 12))], at(12, 20), (RUNNING, "13 11:00")),
        # Whit Monday is a holiday.
        ([customer(at(17, 16))], at(20, 12), (RUNNING, "21 10:00")),
        # Written after closing time: the clock starts the next morning.
        ([customer(at(6, 22))], at(7, 9, 30), (RUNNING, "07 11:00")),
    ],
)
def test_first_response(
    messages: list[tuple[datetime, bool]], now: datetime, expected: tuple[SlaState, str]
) -> None:
    first = run(messages, now)[0]
    assert first[0] is FIRST
    assert first[1:] == expected


def test_pending_pauses_the_clock() -> None:
    messages = [customer(at(6, 9))]
    statuses = [(at(6, 10), Status.PENDING), (at(6, 13), Status.ACTIVE)]
    assert run(messages, at(6, 12), statuses)[0] == (FIRST, PAUSED, None)
    assert run(messages, at(6, 13, 15), statuses)[0] == (FIRST, RUNNING, "06 14:00")
    no_pause = SlaPolicy("strict", first_response=timedelta(hours=2), pause_while_pending=False)
    assert run(messages, at(6, 12), statuses, no_pause) == [(FIRST, BROKEN, "06 11:00")]


def test_a_paused_clock_that_had_already_run_out_stays_broken() -> None:
    statuses = [(at(6, 12), Status.PENDING)]
    assert run([customer(at(6, 9))], at(6, 15), statuses)[0] == (FIRST, BROKEN, "06 11:00")


def test_a_customer_message_ends_a_pending_pause() -> None:
    messages = [customer(at(6, 9)), customer(at(6, 13))]
    statuses = [(at(6, 10), Status.PENDING)]
    assert run(messages, at(6, 13, 15), statuses)[0] == (FIRST, RUNNING, "06 14:00")


def test_closing_without_a_reply_ends_the_wait() -> None:
    clocks = sla_clocks(POLICY, [customer(at(6, 10))], [(at(6, 10, 30), Status.CLOSED)], OFFICE, at(8, 12))
    assert summary(clocks) == [(FIRST, KEPT, "06 12:00"), (RESOLUTION, KEPT, "08 10:00")]
    assert clocks[0].stopped == at(6, 10, 30)
    assert clocks[0].elapsed == timedelta(minutes=30)


# -- next response and resolution ----------------------------------------------------------


def test_each_customer_turn_gets_a_next_response_clock() -> None:
    messages = [
        customer(at(6, 9)),
        agent(at(6, 9, 30)),
        customer(at(6, 10)),
        agent(at(6, 15)),  # four hours allowed: due 14:00
        customer(at(6, 16)),
    ]
    assert run(messages, at(7, 10)) == [
        (FIRST, KEPT, "06 11:00"),
        (NEXT, BROKEN, "06 14:00"),
        (NEXT, RUNNING, "07 12:00"),  # 16:00-17:00 and 09:00-10:00 used
        (RESOLUTION, RUNNING, "07 17:00"),
    ]


def test_a_conversation_we_started_has_no_first_response() -> None:
    messages = [agent(at(6, 9)), customer(at(6, 10))]
    assert run(messages, at(6, 11)) == [(NEXT, RUNNING, "06 14:00"), (RESOLUTION, RUNNING, "08 10:00")]
    assert run([agent(at(6, 9))], at(6, 11)) == []


def test_resolution_is_kept_or_broken_by_the_close() -> None:
    messages = [customer(at(6, 10)), agent(at(6, 11))]
    assert run(messages, at(9, 12), [(at(8, 9, 30), Status.CLOSED)])[-1] == (RESOLUTION, KEPT, "08 10:00")
    assert run(messages, at(9, 12), [(at(8, 11), Status.CLOSED)])[-1] == (RESOLUTION, BROKEN, "08 10:00")


def test_a_reopened_conversation_resumes_its_resolution_clock() -> None:
    messages = [customer(at(6, 10)), agent(at(6, 11)), customer(at(7, 10))]
    statuses = [(at(6, 12), Status.CLOSED)]
    clocks = sla_clocks(POLICY, messages, statuses, OFFICE, at(7, 11))
    assert summary(clocks) == [
        (FIRST, KEPT, "06 12:00"),
        (NEXT, RUNNING, "07 14:00"),
        (RESOLUTION, RUNNING, "08 16:00"),  # 2 h on Monday, 1 h on Tuesday, 13 h to go
    ]
    assert clocks[-1].elapsed == timedelta(hours=3)
    assert clocks[-1].remaining == timedelta(hours=13)


def test_a_customer_message_at_the_moment_of_closing_does_not_reopen() -> None:
    messages = [customer(at(6, 10)), agent(at(6, 11)), customer(at(6, 12))]
    statuses = [(at(6, 12), Status.CLOSED)]
    assert run(messages, at(7, 12), statuses)[-1] == (RESOLUTION, KEPT, "08 10:00")


def test_pending_time_does_not_count_towards_resolution() -> None:
    messages = [customer(at(6, 10)), agent(at(6, 11))]
    statuses = [(at(6, 11), Status.PENDING), (at(7, 11), Status.ACTIVE)]
    assert run(messages, at(7, 12), statuses)[-1] == (RESOLUTION, RUNNING, "09 10:00")


def test_spam_has_no_clocks_and_a_policy_without_targets_has_none_either() -> None:
    assert run([customer(at(6, 10))], at(6, 11), [(at(6, 10, 30), Status.SPAM)]) == []
    assert run([customer(at(6, 10))], at(6, 11), policy=SlaPolicy("none")) == []


def test_broken_clocks_show_how_far_over_they_are() -> None:
    policy = SlaPolicy("p", first_response=timedelta(hours=2))
    [first] = sla_clocks(policy, [customer(at(6, 10))], [], OFFICE, at(6, 13))
    assert first.state is BROKEN
    assert first.remaining == -timedelta(hours=1)


def test_risk_fraction_is_configurable() -> None:
    eager = SlaPolicy("eager", first_response=timedelta(hours=2), risk_fraction=0.25)
    assert run([customer(at(6, 10))], at(6, 10, 30), policy=eager) == [(FIRST, AT_RISK, "06 12:00")]
    assert run([customer(at(6, 10))], at(6, 10, 20), policy=eager) == [(FIRST, RUNNING, "06 12:00")]


# -- time zones and clock changes --------------------------------------------------------------


def test_calendar_time_across_the_new_york_spring_forward() -> None:
    policy = SlaPolicy("24/7", first_response=timedelta(hours=24), business_hours=False)
    sent = datetime(2024, 3, 9, 12, 0, tzinfo=NEW_YORK)  # EST
    now = datetime(2024, 3, 10, 12, 30, tzinfo=NEW_YORK)  # EDT: 23.5 real hours later
    [clock] = sla_clocks(policy, [customer(sent)], [], None, now)
    assert clock.due == datetime(2024, 3, 10, 13, 0, tzinfo=NEW_YORK)
    assert clock.state is AT_RISK
    assert clock.elapsed == timedelta(hours=23, minutes=30)


def test_business_hours_across_the_berlin_spring_forward() -> None:
    policy = SlaPolicy("p", first_response=timedelta(hours=2))
    [first] = sla_clocks(policy, [customer(at(29, 16, month=3))], [], OFFICE, at(1, 9, 30, month=4))
    assert first.due == at(1, 10, month=4)
    assert first.due.astimezone(UTC) == datetime(2024, 4, 1, 8, 0, tzinfo=UTC)  # CEST now
    assert first.state is AT_RISK  # 1 h on Friday and 30 min on Monday


def test_business_hours_across_the_new_york_fall_back() -> None:
    office = BusinessCalendar.weekdays("America/New_York")
    sent = datetime(2024, 11, 1, 16, 0, tzinfo=NEW_YORK)  # Friday, EDT
    now = datetime(2024, 11, 4, 9, 30, tzinfo=NEW_YORK)  # Monday, EST
    policy = SlaPolicy("p", first_response=timedelta(hours=2))
    [first] = sla_clocks(policy, [customer(sent)], [], office, now)
    assert first.due == datetime(2024, 11, 4, 10, 0, tzinfo=NEW_YORK)
    assert first.due.astimezone(UTC) == datetime(2024, 11, 4, 15, 0, tzinfo=UTC)


def test_times_come_back_in_the_zone_of_now() -> None:
    utc_messages = [customer(at(6, 10).astimezone(UTC))]
    policy = SlaPolicy("p", first_response=timedelta(hours=2))
    [clock] = sla_clocks(policy, utc_messages, [], OFFICE, at(6, 11).astimezone(NEW_YORK))
    assert clock.due is not None and clock.due.tzinfo == NEW_YORK
    assert clock.due == at(6, 12)
    assert clock.started == at(6, 10)


def test_a_business_hours_policy_needs_a_calendar() -> None:
    with pytest.raises(ValueError, match="no calendar"):
        sla_clocks(POLICY, [customer(at(6, 10))], [], None, at(6, 11))


# -- policies -----------------------------------------------------------------------------------


VIP = SlaPolicy("vip", first_response=timedelta(hours=1), match=SlaMatch(tags=frozenset({"VIP"})))
ENTERPRISE = SlaPolicy(
    "enterprise", first_response=timedelta(hours=2), match=SlaMatch(customer_domains=frozenset({"acme.com"}))
)
URGENT = SlaPolicy(
    "urgent", first_response=timedelta(minutes=30), match=SlaMatch(priorities=frozenset({"urgent"}))
)
BOTH = SlaPolicy(
    "vip-enterprise",
    first_response=timedelta(minutes=15),
    match=SlaMatch(tags=frozenset({"vip"}), customer_domains=frozenset({"acme.com"})),
)
DEFAULT = SlaPolicy("default", first_response=timedelta(hours=8))


@pytest.mark.parametrize(
    ("policies", "tags", "priority", "domain", "expected"),
    [
        ([VIP, ENTERPRISE, URGENT, DEFAULT], {"vip"}, None, "example.com", "vip"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], {"Vip", "billing"}, None, None, "vip"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], set(), None, "acme.com", "enterprise"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], set(), None, "eu.ACME.com", "enterprise"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], set(), None, "notacme.com", "default"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], set(), "Urgent", None, "urgent"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], {"vip"}, "urgent", "acme.com", "vip"),  # the first match wins
        ([URGENT, VIP], {"vip"}, "urgent", None, "urgent"),
        ([VIP, ENTERPRISE, URGENT, DEFAULT], set(), None, None, "default"),
        ([VIP, ENTERPRISE, URGENT], set(), None, None, None),
        ([BOTH, DEFAULT], {"vip"}, None, "example.com", "default"),  # every criterion must hold
        ([BOTH, DEFAULT], {"vip"}, None, "acme.com", "vip-enterprise"),
        ([], {"vip"}, None, None, None),
    ],
)
def test_choose_policy(
    policies: list[SlaPolicy], tags: set[str], priority: str | None, domain: str | None, expected: str | None
) -> None:
    chosen = choose_policy(policies, tags, priority, domain)
    assert (chosen.name if chosen else None) == expected


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": " "}, "needs a name"),
        ({"name": "p", "first_response": timedelta(0)}, "first_response must be longer than zero"),
        ({"name": "p", "resolution": -timedelta(hours=1)}, "resolution must be longer than zero"),
        ({"name": "p", "risk_fraction": 0.0}, "risk_fraction"),
        ({"name": "p", "risk_fraction": 1.5}, "risk_fraction"),
    ],
)
def test_policies_that_cannot_be_right_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlaPolicy(**arguments)  # type: ignore[arg-type]


# -- promises -----------------------------------------------------------------------------------

PROMISE = Promise(
    id="p1",
    anchor="reply-1@acme.example",
    text="I'll get back to you by Friday.",
    due=at(10, 17),
    created_at=at(6, 10),
    author="cy@acme.example",
)


@pytest.mark.parametrize(
    ("promise", "replies", "resolved", "now", "expected"),
    [
        (PROMISE, [at(8, 12)], None, at(8, 13), PromiseState.KEPT),
        (PROMISE, [at(10, 17)], None, at(11, 9), PromiseState.KEPT),  # right on time
        (PROMISE, [at(10, 17, 1)], None, at(11, 9), PromiseState.BROKEN),
        (PROMISE, [], None, at(9, 12), PromiseState.OPEN),
        (PROMISE, [], None, at(10, 17), PromiseState.OPEN),
        (PROMISE, [], None, at(10, 17, 1), PromiseState.BROKEN),
        (PROMISE, [at(6, 10)], None, at(8, 12), PromiseState.OPEN),  # the reply that made the promise
        (PROMISE, [at(6, 9)], None, at(11, 9), PromiseState.BROKEN),  # an older reply
        (PROMISE, [], at(9, 12), at(11, 9), PromiseState.KEPT),  # resolved in time
        (PROMISE, [], at(11, 9), at(11, 10), PromiseState.BROKEN),
        (PROMISE, [at(13, 9), at(8, 9)], None, at(13, 10), PromiseState.KEPT),  # any order
    ],
)
def test_promise_outcome(
    promise: Promise,
    replies: list[datetime],
    resolved: datetime | None,
    now: datetime,
    expected: PromiseState,
) -> None:
    assert promise_outcome(promise, replies, resolved, now) is expected


def _with(**changes: Any) -> Promise:
    return replace(PROMISE, **changes)


def test_a_dropped_promise_stays_dropped() -> None:
    dropped = _with(state=PromiseState.DROPPED, settled_at=at(7, 9))
    assert promise_outcome(dropped, [at(8, 12)], None, at(11, 9)) is PromiseState.DROPPED


def test_marking_a_promise_done_keeps_it_only_when_done_in_time() -> None:
    done_in_time = _with(state=PromiseState.KEPT, settled_at=at(9, 12))
    assert promise_outcome(done_in_time, [], None, at(11, 9)) is PromiseState.KEPT
    done_late = _with(state=PromiseState.KEPT, settled_at=at(11, 9))
    assert promise_outcome(done_late, [], None, at(11, 10)) is PromiseState.BROKEN


def test_promise_outcome_compares_real_time_across_the_fall_back() -> None:
    # 27 October 2024 in Berlin: 02:00-03:00 happens twice. Due at the first 02:30 (CEST);
    # the reply at the second 02:15 (CET) is later in real time though earlier on the clock.
    due = datetime(2024, 10, 27, 2, 30, fold=0, tzinfo=BERLIN)
    reply = datetime(2024, 10, 27, 2, 15, fold=1, tzinfo=BERLIN)
    promise = _with(due=due, created_at=at(25, 10, month=10))
    assert reply.astimezone(UTC) > due.astimezone(UTC)
    assert promise_outcome(promise, [reply], None, at(28, 9, month=10)) is PromiseState.BROKEN


def test_promise_times_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _with(due=datetime(2024, 5, 10, 17))
