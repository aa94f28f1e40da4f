"""The TUI as a person sees it: SVG snapshots of each screen in the dark and the light theme.

The store is generated from a fixed seed and the clock is fixed, so the screens are the same on every run.
After an intended change to the look, regenerate every snapshot with one command and review the SVGs:

    /work/venv/bin/python -m pytest -q tests/ui/test_snapshots.py --snapshot-update

(any Python with the test extras works: `python -m pytest -q tests/ui/test_snapshots.py --snapshot-update`).
The snapshots live in tests/ui/__snapshots__/test_snapshots/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.help import HelpScreen
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.screens.reports import ReportsScreen
from tests.ui.test_app import NOW, fill_store, make_config, until

SIZE = (120, 34)
THEMES = ("shared-dark", "shared-light")
Scenario = Callable[[Pilot[None]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture(params=THEMES)
def themed_session(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    """A session over the fixed store, configured to start in the requested theme.

    The user's data directory is moved away, so a theme of the person running the tests never
    replaces a shipped one.
    """
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    fill_store(tmp_path / "store", 60)
    config = dataclasses.replace(make_config(tmp_path), theme=request.param)
    with open_session(config, now=lambda: NOW) as opened:
        yield opened


def steady_cursors(pilot: Pilot[None]) -> None:
    """A blinking cursor would make the picture depend on when it is taken."""
    for widget in pilot.app.screen.query("TextArea, Input"):
        if isinstance(widget, TextArea | Input):
            widget.cursor_blink = False


async def on_inbox(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j")
    await pilot.pause()
    assert isinstance(pilot.app.screen, InboxScreen)


async def on_reader(pilot: Pilot[None]) -> None:
    await pilot.press("j", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReaderScreen)


async def on_composer(pilot: Pilot[None]) -> None:
    await on_reader(pilot)
    await pilot.press("r")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ComposerScreen)
    steady_cursors(pilot)
    await pilot.press(*"Thanks for writing in.")
    await pilot.pause()


async def on_help(pilot: Pilot[None]) -> None:
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)


async def on_reports(pilot: Pilot[None]) -> None:
    await pilot.press("R")
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    await pilot.press("p", "p")  # 90 days: the generated mail spreads over weeks
    await until(pilot, lambda: screen.report is not None and len(screen.report.days) == 90)
    await pilot.pause()


@pytest.mark.parametrize(
    "scenario",
    [on_inbox, on_reader, on_composer, on_help, on_reports],
    ids=["inbox", "reader", "composer", "help", "reports"],
)
def test_screen_looks_as_approved(
    snap_compare: SnapCompare, themed_session: Session, scenario: Scenario
) -> None:
    app = InboxApp(themed_session, sync=False, now=lambda: NOW)
    assert snap_compare(app, terminal_size=SIZE, run_before=scenario)
    assert app.theme == themed_session.config.theme
