"""The moments English time phrases name: the conventions behind promised due times and typed snoozes.

Phrases are resolved in one of two modes. As a *deadline* ("I'll reply by Friday") a
day without a time of day means its close of business; as a *wake-up* time ("snooze
until Friday") it means its opening. All times are wall times in the calendar's zone:

- "today", "end of day", "EOD", "COB", "close of business": today's closing time, or
  midnight once that has passed (or when the team does not work today).
- "tomorrow": the next business day; "the day after tomorrow": the business day after.
- "<weekday>": its next occurrence after today, a week ahead when it is today; "this
  <weekday>": on or after today; "next <weekday>": the one in next week (weeks start on Monday).
- "this week", "end of the week", "by the weekend": the last business day of this week.
  "next week": its last business day as a deadline, its first as a wake-up time;
  "early next week": its second business day as a deadline. Months alike.
- "3 December", "December 3rd", "the 5th", "2024-12-03": that date; without a year the
  next such date on or after today.
- Parts of the day: morning 10:00, noon 12:00, afternoon 15:00, evening 19:00, night and
  tonight 21:00. "first thing": the opening time. An hour without am/pm after a day
  ("tomorrow at 3") from 1 to 7 is read as afternoon.
- "before <day>": the start of that day (00:00). A bare time ("by 3pm") is today, or on
  the next business day once it has passed.
- Durations of calendar time ("within 24 hours", "in 2 weeks") are added exactly; business
  hours are counted with the calendar; "N business days" is the N-th business day after today.
- When the team does not work on a named day: closing 17:00, opening 09:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from shared_inbox.domain.business_hours import BusinessCalendar, CalendarError
from shared_inbox.domain.time_phrases import Clock, Day, Duration, Phrase

__all__ = ["DEFAULT_CLOSE", "DEFAULT_OPEN", "default_calendar", "resolve"]

DEFAULT_OPEN = (9, 0)
DEFAULT_CLOSE = (17, 0)


def default_calendar(moment: datetime) -> BusinessCalendar:
    """Monday to Friday, 09:00 to 17:00, in the zone of ``moment``."""
    return BusinessCalendar.weekdays(moment.tzinfo or "UTC")


def resolve(phrase: Phrase, now: datetime, calendar: BusinessCalendar, *, deadline: bool) -> datetime | None:
    """The moment a phrase names, seen from ``now``, in the calendar's zone; ``None`` for a date that
    does not exist."""
    try:
        moment = _moment(phrase, now.astimezone(UTC), calendar, deadline=deadline)
    except (CalendarError, OverflowError, ValueError):
        return None
    return moment.astimezone(calendar.zone) if moment is not None else None


def _moment(phrase: Phrase, now: datetime, calendar: BusinessCalendar, *, deadline: bool) -> datetime | None:
    # ``now`` is in UTC: aware datetimes sharing a zone compare by wall time, which misorders a clock change.
    today = calendar.local(now).date()
    if phrase.duration is not None:
        return _after(phrase.duration, now, calendar, deadline=deadline)
    if phrase.day is None:
        clock = phrase.clock or DEFAULT_CLOSE
        moment = _at(calendar, today, clock)
        return moment if moment > now else _at(calendar, calendar.add_business_days(today, 1), clock)
    day = _date_of(phrase.day, today, calendar, deadline=deadline)
    if day is None:
        return None
    if phrase.clock is not None:
        return _at(calendar, day, phrase.clock)
    if phrase.first_thing:
        return _opening(calendar, day)
    if phrase.lead == "before":
        return _at(calendar, day, (0, 0))
    if phrase.day.kind == "today" or phrase.end_of_day:
        closing = _closing(calendar, day)
        return closing if closing > now else _at(calendar, day, (24, 0))
    return _closing(calendar, day) if deadline else _opening(calendar, day)


# -- resolving -----------------------------------------------------------------------


def _after(duration: Duration, now: datetime, calendar: BusinessCalendar, *, deadline: bool) -> datetime:
    amount, unit = duration.amount, duration.unit
    if duration.business and unit == "day":
        day = calendar.add_business_days(calendar.local(now).date(), amount)
        return _closing(calendar, day) if deadline else _opening(calendar, day)
    if duration.business:
        return calendar.add_business_time(now, timedelta(**{unit + "s": amount}))
    if unit == "month":
        local = calendar.local(now)
        month_index = local.month - 1 + amount
        year, month = local.year + month_index // 12, month_index % 12 + 1
        same_day = date(year, month, min(local.day, _days_in(year, month)))
        return datetime.combine(same_day, local.time(), tzinfo=calendar.zone)
    return now + timedelta(**{unit + "s": amount})  # in UTC, so exact elapsed time


def _date_of(spec: Day, today: date, calendar: BusinessCalendar, *, deadline: bool) -> date | None:
    if spec.kind == "today":
        return today
    if spec.kind == "business_day":
        return calendar.add_business_days(today, spec.value)
    if spec.kind == "weekday":
        if spec.which == "this":
            return today + timedelta(days=(spec.value - today.weekday()) % 7)
        if spec.which == "next":
            return today + timedelta(days=7 - today.weekday() + spec.value)
        return today + timedelta(days=(spec.value - today.weekday() - 1) % 7 + 1)
    if spec.kind == "date":
        return _calendar_date(spec, today)
    if spec.kind == "month_day":
        return _month_day(spec.value, today)
    if spec.kind == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7 if spec.which == "next" else 0)
        days = [monday + timedelta(days=offset) for offset in range(7)]
        if spec.which == "this" and not deadline:
            days = [day for day in days if day > today]
        return _pick(days, calendar, spec.part, deadline) or monday + timedelta(days=4)
    if spec.kind == "month":
        first = today.replace(day=1)
        if spec.which == "next":
            first = (first + timedelta(days=32)).replace(day=1)
        days = [first + timedelta(days=offset) for offset in range(_days_in(first.year, first.month))]
        return _pick(days, calendar, spec.part, deadline) or days[-1]
    return None


def _pick(days: list[date], calendar: BusinessCalendar, part: str, deadline: bool) -> date | None:
    """The business day of a week or month that a phrase points at."""
    open_days = [day for day in days if calendar.is_business_day(day)]
    if not open_days:
        return None
    if part == "early":
        return open_days[min(1, len(open_days) - 1)] if deadline else open_days[0]
    return open_days[-1] if deadline or part == "end" else open_days[0]


def _calendar_date(spec: Day, today: date) -> date | None:
    if spec.year is not None:
        return date(spec.year, spec.month, spec.value)
    for year in range(today.year, today.year + 9):
        if spec.value <= _days_in(year, spec.month):
            candidate = date(year, spec.month, spec.value)
            if candidate >= today:
                return candidate
    return None


def _month_day(day: int, today: date) -> date | None:
    year, month = today.year, today.month
    for _ in range(13):
        if day <= _days_in(year, month) and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _days_in(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def _at(calendar: BusinessCalendar, day: date, clock: Clock) -> datetime:
    hour, minute = clock
    if hour == 24:
        day, hour = day + timedelta(days=1), 0
    return datetime.combine(day, time(hour, minute), tzinfo=calendar.zone)


def _closing(calendar: BusinessCalendar, day: date) -> datetime:
    return calendar.closing_time(day) or _at(calendar, day, DEFAULT_CLOSE)


def _opening(calendar: BusinessCalendar, day: date) -> datetime:
    opening = calendar.opening_time(day)
    if opening is None or opening.time() == time(0, 0):
        return _at(calendar, day, DEFAULT_OPEN)
    return opening
