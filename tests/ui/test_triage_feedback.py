"""Every triage key says what it did, to which conversation, and which key takes it back.

A change made without a word is one the agent cannot check: closing the wrong conversation
must be visible at once, with the way back.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, TextPrompt
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.ui.test_app import NOW, drive, fill_store, inbox_of, make_config, session

__all__ = ["session"]


def last_notice(pilot: Pilot[None]) -> str:
    notes = list(pilot.app._notifications)
    assert notes, "nothing was said"
    return notes[-1].message


def app_for(session: Session) -> InboxApp:
    return InboxApp(session, sync=False, now=lambda: NOW)


async def pick_first(pilot: Pilot[None]) -> None:
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoicePrompt)
    await pilot.press("enter")
    await pilot.pause()


async def type_answer(pilot: Pilot[None], text: str) -> None:
    await pilot.pause()
    assert isinstance(pilot.app.screen, TextPrompt)
    await pilot.press(*text, "enter")
    await pilot.pause()


def test_each_triage_key_names_the_change_the_conversation_and_the_undo_key(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        steps: list[tuple[str, str, bool]] = [  # key, what it says, whether it may be undone with U
            ("m", "Assigned to you", True),
            ("u", "Unassigned", True),
            ("A", "Assigned to bob", True),
            ("t", "Tagged billing", True),
            ("T", "Removed tag billing", True),
            ("M", "Marked read", False),
            ("p", "Pending", True),
        ]
        for key, said, undoable in steps:
            target = listing.current
            assert target is not None
            await pilot.press(key)
            if key in "AT":
                if key == "A":
                    await pilot.pause()
                    await pilot.press("down")  # Bob, the second member
                await pick_first(pilot)
            elif key == "t":
                await type_answer(pilot, "billing")
            notice = last_notice(pilot)
            assert said in notice, (key, notice)
            assert target.subject[:20] in notice, (key, notice)
            assert ("U undoes" in notice) is undoable, (key, notice)
            if key == "M":
                assert "M undoes" in notice  # the same key marks it unread again
        # pending took it off the list; U brings it back and says so
        await pilot.press("U")
        assert "Undone" in last_notice(pilot) and "Pending" in last_notice(pilot)
        for key, said in (("c", "Closed"), ("!", "Marked as spam")):
            target = listing.current
            assert target is not None
            await pilot.press(key)
            assert said in last_notice(pilot) and target.subject[:20] in last_notice(pilot)
            await pilot.press("U")
        await pilot.press("x", "x", "c")
        assert "Closed: 2 conversations" in last_notice(pilot)

    drive(app_for(session), scenario)


def test_the_undo_key_named_is_the_one_the_agent_bound(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 40)
    config = make_config(tmp_path, '[keys]\nundo = "ctrl+u"\n')
    with open_session(config, now=lambda: NOW) as opened:

        async def scenario(pilot: Pilot[None]) -> None:
            await pilot.press("c")
            assert "^u undoes" in last_notice(pilot)

        drive(app_for(opened), scenario)


def test_snoozing_in_the_reader_says_what_was_snoozed_before_moving_on(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        target = listing.current
        assert target is not None
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReaderScreen)
        await pilot.press("s")
        await pick_first(pilot)
        notice = last_notice(pilot)
        assert notice.startswith("Snoozed until") and target.subject[:20] in notice and "U undoes" in notice
        reader = pilot.app.screen
        assert isinstance(reader, ReaderScreen) and reader.conversation.id != target.id

    drive(app_for(session), scenario)


def test_r_in_the_list_replies_to_the_highlighted_conversation(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        await pilot.press("j", "j")
        target = listing.current
        assert target is not None
        await pilot.press("r")
        await pilot.pause()
        composer = pilot.app.screen
        assert isinstance(composer, ComposerScreen)
        assert composer.conversation is not None and composer.conversation.id == target.id
        assert composer.mode == "reply"

    drive(app_for(session), scenario)
