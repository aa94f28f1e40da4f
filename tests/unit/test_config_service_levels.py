"""The [canned], [business_hours] and [[sla]] sections: read into domain types, mistakes named."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.config import ConfigError, parse_config
from shared_inbox.domain.sla import SlaMatch
from tests.unit.test_config import build


def parsed(extra: str, tmp_path: Path | None = None):  # type: ignore[no-untyped-def]
    return parse_config(build(extra=extra), env={"HOME": "/home/ann"}, base_dir=tmp_path)


def problems(extra: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parsed(extra)
    return [f"{p.path}: {p.message} {p.hint or ''}" for p in caught.value.problems]


def test_defaults_are_weekdays_nine_to_five_with_no_policies(tmp_path: Path) -> None:
    config = parsed("", tmp_path)
    assert config.sla == ()
    assert config.canned.team_dir is None
    calendar = config.business_hours.calendar()
    monday_noon = datetime(2026, 11, 23, 12, tzinfo=calendar.zone)
    saturday_noon = datetime(2026, 11, 28, 12, tzinfo=calendar.zone)
    assert calendar.is_open(monday_noon) and not calendar.is_open(saturday_noon)


def test_a_full_service_level_setup_is_read(tmp_path: Path) -> None:
    config = parsed(
        """
[canned]
dir = "team-replies"
personal_dir = "~/my-replies"

[business_hours]
timezone = "Europe/Berlin"
hours = { mon = "09:00-17:00", tue = ["08:00-12:00", "13:00-17:00"], saturday = "10:00-14:00" }
holidays = ["2026-12-25"]

[[sla]]
name = "vip"
first_response = "1h"
resolution = "1d"
customer_domains = ["bigcorp.example"]
business_hours = false
risk_percent = 50

[[sla]]
name = "standard"
first_response = "4h"
next_response = "1h30m"
pause_while_pending = false
""",
        tmp_path,
    )
    assert config.canned.team_dir == tmp_path / "team-replies"
    assert config.canned.personal_dir == Path("/home/ann/my-replies")
    hours = config.business_hours
    assert hours.timezone == "Europe/Berlin" and hours.holidays == (date(2026, 12, 25),)
    calendar = hours.calendar()
    tuesday_half_past_twelve = datetime(2026, 11, 24, 12, 30, tzinfo=calendar.zone)
    assert not calendar.is_open(tuesday_half_past_twelve)
    assert calendar.is_open(datetime(2026, 11, 28, 11, tzinfo=calendar.zone))
    assert not calendar.is_open(datetime(2026, 12, 25, 10, tzinfo=calendar.zone))
    vip, standard = config.sla
    assert vip.name == "vip" and vip.first_response == timedelta(hours=1)
    assert vip.resolution == timedelta(days=1) and vip.next_response is None
    assert not vip.business_hours and vip.risk_fraction == 0.5
    assert vip.match == SlaMatch(customer_domains=frozenset({"bigcorp.example"}))
    assert standard.next_response == timedelta(hours=1, minutes=30)
    assert standard.business_hours and not standard.pause_while_pending
    assert standard.match.matches((), None, "anyone.example")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[business_hours]\ntimezone = "Europe/Berln"\n', "Europe/Berlin"),
        ('[business_hours]\nhours = { mnday = "09:00-17:00" }\n', "not a weekday"),
        ('[business_hours]\nhours = { mon = "9 to 5" }\n', "not a range"),
        ('[business_hours]\nhours = { mon = "17:00-09:00" }\n', "hours"),
        ('[business_hours]\nholidays = ["25.12.2026"]\n', "not a date"),
        ('[[sla]]\nname = "x"\nfirst_response = "soon"\n', "not a duration"),
        ('[[sla]]\nname = "x"\n', "at least one of"),
        ('[[sla]]\nfirst_response = "4h"\n', "missing required key 'name'"),
        ('[[sla]]\nname = "x"\nfirst_respons = "4h"\n', "first_response"),
        ('[[sla]]\nname = "x"\nfirst_response = "4h"\n[[sla]]\nname = "x"\nresolution = "2d"\n', "two SLA"),
        ('[canned]\ndirectory = "x"\n', "dir"),
        ('[bussiness_hours]\ntimezone = "UTC"\n', "business_hours"),
    ],
)
def test_mistakes_are_named(extra: str, expected: str) -> None:
    found = problems(extra)
    assert any(expected in line for line in found), found
