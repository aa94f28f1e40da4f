"""Undoing a send brings the message back to the composer and withdraws what the send changed."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.domain.sla import PromiseState
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.promise_prompt import PromisePrompt
from shared_inbox.ui.screens.composer import ComposerScreen
from tests.ui.test_app import drive, session
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader
from tests.ui.test_composer_tools import attach

__all__ = ["session"]

PROMISING = "Sorry for the wait.\n\nI'll get back to you by Friday with the fix."
EXTRA = "Erin Extra <erin@example.net>"


def test_ctrl_z_brings_back_text_recipients_and_attachments_and_drops_the_promise(
    session: Session, tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4 invoice")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        composer.query_one("#composer-body", TextArea).load_text(PROMISING)
        composer.query_one("#composer-cc", Input).value = EXTRA
        to = composer.query_one("#composer-to", Input).value
        await attach(pilot, str(invoice))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PromisePrompt)
        await pilot.press("enter")  # track it
        await pilot.pause()
        [promise] = reduce_promises(session.inbox.events_of(conv.id))
        assert promise.state is PromiseState.OPEN

        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.replies.outbox.entries() == []
        back = app.screen
        assert isinstance(back, ComposerScreen) and back.conversation is not None
        assert back.conversation.id == conv.id
        assert back.body == PROMISING
        assert back.query_one("#composer-to", Input).value == to
        assert back.query_one("#composer-cc", Input).value == EXTRA
        assert [a.filename for a in back.attachments] == ["invoice.pdf"]
        [withdrawn] = reduce_promises(session.inbox.events_of(conv.id))
        assert withdrawn.state is PromiseState.DROPPED
        now = session.inbox.conversation(conv.id)
        assert now is not None
        assert (now.state.status, now.state.assignee) == (conv.state.status, conv.state.assignee)

        await pilot.press("ctrl+s")  # sent again, as it was
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert entry.body == PROMISING and "erin@example.net" in entry.recipients

    drive(app_for(session), scenario)
