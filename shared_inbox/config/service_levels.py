"""The `[canned]`, `[business_hours]` and `[[sla]]` sections: saved replies and the promises the team keeps.

Read in the same single validation pass as the rest of the file; the results are the
domain's own types (a `BusinessCalendar`, `SlaPolicy` objects), so nothing downstream
parses configuration again.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from shared_inbox.config.connections import FileContext
from shared_inbox.config.levels import DEFAULT_HOURS, CannedConfig, HoursConfig
from shared_inbox.config.reader import Table, did_you_mean
from shared_inbox.domain.business_hours import WEEKDAYS, BusinessCalendar, CalendarError
from shared_inbox.domain.sla import SlaMatch, SlaPolicy

CANNED_KEYS = frozenset({"dir", "personal_dir"})
HOURS_KEYS = frozenset({"timezone", "hours", "holidays"})
SLA_KEYS = frozenset(
    {
        "name",
        "first_response",
        "next_response",
        "resolution",
        "business_hours",
        "pause_while_pending",
        "tags",
        "priorities",
        "customer_domains",
        "risk_percent",
    }
)
DAY_NAMES = {name[:3].lower(): index for index, name in enumerate(WEEKDAYS)}
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def read_canned(root: Table, ctx: FileContext) -> CannedConfig:
    table = root.table("canned", CANNED_KEYS)
    team = table.optional_text("dir")
    personal = table.optional_text("personal_dir")
    return CannedConfig(
        team_dir=ctx.expand(team) if team else None,
        personal_dir=ctx.expand(personal) if personal else CannedConfig().personal_dir,
    )


def read_hours(root: Table) -> HoursConfig:
    table = root.table("business_hours", HOURS_KEYS)
    timezone = table.optional_text("timezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            hint = did_you_mean(timezone, available_timezones()) or 'an IANA name such as "Europe/Berlin"'
            table.problem("timezone", f"unknown time zone {timezone!r}", hint)
            timezone = None
    hours = _hours(table) if table.has("hours") else dict(DEFAULT_HOURS)
    holidays = _holidays(table)
    config = HoursConfig(timezone=timezone, hours=hours, holidays=holidays)
    try:
        BusinessCalendar("UTC", hours, holidays)
    except (CalendarError, ValueError) as exc:
        table.problem("hours", str(exc))
        config = HoursConfig(timezone=timezone, holidays=holidays)
    return config


def _hours(table: Table) -> dict[int | str, list[tuple[str, str]]]:
    """`hours = { mon = "09:00-17:00", sat = ["10:00-12:00", "13:00-15:00"] }`; days left out are closed."""
    raw = table.string_or_list_table("hours")
    hours: dict[int | str, list[tuple[str, str]]] = {}
    for name, ranges in raw.items():
        day = DAY_NAMES.get(name.lower()[:3]) if name.lower() in _day_spellings() else None
        if day is None:
            table.problem("hours", f"{name!r} is not a weekday", did_you_mean(name, list(DAY_NAMES)))
            continue
        for text in ranges:
            match = _RANGE.match(text)
            if not match:
                table.problem("hours", f'{name} = {text!r} is not a range like "09:00-17:00"')
                continue
            hours.setdefault(day, []).append((match.group(1).zfill(5), match.group(2).zfill(5)))
    return hours


def _day_spellings() -> set[str]:
    return {*DAY_NAMES, *(name.lower() for name in WEEKDAYS)}


def _holidays(table: Table) -> tuple[date, ...]:
    if not table.has("holidays"):
        return ()
    days: list[date] = []
    for text in table.text_list("holidays", ()):
        try:
            days.append(date.fromisoformat(text.strip()))
        except ValueError:
            table.problem("holidays", f"{text!r} is not a date like 2026-12-25")
    return tuple(days)


def read_sla(root: Table) -> tuple[SlaPolicy, ...]:
    """`[[sla]]` policies in the order written: the first that covers a conversation applies."""
    policies: list[SlaPolicy] = []
    names: set[str] = set()
    for table in root.tables("sla", SLA_KEYS):
        name = table.required_text("name", what='a name for reports, e.g. "standard" or "vip"')
        if name in names:
            table.problem("name", f"two SLA policies are called {name!r}")
        names.add(name)
        targets = {
            key: read_duration(table, key) for key in ("first_response", "next_response", "resolution")
        }
        if all(value is None for value in targets.values()):
            needed = "first_response, next_response, resolution"
            table.problem(None, f"an SLA policy needs at least one of {needed}")
            continue
        match = SlaMatch(
            tags=_word_set(table, "tags"),
            priorities=_word_set(table, "priorities"),
            customer_domains=_word_set(table, "customer_domains"),
        )
        if not name:
            continue
        policies.append(
            SlaPolicy(
                name=name,
                first_response=targets["first_response"],
                next_response=targets["next_response"],
                resolution=targets["resolution"],
                business_hours=table.flag("business_hours", True),
                pause_while_pending=table.flag("pause_while_pending", True),
                match=match,
                risk_fraction=table.integer("risk_percent", 75, minimum=1, maximum=100) / 100,
            )
        )
    return tuple(policies)


def _word_set(table: Table, key: str) -> frozenset[str]:
    return frozenset(table.text_list(key, ())) if table.has(key) else frozenset()


def read_duration(table: Table, key: str, examples: str = '"4h", "30m", "1h30m" or "2d"') -> timedelta | None:
    """ "4h", "30m", "1h30m" or "2d" (days of 24 counted hours); None when absent or wrong.

    `examples` are what the problem suggests writing instead, in the reader's own terms."""
    text = table.optional_text(key)
    if text is None:
        return None
    match = _DURATION.match(text.lower())
    if not match or not any(match.groups()):
        table.problem(key, f"{text!r} is not a duration", f"write e.g. {examples}")
        return None
    days, hours, minutes = (int(group or 0) for group in match.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    if span <= timedelta():
        table.problem(key, "must be longer than zero")
        return None
    return span
