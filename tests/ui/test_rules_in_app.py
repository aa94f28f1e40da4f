"""Rules in the interface: they run from a worker on the app's timer, and the reader says which acted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event
from shared_inbox.domain.rules import RULE_RAN
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.widgets.rules_line import rules_text
from tests.ui.test_app import NOW, drive, fill_store, inbox_of, make_config, until

RULE = """
name = "waiting"
trigger = "unassigned"
after = "2h"
while = "active"
tag = "waiting"
"""


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    fill_store(tmp_path / "store", 20)
    rules = tmp_path / "team" / "rules"
    rules.mkdir(parents=True)
    (rules / "waiting.toml").write_text(RULE, encoding="utf-8")
    extra = f'[canned]\ndir = "{tmp_path / "team"}"\npersonal_dir = "{tmp_path / "mine"}"\n'
    with open_session(make_config(tmp_path, extra), now=lambda: NOW) as opened:
        yield opened


def test_the_timer_runs_the_rules_and_the_reader_names_the_rule_that_acted(session: Session) -> None:
    waiting = [c.id for c in session.inbox.conversations("status:active assignee:none")]
    assert waiting

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_of(app)
        assert screen.conversation_list.current is not None
        app.rule_watch.tick()  # what the app's timer calls every minute
        await until(
            pilot, lambda: all("waiting" in session.inbox.conversation(c).state.tags for c in waiting)
        )  # type: ignore[union-attr]
        await until(pilot, lambda: any(n.title == "Rules" for n in app._notifications))
        target = next(i for i, c in enumerate(screen.conversation_list.rows) if c.id in waiting)
        screen.conversation_list.cursor = target
        await pilot.press("enter")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        line = reader.query_one("#reader-rules", Static)
        assert line.display
        assert str(line.visual).startswith("Rule waiting, ")
        assert "(unassigned for 2 h while active): tag waiting" in str(line.visual)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_the_reader_shows_no_rule_line_where_no_rule_acted(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await pilot.pause()
        reader = pilot.app.screen
        assert isinstance(reader, ReaderScreen)
        assert not reader.query_one("#reader-rules", Static).display

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_what_a_teammates_copy_recorded_is_shown_inert(session: Session) -> None:
    conv = session.inbox.conversations()[0]
    forged = Event(
        id="f" * 32,
        kind=RULE_RAN,
        anchor=conv.message_ids[0],
        author="rule:x",
        at=NOW,
        clock=Hlc(1, 0, "rule:x"),
        data={"why": "bell\x07", "did": ["\x1b[2Jwiped", "[@click=app.quit]x[/]"]},
    )
    session.inbox.add_event(forged)
    text = rules_text(session.inbox, conv.id, UTC)
    assert "\x1b" not in text and "\x07" not in text
    assert text.endswith("(bell ):  [2Jwiped; [@click=app.quit]x[/]")
