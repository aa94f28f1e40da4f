"""The composer keeps the conversation in view, shows what arrived meanwhile, and discards a held reply."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from textual.pilot import Pilot
from textual.widgets import TextArea

from shared_inbox.domain.model import Location
from shared_inbox.mail.body import read_message
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.session import Session
from shared_inbox.services.traffic_cop import HeldReplies
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.composer_state import draft_key
from shared_inbox.ui.screens.traffic_cop import TrafficCopScreen
from shared_inbox.ui.widgets.composer_thread import ThreadPanel
from tests.ui.test_app import NOW, OURS, drive, session
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader

__all__ = ["session"]

LATE_NEWS = "Never mind the refund, please send a replacement instead."


def customer_writes_again(session: Session, conversation_id: str) -> str:
    """A new customer message in the conversation, stored as sync stores it; its Message-ID."""
    conv = session.inbox.conversation(conversation_id)
    assert conv is not None and conv.customer is not None
    last = session.inbox.messages_of(conv)[-1]
    message = EmailMessage()
    message["From"] = conv.customer.display()
    message["To"] = "support@example.com"
    message["Subject"] = f"Re: {conv.subject}"
    message["Message-ID"] = "<late-news@customer.example>"
    message["In-Reply-To"] = f"<{last.message_id}>"
    message["Date"] = (NOW + timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content(LATE_NEWS)
    raw = message.as_bytes()
    meta = parse_header_block(raw, size=len(raw), location=Location("INBOX", 1, 9999), our_addresses=OURS)
    session.store.save_raw(meta.message_id, raw)
    session.store.upsert_messages([meta])
    return meta.message_id


def test_the_composer_shows_the_latest_messages_of_the_conversation(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        _, original = app.replies.composer().target(conv.id)
        raw = session.store.load_raw(original.message_id)
        assert raw is not None
        said = next(line for line in read_message(raw).text.splitlines() if line.strip())
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        panel = composer.query_one(ThreadPanel)
        assert said.strip() in panel.text and original.sender.email in panel.text
        assert composer.query_one("#composer-body", TextArea).has_focus  # writing starts at once

    drive(app_for(session), scenario)


def test_edit_after_the_traffic_cop_shows_the_new_message_and_discard_drops_the_held_reply(
    session: Session,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        composer.query_one("#composer-body", TextArea).load_text("Your refund is on its way.")
        customer_writes_again(session, conv.id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TrafficCopScreen)
        await pilot.press("e")  # edit the reply
        await pilot.pause()
        assert app.screen is composer
        panel = composer.query_one(ThreadPanel)
        assert LATE_NEWS in panel.text and "New · " in panel.text

        await pilot.press("escape")  # keep it held and leave
        await pilot.pause()
        await pilot.press("r")  # where the held reply is shown again
        await pilot.pause()
        reopened = app.screen
        assert isinstance(reopened, ComposerScreen) and reopened is not composer
        await pilot.press("ctrl+b")  # discard it right there
        await pilot.pause()
        assert not isinstance(app.screen, ComposerScreen)
        assert session.store.get_setting(draft_key(conv.id)) is None
        assert HeldReplies(session.store).conversation_ids() == frozenset()
        assert app.replies.outbox.entries() == []

    drive(app_for(session), scenario)
