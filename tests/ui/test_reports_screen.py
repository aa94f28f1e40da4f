"""The Reports screen under Pilot: it opens at once, fills in from a worker, and keys switch what it shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from shared_inbox.config import load_config
from shared_inbox.domain.metrics import Breakdown, Period
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.reports import ReportsScreen
from tests.ui.test_app import drive, until
from tests.unit.report_store import at, write_config

NOW = at("2026-03-08 20:00")  # the Sunday ending the known week


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with open_session(load_config(write_config(tmp_path), {}), now=lambda: NOW) as opened:
        yield opened


def reports_screen(pilot: Pilot[None]) -> ReportsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


def test_reports_open_from_the_list_and_switch_with_keys(session: Session) -> None:
    app = InboxApp(session, sync=False, now=lambda: NOW)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("R")
        screen = reports_screen(pilot)  # at once; the figures follow from a worker
        await until(pilot, lambda: screen.report is not None)
        report = screen.report
        assert report is not None
        assert report.period == Period(at("2026-03-02 12:00").date(), at("2026-03-08 12:00").date())
        assert report.summary.conversations_created == 4 and report.previous is not None
        assert [row.agent for row in report.agents] == [
            "alice@example.com",
            "bob@example.com",
            "unattributed",
        ]

        await pilot.press("b")  # by agent
        await until(pilot, lambda: screen.report is not None and screen.report.by is Breakdown.AGENT)
        await pilot.pause()
        await pilot.press("b")  # by tag
        await until(pilot, lambda: screen.report is not None and screen.report.by is Breakdown.TAG)
        assert [key for key, _ in screen.report.breakdown] == ["vip", "(none)"]

        await pilot.press("p")  # 30 days, ending on the same day
        await until(pilot, lambda: screen.report is not None and len(screen.report.days) == 30)
        await pilot.press("left_square_bracket")  # the 30 days before: nothing happened then
        await until(
            pilot, lambda: screen.report is not None and screen.report.period.last.isoformat() == "2026-02-06"
        )
        assert screen.report.summary.conversations_created == 0

        await pilot.press("h")
        await until(pilot, lambda: screen.report is not None and screen.report.hours == "calendar")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)

    drive(app, scenario)


def test_the_palette_offers_reports(session: Session) -> None:
    from shared_inbox.ui.palette import KeyActionsProvider

    app = InboxApp(session, sync=False, now=lambda: NOW)

    async def scenario(pilot: Pilot[None]) -> None:
        provider = KeyActionsProvider(app.screen)
        assert "reports" in [command.spec.id for command in provider.available_commands()]

    drive(app, scenario)
