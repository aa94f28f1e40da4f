"""First response, response per customer turn, and customer wait time, in business and calendar time."""

from __future__ import annotations

from datetime import date

import pytest

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.metrics import ConversationFacts, Period, compute_report, distribution, percentile
from shared_inbox.domain.model import Status
from tests.unit.metrics_support import ANA, BEN, CALENDAR, HOUR, at, facts

WEEK = Period(date(2026, 3, 2), date(2026, 3, 15))  # two weeks, Monday to Sunday
NOW = at("2026-03-20 12:00")


def report(conversations: list[ConversationFacts], *, business: bool = True, period: Period = WEEK):
    return compute_report(conversations, period, calendar=CALENDAR, business_hours=business, now=NOW)


@pytest.mark.parametrize(
    ("customer", "reply", "business", "expected"),
    [
        ("2026-03-02 10:00", "2026-03-02 11:30", True, 1.5 * HOUR),  # within one working day
        ("2026-03-06 16:00", "2026-03-09 10:00", True, 2 * HOUR),  # Friday to Monday: the weekend is off
        ("2026-03-06 16:00", "2026-03-09 10:00", False, 66 * HOUR),  # ... but counts in calendar hours
        ("2026-03-10 16:00", "2026-03-12 10:00", True, 2 * HOUR),  # the Wednesday holiday is off
        ("2026-03-07 12:00", "2026-03-07 13:00", True, 0.0),  # a Saturday exchange costs no business time
        (
            "2026-03-02 20:00",
            "2026-03-03 09:15",
            True,
            0.25 * HOUR,
        ),  # evening mail: the clock starts at 09:00
    ],
)
def test_first_response_time(customer: str, reply: str, business: bool, expected: float) -> None:
    result = report([facts("c1", ("c", customer), ("a", reply, ANA))], business=business)
    assert result.summary.first_response.count == 1
    assert result.summary.first_response.median == expected


def test_calendar_hours_across_the_spring_clock_change_count_real_time() -> None:
    # Clocks in Berlin jump from 02:00 to 03:00 on 29 March 2026: noon to noon is 23 hours.
    period = Period(date(2026, 3, 23), date(2026, 4, 5))
    conv = facts("c1", ("c", "2026-03-28 12:00"), ("a", "2026-03-29 12:00", ANA))
    result = report([conv], business=False, period=period)
    assert result.summary.first_response.median == 23 * HOUR
    always = BusinessCalendar.always_open("Europe/Berlin")
    in_business = compute_report([conv], period, calendar=always, business_hours=True, now=NOW)
    assert in_business.summary.first_response.median == 23 * HOUR


def test_days_are_local_days_across_the_clock_change() -> None:
    # 00:30 local on the morning after the change is 22:30 UTC the day before: it belongs to the 30th.
    period = Period(date(2026, 3, 28), date(2026, 3, 31))
    conv = facts("c1", ("c", "2026-03-30 00:30"))
    result = report([conv], period=period)
    created = {row.day: row.conversations_created for row in result.days}
    assert created == {date(2026, 3, 28): 0, date(2026, 3, 29): 0, date(2026, 3, 30): 1, date(2026, 3, 31): 0}


def test_conversations_the_team_started_have_no_first_response() -> None:
    started = facts(
        "c1", ("a", "2026-03-02 10:00", ANA), ("c", "2026-03-02 11:00"), ("a", "2026-03-02 12:00", ANA)
    )
    result = report([started])
    assert result.summary.first_response.count == 0
    assert result.summary.response.count == 1  # the customer's answer was a turn all the same


def test_notes_and_automatic_replies_are_not_responses() -> None:
    conv = facts(
        "c1",
        ("c", "2026-03-02 10:00"),
        ("auto", "2026-03-02 10:00"),  # the acknowledgement sent at once
        ("a", "2026-03-02 13:00", ANA),
        notes=["2026-03-02 10:30"],
    )
    result = report([conv])
    assert result.summary.first_response.median == 3 * HOUR
    assert result.summary.replies == 1
    assert result.summary.notes == 1


def test_machine_mail_neither_starts_a_turn_nor_counts_as_customer_mail() -> None:
    conv = facts(
        "c1",
        ("c", "2026-03-02 10:00"),
        ("a", "2026-03-02 11:00", ANA),
        ("m", "2026-03-02 11:01"),  # their out-of-office answering our reply
        ("c", "2026-03-03 10:00"),
        ("a", "2026-03-03 12:00", ANA),
    )
    result = report([conv])
    assert result.summary.customer_messages == 2
    assert result.summary.response.values == (1 * HOUR, 2 * HOUR)


def test_a_turn_starts_with_the_first_unanswered_customer_message() -> None:
    conv = facts(
        "c1",
        ("c", "2026-03-02 10:00"),
        ("c", "2026-03-02 11:00"),  # a second message while still waiting: same turn
        ("a", "2026-03-02 12:00", ANA),
        ("c", "2026-03-02 13:00"),
        ("a", "2026-03-02 13:30", BEN),
        ("a", "2026-03-02 14:00", BEN),  # a second reply answers nothing new
    )
    assert report([conv]).summary.response.values == (0.5 * HOUR, 2 * HOUR)


def test_a_close_ends_a_turn_without_a_response() -> None:
    conv = facts(
        "c1",
        ("c", "2026-03-02 10:00"),
        ("a", "2026-03-03 10:00", ANA),
        statuses=[("2026-03-02 12:00", Status.CLOSED)],
    )
    # The close came first: the later message is not the response to the turn it ended.
    assert report([conv]).summary.response.count == 0


def test_first_response_counts_in_the_period_its_reply_went_out() -> None:
    conv = facts("c1", ("c", "2026-03-13 16:00"), ("a", "2026-03-16 10:00", ANA))
    assert report([conv]).summary.first_response.count == 0
    waiting = report([conv], period=Period(date(2026, 3, 9), date(2026, 3, 15))).waiting
    assert [(w.conversation_id, w.age_seconds) for w in waiting] == [("c1", 1 * HOUR)]
    assert (
        report([conv], period=Period(date(2026, 3, 16), date(2026, 3, 22))).summary.first_response.count == 1
    )


def test_still_waiting_lists_open_conversations_only_with_their_age() -> None:
    waiting = facts("w1", ("c", "2026-03-13 15:00"))
    closed = facts("w2", ("c", "2026-03-13 15:00"), statuses=[("2026-03-13 15:30", Status.CLOSED)])
    answered = facts("w3", ("c", "2026-03-13 15:00"), ("a", "2026-03-13 15:30", ANA))
    result = report([waiting, closed, answered])
    assert [(w.conversation_id, w.age_seconds) for w in result.waiting] == [("w1", 2 * HOUR)]


def test_customer_wait_counts_active_time_only() -> None:
    conv = facts(
        "c1",
        ("c", "2026-03-02 09:00"),
        ("a", "2026-03-02 10:00", ANA),
        ("c", "2026-03-02 14:00"),
        ("a", "2026-03-02 15:00", ANA),
        statuses=[("2026-03-02 10:00", Status.PENDING), ("2026-03-02 15:00", Status.CLOSED)],
    )
    # Active 09-10 and 14-15; pending 10-14 (waiting on the customer) is not the customer's wait.
    assert report([conv]).summary.wait.values == (2 * HOUR,)


def test_snoozed_time_is_not_customer_wait() -> None:
    conv = facts(
        "c1",
        ("c", "2026-03-02 09:00"),
        snoozes=[("2026-03-02 10:00", "2026-03-02 16:00")],
        statuses=[("2026-03-02 17:00", Status.CLOSED)],
    )
    assert report([conv]).summary.wait.values == (2 * HOUR,)


def test_spam_is_left_out_of_every_figure() -> None:
    spam = facts("s1", ("c", "2026-03-02 10:00"), ("a", "2026-03-02 11:00", ANA), spam=True)
    result = report([spam])
    assert result.summary.conversations_created == 0
    assert result.summary.customer_messages == 0
    assert result.summary.replies == 0
    assert result.agents == ()
    assert sum(map(sum, result.busiest)) == 0


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([5.0], 5.0, 5.0),
        ([1.0, 3.0], 2.0, 3.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0], 5.5, 9.0),  # one outlier barely moves them
        ([float(n) for n in range(1, 22)], 11.0, 19.0),
    ],
)
def test_median_and_p90(values: list[float], median: float | None, p90: float | None) -> None:
    result = distribution(values)
    assert (result.count, result.median, result.p90) == (len(values), median, p90)
    assert percentile(tuple(sorted(values)), 0.5) == (
        None if not values else sorted(values)[(len(values) + 1) // 2 - 1]
    )


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2026-03-06 16:00", "2026-03-09 10:00"),  # a weekend
        ("2026-03-10 16:00", "2026-03-12 10:00"),  # a holiday
        ("2026-03-27 12:00", "2026-03-30 12:00"),  # the spring clock change
        ("2026-10-23 08:00", "2026-10-26 18:00"),  # the autumn one
        ("2025-01-01 00:00", "2026-03-02 09:30"),  # a long span, before the first position asked
        ("2026-03-02 11:00", "2026-03-02 10:00"),  # the other way round
    ],
)
def test_positions_measure_what_business_time_between_measures(earlier: str, later: str) -> None:
    calendar = BusinessCalendar.weekdays("Europe/Berlin", "09:00", "17:00", holidays=[date(2026, 3, 11)])
    calendar.position(at("2026-03-02 12:00"))  # the origin is wherever the first question was
    expected = calendar.business_time_between(at(earlier), at(later)).total_seconds()
    assert calendar.position(at(later)) - calendar.position(at(earlier)) == expected
