"""Quitting inside the undo window names what is still held and lets the agent send it now or keep it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from shared_inbox.outbox import Outbox, OutboxState
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt
from tests.ui.test_app import drive, inbox_of, session, until
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader

__all__ = ["session"]


async def reply_and_quit(pilot: Pilot[None], text: str) -> ChoicePrompt:
    app = pilot.app
    assert isinstance(app, InboxApp)
    await open_reader(pilot, answerable(app))
    composer = await open_composer(pilot)
    composer.query_one("#composer-body", TextArea).load_text(text)
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("ctrl+q")
    await pilot.pause()
    prompt = app.screen
    assert isinstance(prompt, ChoicePrompt)
    return prompt


def test_quit_in_the_undo_window_asks_and_keep_leaves_the_reply_held(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        prompt = await reply_and_quit(pilot, "Thanks, it is fixed.")
        [entry] = app.replies.outbox.entries()
        assert "still held for undo" in prompt.prompt_title and entry.subject in prompt.prompt_title
        assert [key for key, _ in prompt.choices] == ["send", "keep", "stay"]
        await pilot.press("escape")  # stay: nothing changes
        await pilot.pause()
        assert app.is_running and app.replies.outbox.get(entry.id).state is OutboxState.HELD
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("down", "enter")  # keep
        await until(pilot, lambda: app.return_code is not None)
        kept.append(entry.id)

    kept: list[str] = []
    drive(app_for(session), scenario)
    outbox = Outbox.open(session.store)
    try:
        assert [outbox.get(entry_id).state for entry_id in kept] == [OutboxState.HELD]
    finally:
        outbox.close()


@pytest.mark.integration
def test_send_now_delivers_the_held_reply_before_quitting(tmp_path: Path) -> None:
    from shared_inbox.demo import open_demo

    clock = [datetime.now(UTC)]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await until(pilot, lambda: app.last_sync is not None and bool(inbox_of(app).conversation_list.rows))
        await reply_and_quit(pilot, "On its way today.")
        [entry] = app.replies.outbox.entries()
        await pilot.press("enter")  # send now
        await until(pilot, lambda: app.return_code is not None, rounds=600)
        sent.append(entry.id)
        assert clock[0] < entry.release_at  # it left before its undo window was over

    sent: list[str] = []
    with open_demo(parent=tmp_path) as demo, open_session(demo.config) as opened:
        drive(InboxApp(opened, sync=True, now=lambda: clock[0]), scenario)
        outbox = Outbox.open(opened.store)
        try:
            assert [outbox.get(entry_id).state for entry_id in sent] == [OutboxState.SENT]
        finally:
            outbox.close()
