"""Business hours: when the team is at work, and how much working time lies between two moments.

SLA targets and promised due times are counted in working time, so "two business
hours" asked for on Friday at 16:30 falls due on Monday morning, not on Friday night.

Opening hours are wall-clock times in the team's time zone ("09:00" to "17:30" on
weekdays), so the instants they stand for move with daylight saving time: on the day
the clocks change a 00:00-24:00 day is 23 or 25 hours long. A wall time that does not
exist on such a day (02:30 when clocks spring forward) is read with the offset in force
before the change, which places it just after the jump. All arithmetic is done on UTC
instants; results come back in the time zone of the moment passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["WEEKDAYS", "BusinessCalendar", "CalendarError"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
# Business time added or measured at once; far beyond any SLA, it keeps a typo in a
# duration from walking the calendar for millennia.
MAX_SPAN = timedelta(days=3660)

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")

Period = tuple[datetime, datetime]


DAYS_KEPT_BEHIND = 400  # how far before the first date asked about the running totals start


class CalendarError(ValueError):
    """A calendar that cannot be right, or a moment it cannot handle; the message says which."""


class BusinessCalendar:
    """Opening hours per weekday in one time zone, minus holidays.

    ``hours`` maps a weekday (0 = Monday ... 6 = Sunday, or its English name or
    three-letter abbreviation) to ``(start, end)`` pairs of ``"HH:MM"`` wall times;
    ``"24:00"`` ends a period at midnight. Days left out are closed. ``holidays`` are
    local dates on which the team does not work at all.
    """

    __slots__ = (
        "timezone",
        "zone",
        "holidays",
        "_week",
        "_days",
        "_base",
        "_prefix",
        "_origin",
        "_continuous",
    )

    def __init__(
        self,
        timezone: str | tzinfo,
        hours: Mapping[int | str, Iterable[tuple[str, str]]],
        holidays: Iterable[date] = (),
    ) -> None:
        self.zone = _zone(timezone)
        self.timezone = timezone if isinstance(timezone, str) else str(timezone)
        self.holidays = frozenset(holidays)
        week: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
        for key, periods in hours.items():
            day = _weekday(key)
            week[day].extend(_period(start, end, WEEKDAYS[day]) for start, end in periods)
        self._week = tuple(_merged(periods, WEEKDAYS[day]) for day, periods in enumerate(week))
        if not any(self._week):
            raise CalendarError("business hours must open on at least one day of the week")
        # Caches: each local date's open periods, and running totals of business seconds per day
        # from `_base`, so long spans cost two lookups instead of a walk over every day.
        self._days: dict[date, list[Period]] = {}
        self._base: date | None = None
        self._prefix: list[float] = [0.0]
        self._origin: date | None = None  # where `position` counts from: the first date it was asked about
        self._continuous: bool | None = None

    @classmethod
    def always_open(cls, timezone: str | tzinfo = "UTC") -> BusinessCalendar:
        """Calendar time: every hour of every day counts (24/7 support)."""
        return cls(timezone, {day: [("00:00", "24:00")] for day in range(7)})

    @classmethod
    def weekdays(
        cls, timezone: str | tzinfo, start: str = "09:00", end: str = "17:00", holidays: Iterable[date] = ()
    ) -> BusinessCalendar:
        """The same hours Monday to Friday."""
        return cls(timezone, {day: [(start, end)] for day in range(5)}, holidays)

    @property
    def continuous(self) -> bool:
        """Whether every moment is business time, so business time is plain elapsed time."""
        return not self.holidays and all(periods == ((0, MINUTES_PER_DAY),) for periods in self._week)

    def __repr__(self) -> str:
        hours = {WEEKDAYS[day][:3]: [_text(p) for p in periods] for day, periods in enumerate(self._week)}
        return f"BusinessCalendar({self.timezone!r}, {hours}, holidays={sorted(self.holidays)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return (self.timezone, self._week, self.holidays) == (other.timezone, other._week, other.holidays)

    def __hash__(self) -> int:
        return hash((self.timezone, self._week, self.holidays))

    # -- days -------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """The moment as wall time in the calendar's zone."""
        return _aware(moment).astimezone(self.zone)

    def is_business_day(self, day: date) -> bool:
        return bool(self._periods(day))

    def periods(self, day: date) -> list[Period]:
        """The open periods of a local date, as wall times in the calendar's zone."""
        return [(start.astimezone(self.zone), end.astimezone(self.zone)) for start, end in self._periods(day)]

    def opening_time(self, day: date) -> datetime | None:
        """When the team starts work on ``day``; ``None`` on a closed day."""
        periods = self._periods(day)
        return periods[0][0].astimezone(self.zone) if periods else None

    def closing_time(self, day: date) -> datetime | None:
        """When the team stops work on ``day``; ``None`` on a closed day."""
        periods = self._periods(day)
        return periods[-1][1].astimezone(self.zone) if periods else None

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day``; with 0, ``day`` itself or the next business day."""
        if count < 0:
            raise CalendarError("cannot count business days backwards")
        found = day if self.is_business_day(day) else self._next_business_day(day)
        for _ in range(count if self.is_business_day(day) else max(count - 1, 0)):
            found = self._next_business_day(found)
        return found

    # -- moments ------------------------------------------------------------------

    def is_open(self, moment: datetime) -> bool:
        instant = _aware(moment).astimezone(UTC)
        return any(start <= instant < end for start, end in self._periods(self._local_date(instant)))

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when the team is at work then, else the next opening."""
        instant = _aware(moment).astimezone(UTC)
        for start, end in self._periods_from(self._local_date(instant)):
            if instant < end:
                return max(start, instant).astimezone(moment.tzinfo)
        raise AssertionError("unreachable: the calendar opens every week")  # pragma: no cover

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment by which ``duration`` of business time has passed since ``start``.

        Time outside business hours does not count, so the result is always inside (or at
        the end of) an open period. A zero duration gives ``start`` back unchanged.
        """
        _check_span(duration)
        instant = _aware(start).astimezone(UTC)
        if not duration:
            return start
        if self.continuous:
            return (instant + duration).astimezone(start.tzinfo)
        remaining = duration
        for period_start, period_end in self._periods_from(self._local_date(instant)):
            if period_end <= instant:
                continue
            begin = max(period_start, instant)
            if remaining <= period_end - begin:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= period_end - begin
        raise AssertionError("unreachable: the calendar opens every week")  # pragma: no cover

    def business_time_between(self, earlier: datetime, later: datetime) -> timedelta:
        """Business time from ``earlier`` to ``later``; negative when they come the other way round."""
        first, last = _aware(earlier).astimezone(UTC), _aware(later).astimezone(UTC)
        if last < first:
            return -self.business_time_between(later, earlier)
        _check_span(last - first)
        if self.continuous:
            return last - first
        first_day, last_day = self._local_date(first), self._local_date(last)
        total = self._overlap(first_day, first, last)
        if last_day > first_day:
            total += self._overlap(last_day, first, last)
            total += timedelta(seconds=self._whole_days(first_day + timedelta(days=1), last_day))
        return total

    def position(self, moment: datetime) -> float:
        """Business seconds from a fixed origin of this calendar to ``moment`` (negative before it).

        The difference of two positions is the business time between them, as
        :meth:`business_time_between` gives it; measuring many spans this way costs one
        lookup per moment instead of a walk per span (reports measure thousands).
        """
        instant = _aware(moment).astimezone(UTC)
        if self._continuous is None:
            self._continuous = self.continuous
        if self._continuous:
            return instant.timestamp()
        day = self._local_date(instant)
        if self._origin is None:
            self._origin = day
        if self._base is None or min(day, self._origin) < self._base:
            self._base = min(day, self._origin) - timedelta(days=DAYS_KEPT_BEHIND)
            self._prefix = [0.0]
        total = self._before(day) - self._before(self._origin)
        for start, end in self._periods(day):
            if instant <= start:
                break
            total += (min(instant, end) - start).total_seconds()
        return total

    def _overlap(self, day: date, first: datetime, last: datetime) -> timedelta:
        """Business time of one local date that falls between two instants."""
        total = timedelta()
        for start, end in self._periods(day):
            overlap = min(end, last) - max(start, first)
            if overlap > timedelta():
                total += overlap
        return total

    def _whole_days(self, start: date, stop: date) -> float:
        """Business seconds of the local dates from ``start`` up to, not including, ``stop``."""
        if self._base is None or start < self._base:
            self._base = start - timedelta(days=DAYS_KEPT_BEHIND)
            self._prefix = [0.0]
        return self._before(stop) - self._before(start)

    def _before(self, day: date) -> float:
        """Business seconds of all whole local dates from the running totals' base up to ``day``."""
        assert self._base is not None and day >= self._base
        offset = (day - self._base).days
        while len(self._prefix) <= offset:
            current = self._base + timedelta(days=len(self._prefix) - 1)
            seconds = sum((end - start).total_seconds() for start, end in self._periods(current))
            self._prefix.append(self._prefix[-1] + seconds)
        return self._prefix[offset]

    # -- internals ------------------------------------------------------------------

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def _periods(self, day: date) -> list[Period]:
        """Open periods of a local date as UTC instants; periods lost to a DST jump are dropped."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._compute_periods(day)
        return known

    def _compute_periods(self, day: date) -> list[Period]:
        if day in self.holidays:
            return []
        periods = []
        for start, end in self._week[day.weekday()]:
            begin, finish = self._instant(day, start), self._instant(day, end)
            if begin < finish:
                periods.append((begin, finish))
        return periods

    def _periods_from(self, day: date) -> Iterator[Period]:
        while True:
            yield from self._periods(day)
            day += timedelta(days=1)

    def _next_business_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self._periods(day):
            day += timedelta(days=1)
        return day

    def _instant(self, day: date, minutes: int) -> datetime:
        if minutes == MINUTES_PER_DAY:
            day, minutes = day + timedelta(days=1), 0
        wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone)
        return wall.astimezone(UTC)


def _zone(name: str | tzinfo) -> tzinfo:
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"unknown time zone {name[:60]!r}; use an IANA name like 'Europe/Berlin'"
        ) from None


def _weekday(key: int | str) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key < 7:
        return key
    if isinstance(key, str):
        name = key.strip().lower()
        for index, weekday in enumerate(WEEKDAYS):
            if name in (weekday, weekday[:3]):
                return index
    raise CalendarError(f"{key!r:.40} is not a weekday; use 0 (Monday) to 6 (Sunday) or a name like 'mon'")


def _minutes(text: str, weekday: str) -> int:
    match = _CLOCK.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is not None:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if (hours < 24 and minutes < 60) or (hours, minutes) == (24, 0):
            return hours * 60 + minutes
    raise CalendarError(f"{weekday}: {text!r:.40} is not a time of day like '09:00' or '17:30'")


def _period(start: str, end: str, weekday: str) -> tuple[int, int]:
    begin, finish = _minutes(start, weekday), _minutes(end, weekday)
    if begin >= finish:
        raise CalendarError(
            f"{weekday}: {start}-{end} ends before it starts; a period past midnight must be split"
            " into one ending at 24:00 and one starting at 00:00 the next day"
        )
    return begin, finish


def _merged(periods: list[tuple[int, int]], weekday: str) -> tuple[tuple[int, int], ...]:
    """Sorted periods; touching ones are joined, overlapping ones are a configuration mistake."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(periods):
        if merged and start < merged[-1][1]:
            raise CalendarError(f"{weekday}: {_text(merged[-1])} and {_text((start, end))} overlap")
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _text(period: tuple[int, int]) -> str:
    return "-".join(f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in period)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError("business time needs timezone-aware moments")
    return moment


def _check_span(span: timedelta) -> None:
    if span < timedelta():
        raise CalendarError("business time cannot be negative")
    if span > MAX_SPAN:
        raise CalendarError(f"business time spans are limited to {MAX_SPAN.days} days")
