"""Typed values of the `[canned]`, `[business_hours]` and `[automation]` sections."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from shared_inbox.domain.auto_reply import DEFAULT_WINDOW
from shared_inbox.domain.business_hours import BusinessCalendar

DEFAULT_HOURS: dict[int | str, list[tuple[str, str]]] = {day: [("09:00", "17:00")] for day in range(5)}


@dataclass(frozen=True, slots=True)
class CannedConfig:
    """Where saved replies live: the team's shared directory (optional) and this agent's own."""

    team_dir: Path | None = None
    personal_dir: Path = field(default_factory=lambda: platformdirs.user_data_path("shared-inbox") / "canned")


@dataclass(frozen=True, slots=True)
class HoursConfig:
    """Business hours; `timezone` None means the computer's own zone."""

    timezone: str | None = None
    hours: dict[int | str, list[tuple[str, str]]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    holidays: tuple[date, ...] = ()

    def calendar(self) -> BusinessCalendar:
        """The calendar SLA clocks and promise due times count in."""
        zone: tzinfo = ZoneInfo(self.timezone) if self.timezone else local_zone()
        return BusinessCalendar(zone, self.hours, self.holidays)


@dataclass(frozen=True, slots=True)
class AutomationConfig:
    """How mail sent on the team's behalf is limited: one automatic reply per address per window."""

    auto_reply_window: timedelta = DEFAULT_WINDOW


def local_zone() -> tzinfo:
    """The computer's time zone, with its daylight-saving rules when they can be found."""
    for name in (os.environ.get("TZ", "").lstrip(":"), _etc_timezone()):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    link = Path("/etc/localtime")
    if link.is_symlink() and "zoneinfo/" in str(link.resolve()):
        try:
            return ZoneInfo(str(link.resolve()).split("zoneinfo/", 1)[1])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo or UTC


def _etc_timezone() -> str:
    try:
        return Path("/etc/timezone").read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""
