"""`shared-inbox report` over a known week: JSON contract, CSV, tables, the plain digest, mistakes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from shared_inbox.cli import main, report_cmd
from shared_inbox.config import load_config
from shared_inbox.services.reports import ReportRequest, Reports, period_between
from shared_inbox.services.session import open_session
from tests.unit.report_store import ALICE, BOB, write_config

WEEK = ("--from", "2026-03-02", "--to", "2026-03-08")
HOUR = 3600.0


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def conversation_of(config: Path, message_id: str) -> str:
    with open_session(load_config(config, {})) as session:
        conv = session.inbox.conversation(message_id)
        assert conv is not None
        return conv.id


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["--config", str(config), "report", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_keeps_the_contract_keys_with_the_week_s_figures(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(config, capsys, *WEEK, "--json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["period"] == {"from": "2026-03-02", "to": "2026-03-08"}
    assert doc["hours"] == "business"
    volume = doc["volume"]
    # The spam is left out and Fay's out-of-office is not customer mail.
    assert (volume["conversations_created"], volume["customer_messages"], volume["replies"]) == (4, 4, 3)
    assert doc["first_response"]["count"] == 3
    assert (doc["first_response"]["median_seconds"], doc["first_response"]["p90_seconds"]) == (
        2 * HOUR,
        3 * HOUR,
    )
    assert [w["conversation"] for w in doc["first_response"]["waiting"]] == [
        conversation_of(config, "c5@customer.example")
    ]
    assert doc["first_response"]["waiting"][0]["age_seconds"] == 8 * HOUR  # Friday 09:00 to 17:00
    assert (doc["resolution"]["resolved"], doc["resolution"]["median_seconds"]) == (1, 2 * HOUR)
    assert set(doc["sla"]) >= {"kept", "broken"} and set(doc["promises"]) >= {
        "made",
        "kept",
        "broken",
        "open",
    }
    assert set(doc["satisfaction"]) >= {"ratings", "score"}
    agents = {row["agent"]: row for row in doc["agents"]}
    assert list(agents) == [ALICE, BOB, "unattributed"]
    assert {
        a: (r["replies"], r["first_response"]["median_seconds"], r["resolved"]) for a, r in agents.items()
    } == {
        ALICE: (1, HOUR, 1),
        BOB: (1, 3 * HOUR, 0),
        "unattributed": (1, 2 * HOUR, 0),
    }
    assert [day["backlog"] for day in doc["days"]] == [0, 1, 2, 2, 3, 3, 3]


def test_calendar_hours_and_a_comparison(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(config, capsys, *WEEK, "--json", "--hours", "calendar", "--compare")
    doc = json.loads(out)
    assert status == 0 and doc["hours"] == "calendar"
    assert doc["first_response"]["waiting"][0]["age_seconds"] == (2 * 24 + 15) * HOUR  # to Sunday's end
    assert doc["previous"]["period"] == {"from": "2026-02-23", "to": "2026-03-01"}
    assert doc["previous"]["volume"]["conversations_created"] == 0


def test_breakdown_by_agent_lists_the_agents(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(config, capsys, *WEEK, "--json", "--by", "agent")
    breakdown = json.loads(out)["breakdown"]
    assert breakdown["by"] == "agent"
    assert [(row["key"], row["replies"]) for row in breakdown["rows"]] == [
        (ALICE, 1),
        (BOB, 1),
        ("unattributed", 1),
    ]


def test_breakdown_by_tag(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(config, capsys, *WEEK, "--json", "--by", "tag")
    rows = json.loads(out)["breakdown"]["rows"]
    assert [(row["key"], row["volume"]["conversations_created"]) for row in rows] == [
        ("vip", 1),
        ("(none)", 3),
    ]


def test_csv_has_a_row_for_the_period_each_breakdown_row_and_each_agent(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(config, capsys, *WEEK, "--csv", "--by", "organisation")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0
    assert [(row["group"], row["key"]) for row in rows] == [
        ("total", "2026-03-02..2026-03-08"),
        ("organisation", "customer.example"),
        ("organisation", "other.example"),
        ("agent", ALICE),
        ("agent", BOB),
        ("agent", "unattributed"),
    ]
    assert rows[0]["first_response_median_seconds"] == "7200"


def test_piped_output_is_the_plain_digest(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(config, capsys, *WEEK)
    assert status == 0
    assert out.startswith("Support report 2026-03-02 to 2026-03-08 (business hours)\n")
    assert "First response (median)   2h (p90 3h, n=3)" in out
    assert "Still waiting for a first response: 1 (oldest 8h)" in out
    assert "\x1b" not in out and "│" not in out  # no colours, no box drawing: it pastes anywhere


def test_last_seven_days_is_the_default_digest(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(config, capsys, "--last", "7d", "--plain")
    assert status == 0
    assert out.startswith("Support report ") and "(business hours)" in out


def test_the_table_on_a_terminal(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    console = Console(record=True, width=100, force_terminal=True)
    with open_session(load_config(config, {})) as session:
        report = Reports(session, now=lambda: datetime.now(UTC)).report(
            ReportRequest(period_between("2026-03-02", "2026-03-08"), compare=True)
        )
    report_cmd.print_tables(report, console)
    text = console.export_text()
    assert "this period" in text and "period before" in text
    assert "By agent" in text and ALICE in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--last", "soon"), "is not a period like 7d or 4w"),
        (("--from", "2026-03-08", "--to", "2026-03-01"), "ends (2026-03-01) before it starts"),
        (("--from", "2026-03-01"), "--from and --to go together"),
        (("--from", "March", "--to", "2026-03-01"), "dates are written YYYY-MM-DD"),
    ],
)
def test_a_period_that_cannot_be_is_one_sentence(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    status, out, err = run(config, capsys, *args)
    assert status == 1 and out == ""
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
