"""Triage keys in the reader act on the open conversation, then move on as configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from shared_inbox.domain.model import Status
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import TextPrompt
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.ui.test_app import NOW, drive, fill_store, inbox_of, make_config, session

__all__ = ["session"]


async def open_row(pilot: Pilot[None], index: int) -> ReaderScreen:
    listing = inbox_of(pilot.app).conversation_list
    listing.move_cursor(index)
    await pilot.press("enter")
    await pilot.pause()
    reader = pilot.app.screen
    assert isinstance(reader, ReaderScreen)
    return reader


def test_closing_in_the_reader_moves_to_the_next_conversation(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        first, second = listing.rows[2], listing.rows[3]
        reader = await open_row(pilot, 2)
        assert reader.conversation.id == first.id
        await pilot.press("c")
        await pilot.pause()
        closed = session.inbox.conversation(first.id)
        assert closed is not None and closed.state.status is Status.CLOSED
        assert pilot.app.screen is reader and reader.conversation.id == second.id
        assert listing.current is not None and listing.current.id == second.id
        assert first.id not in {c.id for c in listing.rows}

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_tagging_in_the_reader_stays_and_updates_the_header(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        target = listing.rows[1]
        reader = await open_row(pilot, 1)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TextPrompt)
        await pilot.press(*"refund", "enter")
        await pilot.pause()
        assert pilot.app.screen is reader and reader.conversation.id == target.id
        state = session.inbox.conversation(target.id)
        assert state is not None and "refund" in state.state.tags
        header = str(reader.query_one("#reader-header").visual)
        assert "#refund" in header
        await pilot.press("U")  # undo from the reader
        await pilot.pause()
        state = session.inbox.conversation(target.id)
        assert state is not None and "refund" not in state.state.tags
        assert "#refund" not in str(reader.query_one("#reader-header").visual)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_cancelled_prompt_does_not_leave_the_list_acting_on_the_reader_conversation(
    session: Session,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        pinned = screen.conversation_list.rows[4]
        await open_row(pilot, 4)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("escape")  # cancel the tag prompt
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, InboxScreen)
        screen.conversation_list.move_cursor(0)
        other = screen.conversation_list.rows[0]
        await pilot.press("m")
        assert (c := session.inbox.conversation(other.id)) is not None and c.state.assignee is not None
        assert (p := session.inbox.conversation(pinned.id)) is not None and p.state.assignee is None

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


@pytest.mark.parametrize(("mode", "stays"), [("stay", True), ("list", False)])
def test_after_action_can_stay_or_go_back_to_the_list(tmp_path: Path, mode: str, stays: bool) -> None:
    fill_store(tmp_path / "store", 60)
    config = make_config(tmp_path, f'[interface]\nafter_action = "{mode}"\n')
    with open_session(config, now=lambda: NOW) as opened:

        async def scenario(pilot: Pilot[None]) -> None:
            target = inbox_of(pilot.app).conversation_list.rows[0]
            reader = await open_row(pilot, 0)
            await pilot.press("p")
            await pilot.pause()
            state = opened.inbox.conversation(target.id)
            assert state is not None and state.state.status is Status.PENDING
            if stays:
                assert pilot.app.screen is reader and reader.conversation.id == target.id
                assert "pending" in str(reader.query_one("#reader-header").visual)
            else:
                assert isinstance(pilot.app.screen, InboxScreen)

        drive(InboxApp(opened, sync=False, now=lambda: NOW), scenario)


def test_the_reader_triages_only_through_the_list_handed_to_it(session: Session) -> None:
    """A reader opened without the list does not go looking for one among the screens beneath it."""

    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        conv = listing.rows[2]
        reader = ReaderScreen(session, conv)  # not opened by the list: nothing handed down
        await pilot.app.push_screen(reader)
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        unchanged = session.inbox.conversation(conv.id)
        assert unchanged is not None and unchanged.state.status is conv.state.status
        assert pilot.app.screen is reader and reader.conversation.id == conv.id
        assert [n.message for n in pilot.app._notifications] == ["Triage needs the conversation list."]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
