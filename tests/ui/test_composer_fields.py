"""The composer's To, Cc and Subject: editable recipients, address completion, new conversations."""

from __future__ import annotations

from email.message import EmailMessage

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from shared_inbox.domain.model import Address
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen, draft_key
from shared_inbox.ui.screens.composer_recipients import known_addresses
from tests.ui.test_app import drive, inbox_of, session
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader, queued_message, type_text

__all__ = ["session"]  # the fixture, shared with the app tests


def body_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


async def open_new(pilot: Pilot[None]) -> ComposerScreen:
    app = pilot.app
    assert isinstance(app, InboxApp)
    await app.push_screen(ComposerScreen(app.session, app.replies, None, mode="new"))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ComposerScreen)
    return screen


def uniquely_prefixed(people: list[Address]) -> tuple[Address, str]:
    """A known customer and a prefix of their address that no other name or address starts with."""
    for person in people:
        prefix = person.email[:4]
        clashes = [
            other
            for other in people
            if other is not person
            and (other.email.startswith(prefix) or other.name.casefold().startswith(prefix))
        ]
        if len(prefix) == 4 and not clashes and not person.name.casefold().startswith(prefix):
            return person, prefix
    raise AssertionError("no customer address with a unique four-letter prefix")


def test_a_reply_can_copy_someone_in_cc(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        assert conv.customer is not None
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        composer.query_one("#composer-cc", Input).value = "Carol <carol@example.org>"
        await type_text(pilot, "hello")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert entry.recipients == (conv.customer.email, "carol@example.org")
        assert queued_message(app, entry.id)["Cc"] == "Carol <carol@example.org>"

    drive(app_for(session), scenario)


def test_the_teams_own_address_is_refused_rather_than_silently_dropped(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await open_reader(pilot, answerable(app))
        composer = await open_composer(pilot)
        cc = composer.query_one("#composer-cc", Input)
        cc.value = "Bob Agent <bob@example.com>"
        await type_text(pilot, "hello")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is composer and app.replies.outbox.entries() == []
        assert any("team's own address" in str(n.message) for n in app._notifications)

    drive(app_for(session), scenario)


def test_typing_the_start_of_a_known_address_completes_it(session: Session) -> None:
    people = known_addresses(session.inbox.conversations(), excluded=session.config.our_addresses)
    person, prefix = uniquely_prefixed(people)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        cc = composer.query_one("#composer-cc", Input)
        cc.focus()
        await type_text(pilot, "x@example.org, " + prefix.upper())
        for _ in range(100):  # bounded wait for the suggestion worker, not a timing assertion
            await pilot.pause(0.02)
            if cc._suggestion:
                break
        await pilot.press("right")  # accepts the suggestion at the end of the field
        assert cc.value.lower() == f"x@example.org, {person.email}"
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "hi")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert set(entry.recipients) >= {"x@example.org", person.email}

    drive(app_for(session), scenario)


def test_a_new_conversation_is_sent_to_the_typed_people_with_the_typed_subject(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        listing = inbox_of(app)
        composer = await open_new(pilot)
        assert composer.query_one("#composer-to", Input).has_focus
        composer.query_one("#composer-to", Input).value = "Nina <nina@example.org>"
        composer.query_one("#composer-cc", Input).value = "ops@example.org"
        composer.query_one("#composer-subject", Input).value = "Your invoice"
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "Here it is")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is listing
        [entry] = app.replies.outbox.entries()
        assert entry.recipients == ("nina@example.org", "ops@example.org")
        assert entry.subject == "Your invoice" and entry.replied_to is None
        sent = queued_message(app, entry.id)
        assert sent["To"] == "Nina <nina@example.org>" and sent["Subject"] == "Your invoice"
        assert body_text(sent).startswith("Here it is\n")
        assert session.store.get_setting(draft_key("new")) is None

    drive(app_for(session), scenario)


def test_a_new_conversation_needs_a_subject(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await open_new(pilot)
        composer.query_one("#composer-to", Input).value = "nina@example.org"
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "Hello")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is composer and app.replies.outbox.entries() == []

    drive(app_for(session), scenario)


def test_an_unsent_new_conversation_keeps_its_fields_as_a_draft(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await open_new(pilot)
        composer.query_one("#composer-to", Input).value = "nina@example.org, hal"
        composer.query_one("#composer-subject", Input).value = "Renewal"
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "draft text")
        await pilot.press("escape")
        await pilot.pause()
        saved = session.store.get_setting(draft_key("new"))
        assert isinstance(saved, dict) and saved["subject"] == "Renewal"
        reopened = await open_new(pilot)
        assert reopened.query_one("#composer-to", Input).value == "nina@example.org, hal"
        assert reopened.query_one("#composer-subject", Input).value == "Renewal"
        assert reopened.query_one("#composer-body", TextArea).text == "draft text"
        assert app.replies.outbox.entries() == []

    drive(app_for(session), scenario)


def test_edited_recipients_of_a_reply_survive_as_part_of_the_draft(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        composer.query_one("#composer-to", Input).value = "someone@example.org"
        await pilot.press("escape")
        await pilot.pause()
        reopened = await open_composer(pilot)
        assert reopened.query_one("#composer-to", Input).value == "someone@example.org"
        await pilot.press("escape")
        await pilot.pause()
        forward = await open_composer(pilot, "f")  # another mode starts from its own prefill
        assert forward.query_one("#composer-to", Input).value == ""

    drive(app_for(session), scenario)
