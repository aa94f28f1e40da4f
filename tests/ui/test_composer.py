"""The reply composer driven by Pilot: prefilled recipients, queueing, undo and drafts, over a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from shared_inbox.domain.model import Conversation, Status
from shared_inbox.mail.compose import reply_subject
from shared_inbox.outbox import OutboxState
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen, draft_key, parse_addresses
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.ui.test_app import CLICK_SUBJECT, NOW, drive, fill_store, inbox_of, make_config, session

__all__ = ["session"]  # the fixture, shared with the app tests

CUSTOMER_TEXT = "Thanks, fixed now"


def answerable(app: InboxApp) -> Conversation:
    """An open conversation whose latest customer message came from its customer."""
    composer = app.replies.composer()
    for conv in inbox_of(app).conversation_list.rows:
        if conv.customer is None:
            continue
        _, original = composer.target(conv.id)
        if not original.outgoing and original.reply_to == () and original.sender.email == conv.customer.email:
            return conv
    raise AssertionError("the generated mailbox has no plainly answerable conversation")


async def open_reader(pilot: Pilot[None], conv: Conversation) -> ReaderScreen:
    listing = inbox_of(pilot.app).conversation_list
    listing.move_cursor([c.id for c in listing.rows].index(conv.id))
    await pilot.press("enter")
    await pilot.pause()
    reader = pilot.app.screen
    assert isinstance(reader, ReaderScreen) and reader.conversation.id == conv.id
    return reader


async def open_composer(pilot: Pilot[None], key: str = "r") -> ComposerScreen:
    await pilot.press(key)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ComposerScreen)
    return screen


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*["space" if ch == " " else "comma" if ch == "," else ch for ch in text])


def app_for(session: Session) -> InboxApp:
    return InboxApp(session, sync=False, now=lambda: NOW)


def saved_body(session: Session, conversation_id: str) -> object:
    draft = session.store.get_setting(draft_key(conversation_id))
    return draft.get("body") if isinstance(draft, dict) else draft


def queued_message(app: InboxApp, entry_id: str) -> EmailMessage:
    """The message exactly as it waits in the outbox, parsed back."""
    message = message_from_bytes(app.replies.outbox.raw(entry_id), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_r_opens_a_reply_to_the_customer_with_the_subject(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        assert conv.customer is not None
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        to = composer.query_one("#composer-to", Input).value
        assert [a.email for a in parse_addresses(to)] == [conv.customer.email]
        # Cc is always offered; a plain reply starts it empty.
        assert composer.query_one("#composer-cc", Input).value == ""
        title = str(composer.query_one("#composer-title", Static).visual)
        assert reply_subject(conv.subject) in title
        assert composer.query_one("#composer-body", TextArea).has_focus

    drive(app_for(session), scenario)


def test_ctrl_s_queues_the_typed_reply_held_for_undo_and_ctrl_z_cancels_it(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        assert conv.customer is not None
        reader = await open_reader(pilot, conv)
        await open_composer(pilot)
        await type_text(pilot, CUSTOMER_TEXT)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is reader
        [entry] = app.replies.outbox.entries()
        assert entry.body == CUSTOMER_TEXT
        assert entry.conversation_id == conv.id
        assert entry.state is OutboxState.HELD and entry.release_at > NOW
        assert entry.recipients == (conv.customer.email,)
        assert session.store.get_setting(draft_key(conv.id)) is None
        answered = session.inbox.conversation(conv.id)
        assert answered is not None
        assert answered.state.status is Status.PENDING
        assert answered.state.assignee == (conv.state.assignee or session.config.team.me)
        assert "pending" in str(reader.query_one("#reader-header").visual)  # the reader shows it at once
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.replies.outbox.entries() == []
        restored = session.inbox.conversation(conv.id)
        assert restored is not None
        assert restored.state.status is conv.state.status  # undoing the send undoes what it changed
        assert restored.state.assignee == conv.state.assignee
        assert str(restored.state.status.value) in str(reader.query_one("#reader-header").visual)

    drive(app_for(session), scenario)


def test_undo_is_refused_once_the_window_has_passed(session: Session) -> None:
    clock = [NOW]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await open_reader(pilot, answerable(app))
        await open_composer(pilot)
        await type_text(pilot, "ok")
        await pilot.press("ctrl+s")
        await pilot.pause()
        clock[0] = NOW + app.replies.policy.undo_window
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert [e.body for e in app.replies.outbox.entries()] == ["ok"]

    drive(InboxApp(session, sync=False, now=lambda: clock[0]), scenario)


def test_the_draft_survives_closing_and_reopening_the_composer(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        reader = await open_reader(pilot, conv)
        await open_composer(pilot)
        await type_text(pilot, "half a thought")
        for _ in range(100):  # bounded wait for the debounced save, not a timing assertion
            if saved_body(session, conv.id) == "half a thought":
                break
            await pilot.pause(0.05)
        assert saved_body(session, conv.id) == "half a thought"
        await type_text(pilot, " more")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is reader
        assert app.replies.outbox.entries() == []
        composer = await open_composer(pilot)
        assert composer.query_one("#composer-body", TextArea).text == "half a thought more"

    drive(app_for(session), scenario)


def test_a_reply_goes_only_to_the_recipients_the_form_shows(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        reader = await open_reader(pilot, answerable(app))
        composer = await open_composer(pilot)
        composer.query_one("#composer-to", Input).value = "someone@example.org"
        composer.query_one("#composer-cc", Input).value = "Dan <dan@example.org>"
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "hello")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is reader
        [entry] = app.replies.outbox.entries()
        assert entry.recipients == ("someone@example.org", "dan@example.org")
        sent = queued_message(app, entry.id)
        assert sent["To"] == "someone@example.org" and sent["Cc"] == "Dan <dan@example.org>"

    drive(app_for(session), scenario)


def test_an_added_recipient_is_written_to_as_well(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        assert conv.customer is not None
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        field = composer.query_one("#composer-to", Input)
        field.value = f"{field.value}, Carol <carol@example.org>"
        await type_text(pilot, "hello")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert set(entry.recipients) == {conv.customer.email, "carol@example.org"}

    drive(app_for(session), scenario)


def test_f_forwards_to_the_typed_address(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await open_reader(pilot, answerable(app))
        composer = await open_composer(pilot, "f")
        field = composer.query_one("#composer-to", Input)
        assert field.value == "" and field.has_focus
        await pilot.press("ctrl+s")  # nobody to forward to yet: refused
        await pilot.pause()
        assert app.screen is composer and app.replies.outbox.entries() == []
        field.value = "billing@example.org"
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "fyi")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert entry.recipients == ("billing@example.org",)
        assert entry.subject.lower().startswith("fwd")

    drive(app_for(session), scenario)


def test_reply_all_prefills_cc_with_the_other_addressees(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 150)
    with open_session(make_config(tmp_path), now=lambda: NOW) as opened:

        async def scenario(pilot: Pilot[None]) -> None:
            app = pilot.app
            assert isinstance(app, InboxApp)
            composer_service = app.replies.composer()
            ours = opened.config.our_addresses
            for conv in inbox_of(app).conversation_list.rows:
                _, original = composer_service.target(conv.id)
                others = {a.email for a in (*original.to, *original.cc)} - set(ours) - {original.sender.email}
                if others and not original.outgoing and not original.reply_to:
                    break
            else:
                raise AssertionError("the generated mailbox has no message with other addressees")
            await open_reader(pilot, conv)
            composer = await open_composer(pilot, "R")
            cc = parse_addresses(composer.query_one("#composer-cc", Input).value)
            assert {a.email for a in cc} == others

        drive(app_for(opened), scenario)


def test_a_subject_with_markup_is_shown_literally_in_the_composer(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = next(c for c in inbox_of(app).conversation_list.rows if c.subject == CLICK_SUBJECT)
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        title = str(composer.query_one("#composer-title", Static).visual)
        assert CLICK_SUBJECT in title  # shown literally: the markup in it is never parsed

    drive(app_for(session), scenario)


@pytest.mark.integration
def test_the_app_sends_a_queued_reply_once_the_undo_window_has_passed(tmp_path: Path) -> None:
    from shared_inbox.demo import open_demo

    clock = [datetime.now(UTC)]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        for _ in range(400):  # bounded wait for the first sync round, not a timing assertion
            if app.last_sync is not None and inbox_of(app).conversation_list.rows:
                break
            await pilot.pause(0.05)
        await pilot.press("enter")
        await pilot.pause()
        await open_composer(pilot)
        await type_text(pilot, "on its way")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [queued] = app.replies.outbox.entries()
        clock[0] += app.replies.policy.undo_window + timedelta(seconds=1)
        for _ in range(600):  # bounded wait for the sender thread, not a timing assertion
            if app.replies.outbox.get(queued.id).state is OutboxState.SENT:
                break
            await pilot.pause(0.05)
        assert app.replies.outbox.get(queued.id).state is OutboxState.SENT

    with open_demo(parent=tmp_path) as demo, open_session(demo.config) as opened:
        drive(InboxApp(opened, sync=True, now=lambda: clock[0]), scenario)
