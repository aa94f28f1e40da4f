"""`f` forwards the customer's message with its text, shown in the composer before it goes."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from shared_inbox.mail.body import read_message
from shared_inbox.mail.compose import FORWARD_DIVIDER
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from tests.ui.test_app import drive, session
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader

__all__ = ["session"]


def test_f_shows_and_sends_the_customers_message_with_its_text(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        _, original = app.replies.composer().target(conv.id)
        raw = session.store.load_raw(original.message_id)
        assert raw is not None and not original.outgoing
        first_line = next(line for line in read_message(raw).text.splitlines() if line.strip())
        await open_reader(pilot, conv)
        composer = await open_composer(pilot, "f")
        shown = composer.query_one("#composer-body", TextArea).text
        assert FORWARD_DIVIDER in shown and first_line in shown  # the agent sees what goes
        assert f"From: {original.sender.display()}" in shown or original.sender.email in shown
        composer.query_one("#composer-to", Input).value = "billing@example.org"
        composer.query_one("#composer-body", TextArea).insert("Please check this one.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        message = message_from_bytes(app.replies.outbox.raw(entry.id), policy=policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(("plain",))
        assert part is not None
        text = part.get_content()
        assert text.startswith("Please check this one.")
        assert text.count(FORWARD_DIVIDER) == 1 and first_line in text

    drive(app_for(session), scenario)
