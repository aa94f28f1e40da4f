"""Business hours: opening times, working time across weekends, holidays, time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.domain.business_hours import BusinessCalendar, CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# 2024-05-06 is a Monday; 2024-05-09 (Ascension Day) is a holiday in Berlin.
OFFICE = BusinessCalendar("Europe/Berlin", {d: [("09:00", "17:00")] for d in range(5)}, {date(2024, 5, 9)})
LUNCH = BusinessCalendar(
    "Europe/Berlin", {"mon": [("09:00", "12:00"), ("13:00", "17:30")], "Tuesday": [("10:00", "14:00")]}
)
ALWAYS_BERLIN = BusinessCalendar.always_open("Europe/Berlin")
ALWAYS_NEW_YORK = BusinessCalendar.always_open("America/New_York")


def berlin(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=BERLIN)


def new_york(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=NEW_YORK)


# -- construction ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "hours", "message"),
    [
        ("Mars/Olympus", {0: [("09:00", "17:00")]}, "unknown time zone"),
        ("../../etc/passwd", {0: [("09:00", "17:00")]}, "unknown time zone"),
        ("UTC", {0: [("9am", "17:00")]}, "not a time of day"),
        ("UTC", {0: [("09:00", "24:30")]}, "not a time of day"),
        ("UTC", {0: [("09:60", "17:00")]}, "not a time of day"),
        ("UTC", {0: [("17:00", "09:00")]}, "ends before it starts"),
        ("UTC", {0: [("22:00", "02:00")]}, "must be split"),
        ("UTC", {0: [("09:00", "13:00"), ("12:00", "17:00")]}, "overlap"),
        ("UTC", {"funday": [("09:00", "17:00")]}, "not a weekday"),
        ("UTC", {7: [("09:00", "17:00")]}, "not a weekday"),
        ("UTC", {}, "at least one day"),
        ("UTC", {5: []}, "at least one day"),
    ],
)
def test_a_calendar_that_cannot_be_right_is_refused(
    timezone: str, hours: dict[int | str, list[tuple[str, str]]], message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(timezone, hours)


def test_touching_periods_are_joined_and_weekday_names_are_understood() -> None:
    joined = BusinessCalendar("UTC", {"MON": [("13:00", "17:00"), ("09:00", "13:00")], "monday": []})
    assert joined == BusinessCalendar("UTC", {0: [("09:00", "17:00")]})
    assert hash(joined) == hash(BusinessCalendar("UTC", {0: [("09:00", "17:00")]}))
    assert "mon" in repr(joined) and "09:00-17:00" in repr(joined)


def test_calendars_with_different_holidays_differ() -> None:
    assert BusinessCalendar.weekdays("UTC") != BusinessCalendar.weekdays("UTC", holidays=[date(2024, 12, 25)])


def test_only_a_calendar_open_around_the_clock_without_holidays_is_continuous() -> None:
    assert ALWAYS_BERLIN.continuous
    assert not OFFICE.continuous
    assert not BusinessCalendar(
        "UTC", {d: [("00:00", "24:00")] for d in range(7)}, [date(2024, 1, 1)]
    ).continuous


# -- days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "opening", "closing"),
    [
        (date(2024, 5, 6), berlin(6, 9), berlin(6, 17)),  # Monday
        (date(2024, 5, 9), None, None),  # holiday
        (date(2024, 5, 11), None, None),  # Saturday
    ],
)
def test_opening_and_closing_times(day: date, opening: datetime | None, closing: datetime | None) -> None:
    assert OFFICE.opening_time(day) == opening
    assert OFFICE.closing_time(day) == closing
    assert OFFICE.is_business_day(day) == (opening is not None)


def test_periods_are_wall_times_in_the_calendar_zone() -> None:
    assert LUNCH.periods(date(2024, 5, 6)) == [
        (berlin(6, 9), berlin(6, 12)),
        (berlin(6, 13), berlin(6, 17, 30)),
    ]
    assert all(start.tzinfo == BERLIN for start, _ in LUNCH.periods(date(2024, 5, 6)))


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2024, 5, 6), 0, date(2024, 5, 6)),  # a business day itself
        (date(2024, 5, 6), 1, date(2024, 5, 7)),
        (date(2024, 5, 8), 1, date(2024, 5, 10)),  # skips the holiday
        (date(2024, 5, 10), 1, date(2024, 5, 13)),  # skips the weekend
        (date(2024, 5, 11), 0, date(2024, 5, 13)),  # Saturday: the next business day
        (date(2024, 5, 11), 1, date(2024, 5, 13)),
        (date(2024, 5, 11), 2, date(2024, 5, 14)),
        (date(2024, 5, 6), 5, date(2024, 5, 14)),
    ],
)
def test_add_business_days(day: date, count: int, expected: date) -> None:
    assert OFFICE.add_business_days(day, count) == expected


def test_business_days_cannot_be_counted_backwards() -> None:
    with pytest.raises(CalendarError):
        OFFICE.add_business_days(date(2024, 5, 6), -1)


# -- moments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open", "next_open"),
    [
        (berlin(6, 9), True, berlin(6, 9)),
        (berlin(6, 8, 59), False, berlin(6, 9)),
        (berlin(6, 16, 59), True, berlin(6, 16, 59)),
        (berlin(6, 17), False, berlin(7, 9)),  # closing time itself is closed
        (berlin(8, 18), False, berlin(10, 9)),  # Wednesday evening, Thursday is a holiday
        (berlin(10, 17, 30), False, berlin(13, 9)),  # Friday evening
        (berlin(11, 12), False, berlin(13, 9)),  # Saturday
        (
            datetime(2024, 5, 6, 7, 30, tzinfo=UTC),
            True,
            datetime(2024, 5, 6, 7, 30, tzinfo=UTC),
        ),  # 09:30 Berlin
        (datetime(2024, 5, 6, 6, 0, tzinfo=UTC), False, datetime(2024, 5, 6, 7, 0, tzinfo=UTC)),
    ],
)
def test_is_open_and_next_open(moment: datetime, is_open: bool, next_open: datetime) -> None:
    assert OFFICE.is_open(moment) is is_open
    assert OFFICE.next_open(moment) == next_open
    assert OFFICE.next_open(moment).tzinfo == moment.tzinfo


def test_the_lunch_break_is_closed() -> None:
    assert not LUNCH.is_open(berlin(6, 12, 30))
    assert LUNCH.next_open(berlin(6, 12, 30)) == berlin(6, 13)
    assert LUNCH.next_open(berlin(6, 17, 30)) == berlin(7, 10)


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [
        (OFFICE, berlin(6, 10), timedelta(hours=2), berlin(6, 12)),
        (OFFICE, berlin(6, 15), timedelta(hours=2), berlin(6, 17)),  # ends exactly at closing time
        (OFFICE, berlin(6, 16, 30), timedelta(hours=2), berlin(7, 10, 30)),
        (OFFICE, berlin(10, 16, 30), timedelta(hours=2), berlin(13, 10, 30)),  # over the weekend
        (OFFICE, berlin(8, 16), timedelta(hours=2), berlin(10, 10)),  # over the holiday
        (OFFICE, berlin(11, 12), timedelta(hours=1), berlin(13, 10)),  # starts on Saturday
        (OFFICE, berlin(6, 7), timedelta(hours=8), berlin(6, 17)),  # starts before opening
        (OFFICE, berlin(6, 10), timedelta(hours=40), berlin(14, 10)),  # a working week and a bit
        (OFFICE, berlin(11, 12), timedelta(0), berlin(11, 12)),  # nothing to add
        (LUNCH, berlin(6, 11), timedelta(hours=2), berlin(6, 14)),  # skips lunch
        (LUNCH, berlin(6, 17), timedelta(hours=1), berlin(7, 10, 30)),
        (ALWAYS_BERLIN, berlin(11, 12), timedelta(hours=30), berlin(12, 18)),
    ],
)
def test_add_business_time(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert calendar.add_business_time(start, duration) == expected


def test_add_business_time_answers_in_the_zone_of_the_start() -> None:
    start = new_york(5, 6, 10)  # 16:00 in Berlin
    result = OFFICE.add_business_time(start, timedelta(hours=2))
    assert result == berlin(7, 10)
    assert result.tzinfo == NEW_YORK
    assert (result.hour, result.minute) == (4, 0)


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        (berlin(6, 10), berlin(6, 12), timedelta(hours=2)),
        (berlin(6, 7), berlin(6, 20), timedelta(hours=8)),
        (berlin(10, 16), berlin(13, 10), timedelta(hours=2)),  # over the weekend
        (berlin(8, 16), berlin(10, 10), timedelta(hours=2)),  # over the holiday
        (berlin(11, 8), berlin(12, 20), timedelta(0)),  # a weekend holds no business time
        (berlin(13, 10), berlin(10, 16), -timedelta(hours=2)),  # the other way round
        (berlin(6, 9), berlin(13, 9), timedelta(hours=32)),  # a week with a holiday
        (datetime(2024, 5, 6, 8, tzinfo=UTC), new_york(5, 6, 6), timedelta(hours=2)),  # 10:00 to 12:00 Berlin
    ],
)
def test_business_time_between(earlier: datetime, later: datetime, expected: timedelta) -> None:
    assert OFFICE.business_time_between(earlier, later) == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: OFFICE.add_business_time(datetime(2024, 5, 6, 10), timedelta(hours=1)), "timezone-aware"),
        (lambda: OFFICE.is_open(datetime(2024, 5, 6, 10)), "timezone-aware"),
        (lambda: OFFICE.business_time_between(datetime(2024, 5, 6, 10), berlin(6, 11)), "timezone-aware"),
        (lambda: OFFICE.add_business_time(berlin(6, 10), timedelta(hours=-1)), "negative"),
        (lambda: OFFICE.add_business_time(berlin(6, 10), timedelta(days=100_000)), "limited"),
    ],
)
def test_moments_and_spans_the_calendar_cannot_handle(call: object, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        call()  # type: ignore[operator]


# -- daylight saving time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "earlier", "later", "expected"),
    [
        # Berlin springs forward on 2024-03-31 at 02:00 and falls back on 2024-10-27 at 03:00.
        (ALWAYS_BERLIN, berlin(30, 12, month=3), berlin(31, 12, month=3), timedelta(hours=23)),
        (ALWAYS_BERLIN, berlin(26, 12, month=10), berlin(27, 12, month=10), timedelta(hours=25)),
        # New York springs forward on 2024-03-10 and falls back on 2024-11-03, both at 02:00.
        (ALWAYS_NEW_YORK, new_york(3, 9, 12), new_york(3, 10, 12), timedelta(hours=23)),
        (ALWAYS_NEW_YORK, new_york(11, 2, 12), new_york(11, 3, 12), timedelta(hours=25)),
        # A whole calendar day counts its real length.
        (ALWAYS_BERLIN, berlin(31, 0, month=3), berlin(1, 0, month=4), timedelta(hours=23)),
        (ALWAYS_NEW_YORK, new_york(11, 3, 0), new_york(11, 4, 0), timedelta(hours=25)),
    ],
)
def test_calendar_time_across_a_clock_change(
    calendar: BusinessCalendar, earlier: datetime, later: datetime, expected: timedelta
) -> None:
    assert calendar.business_time_between(earlier, later) == expected
    assert calendar.add_business_time(earlier, expected) == later


NIGHT_SHIFT_BERLIN = BusinessCalendar("Europe/Berlin", {"sun": [("01:00", "04:00")]})
NIGHT_SHIFT_NEW_YORK = BusinessCalendar("America/New_York", {"sun": [("00:00", "03:00")]})


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (NIGHT_SHIFT_BERLIN, date(2024, 3, 24), timedelta(hours=3)),  # an ordinary Sunday
        (NIGHT_SHIFT_BERLIN, date(2024, 3, 31), timedelta(hours=2)),  # 02:00-03:00 does not exist
        (NIGHT_SHIFT_BERLIN, date(2024, 10, 27), timedelta(hours=4)),  # 02:00-03:00 happens twice
        (NIGHT_SHIFT_NEW_YORK, date(2024, 3, 10), timedelta(hours=2)),
        (NIGHT_SHIFT_NEW_YORK, date(2024, 11, 3), timedelta(hours=4)),
    ],
)
def test_opening_hours_that_span_a_clock_change(
    calendar: BusinessCalendar, day: date, expected: timedelta
) -> None:
    start = datetime.combine(day, datetime.min.time(), tzinfo=calendar.zone)
    assert calendar.business_time_between(start, start + timedelta(days=1)) == expected


def test_office_hours_keep_their_wall_times_after_the_clocks_change() -> None:
    # Friday before the Berlin switch (CET, UTC+1) to the Monday after it (CEST, UTC+2).
    due = OFFICE.add_business_time(berlin(29, 16, month=3), timedelta(hours=2))
    assert due == berlin(1, 10, month=4)
    assert due.astimezone(UTC) == datetime(2024, 4, 1, 8, tzinfo=UTC)
    new_york_office = BusinessCalendar.weekdays("America/New_York")
    due = new_york_office.add_business_time(new_york(11, 1, 16), timedelta(hours=2))
    assert due == new_york(11, 4, 10)
    assert due.astimezone(UTC) == datetime(2024, 11, 4, 15, tzinfo=UTC)


def test_a_calendar_open_only_in_the_skipped_hour_still_opens_in_other_weeks() -> None:
    calendar = BusinessCalendar("Europe/Berlin", {"sun": [("02:00", "03:00")]})
    assert calendar.periods(date(2024, 3, 31)) == []
    assert calendar.next_open(berlin(30, 12, month=3)) == berlin(7, 2, month=4)


# -- properties ---------------------------------------------------------------------------

CALENDARS = [OFFICE, LUNCH, ALWAYS_NEW_YORK, NIGHT_SHIFT_BERLIN]
moments = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2025, 12, 31),
    timezones=st.sampled_from([UTC, BERLIN, NEW_YORK]),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@given(st.sampled_from(CALENDARS), moments, durations)
def test_adding_business_time_and_measuring_it_agree(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add_business_time(start, duration)
    assert end.astimezone(UTC) >= start.astimezone(UTC)  # within one zone, Python compares wall times
    assert calendar.business_time_between(start, end) == duration


@given(st.sampled_from(CALENDARS), moments)
def test_next_open_is_open_and_nothing_before_it_is(calendar: BusinessCalendar, moment: datetime) -> None:
    opening = calendar.next_open(moment)
    assert opening.astimezone(UTC) >= moment.astimezone(UTC)  # within one zone, Python compares wall times
    assert calendar.is_open(opening)
    assert calendar.business_time_between(moment, opening) == timedelta(0)


def _walked(calendar: BusinessCalendar, earlier: datetime, later: datetime) -> timedelta:
    """Business time by walking every local date: slow, obviously right."""
    first, last = earlier.astimezone(UTC), later.astimezone(UTC)
    total, day = timedelta(), calendar.local(first).date()
    while day <= calendar.local(last).date():
        for start, end in calendar.periods(day):
            overlap = min(end.astimezone(UTC), last) - max(start.astimezone(UTC), first)
            total += max(overlap, timedelta())
        day += timedelta(days=1)
    return total


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=800 * 24 * 60),
    span=st.integers(min_value=0, max_value=500 * 24 * 60),
    then_earlier=st.integers(min_value=0, max_value=900 * 24 * 60),
)
def test_long_spans_count_the_same_as_walking_every_day(start: int, span: int, then_earlier: int) -> None:
    calendar = BusinessCalendar(
        "Europe/Berlin",
        {
            "mon": [("09:00", "12:00"), ("13:00", "17:30")],
            "tue": [("09:00", "17:00")],
            "sat": [("00:00", "24:00")],
        },
        holidays=[date(2025, 12, 25), date(2026, 4, 6), date(2026, 3, 31)],
    )
    origin = datetime(2025, 1, 1, tzinfo=UTC)
    earlier = origin + timedelta(minutes=start)
    later = earlier + timedelta(minutes=span)
    assert calendar.business_time_between(earlier, later) == _walked(calendar, earlier, later)
    # A question further back than any before moves the running totals' base; answers stay right.
    sooner = origin - timedelta(minutes=then_earlier)
    assert calendar.business_time_between(sooner, later) == _walked(calendar, sooner, later)
