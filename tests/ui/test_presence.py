"""Presence in the app: a teammate's viewing or replying shows in the list and the reader, then expires."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from shared_inbox.domain.presence import Presence
from shared_inbox.services.presence import PRESENCE_TTL
from shared_inbox.services.session import Session
from shared_inbox.team.presence import new_note
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.widgets import presence_badges
from shared_inbox.ui.widgets.presence_badges import PresenceArrived
from tests.ui.test_app import NOW, drive, inbox_of, session, visible_text

__all__ = ["session"]  # the fixture, shared with the app tests

BOB = "bob@example.com"


def reader_presence(reader: ReaderScreen) -> str | None:
    line = reader.query_one("#reader-presence", Static)
    return str(line.visual) if line.display else None


def test_a_teammates_presence_shows_in_list_and_reader_and_goes_after_the_ttl(session: Session) -> None:
    clock = [NOW]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        listing = inbox_of(app).conversation_list
        conv = listing.rows[0]
        assert "✎Bob" not in visible_text(listing)
        note = new_note(BOB, [Presence(conv.message_ids[0], "replying")], clock[0], PRESENCE_TTL)
        app.post_message(PresenceArrived([note]))
        await pilot.pause()
        assert listing.presence == {conv.id: "✎Bob"}
        assert "✎Bob" in visible_text(listing).splitlines()[0]
        await pilot.press("enter")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.conversation.id == conv.id
        app.presence.tick()
        assert reader_presence(reader) == "✎ Bob Agent is replying"
        clock[0] += PRESENCE_TTL - timedelta(seconds=1)
        app.presence.tick()
        assert reader_presence(reader) == "✎ Bob Agent is replying"  # still within its TTL
        clock[0] += timedelta(seconds=2)
        app.presence.tick()
        assert reader_presence(reader) is None
        await pilot.press("q")
        await pilot.pause()
        assert listing.presence == {}
        assert "✎Bob" not in visible_text(listing)

    drive(InboxApp(session, sync=False, now=lambda: clock[0]), scenario)


def test_a_newer_note_replaces_the_older_one_and_an_empty_note_clears(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        listing = inbox_of(app).conversation_list
        first, second = listing.rows[0], listing.rows[1]
        viewing = new_note(BOB, [Presence(first.message_ids[0], "viewing")], NOW, PRESENCE_TTL)
        later = NOW + timedelta(seconds=5)
        moved = new_note(BOB, [Presence(second.message_ids[0], "viewing")], later, PRESENCE_TTL)
        app.post_message(PresenceArrived([moved, viewing]))  # arrival order does not matter
        await pilot.pause()
        assert listing.presence == {second.id: "◉Bob"}
        app.post_message(PresenceArrived([new_note(BOB, [], NOW + timedelta(seconds=9), PRESENCE_TTL)]))
        await pilot.pause()
        assert listing.presence == {}

    drive(InboxApp(session, sync=False, now=lambda: NOW + timedelta(seconds=10)), scenario)


def test_the_agents_own_reader_and_composer_become_presence_to_publish(session: Session) -> None:
    clock = [NOW]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = inbox_of(app).conversation_list.rows[0]
        app.presence.tick()
        assert app.team.presence.take(clock[0]) is None  # nothing open, nothing to say
        await pilot.press("enter")
        await pilot.pause()
        app.presence.tick()
        note = app.team.presence.take(clock[0])
        assert note is not None and note.entries == (Presence(conv.message_ids[0], "viewing"),)
        app.presence.tick()
        assert app.team.presence.take(clock[0]) is None  # unchanged: no second message
        await pilot.press("r")
        await pilot.pause()
        app.presence.tick()
        note = app.team.presence.take(clock[0])
        assert note is not None and note.entries == (Presence(conv.message_ids[0], "replying"),)
        clock[0] += timedelta(seconds=30)
        app.presence.tick()
        refreshed = app.team.presence.take(clock[0])  # still true: refreshed before it expires
        assert refreshed is not None and refreshed.entries == note.entries
        assert refreshed.expires_at > clock[0]

    drive(InboxApp(session, sync=False, now=lambda: clock[0]), scenario)


def test_the_screens_report_what_the_agent_does_at_once_without_a_tick(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the once-a-second tick out of the way, only the screens' own reports can say anything."""
    monkeypatch.setattr(presence_badges, "PRESENCE_TICK", 3600.0)
    clock = [NOW]

    def said(app: InboxApp) -> tuple[Presence, ...] | None:
        clock[0] += timedelta(seconds=1)
        note = app.team.presence.take(clock[0])
        return note.entries if note is not None else None

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        listing = inbox_of(app).conversation_list
        first, second = listing.rows[2], listing.rows[3]
        listing.move_cursor(2)
        await pilot.press("enter")
        await pilot.pause()
        assert said(app) == (Presence(first.message_ids[0], "viewing"),)
        await pilot.press("r")
        await pilot.pause()
        assert said(app) == (Presence(first.message_ids[0], "replying"),)
        await pilot.press("escape")  # the composer closes; the reader under it is back on top
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert said(app) == (Presence(first.message_ids[0], "viewing"),)
        await pilot.press("c")  # closed: the reader moves on to the next conversation
        await pilot.pause()
        assert said(app) == (Presence(second.message_ids[0], "viewing"),)
        await pilot.press("q")
        await pilot.pause()
        assert said(app) == ()  # back on the list: nothing any more, said at once

    drive(InboxApp(session, sync=False, now=lambda: clock[0]), scenario)
