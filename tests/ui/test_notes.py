"""Internal notes in the reader, the Mentions view, and the customer profile form, driven by Pilot."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from shared_inbox.domain.model import Conversation
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.notes import conversation_notes, customer_record
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.customer_editor import CustomerEditor
from shared_inbox.ui.dialogs.note_editor import NoteEditor, NoteView
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from shared_inbox.ui.views import VIEWS
from tests.ui.test_app import ME, NOW, drive, make_config, session

__all__ = ["session"]  # the fixture, shared with the app tests

BOB = "bob@example.com"


def customer_conversation(session: Session) -> Conversation:
    """The conversation with the most messages that has a customer (so notes fall between messages)."""
    convs = [conv for conv in session.inbox.conversations() if conv.customer is not None]
    return max(convs, key=lambda conv: (len(conv.message_ids), conv.id))


async def open_reader(pilot: Pilot[None], session: Session, conv: Conversation) -> ReaderScreen:
    reader = ReaderScreen(session, conv)
    await pilot.app.push_screen(reader)
    await pilot.pause()
    return reader


async def click_visible(pilot: Pilot[None], selector: str) -> None:
    """Scroll the widget into view, then click it as a user would."""
    pilot.app.screen.query_one(selector).scroll_visible(animate=False)
    await pilot.pause()
    assert await pilot.click(selector)


def texts(root: object) -> str:
    from textual.widget import Widget

    assert isinstance(root, Widget)
    return "\n".join(str(static.visual) for static in root.query(Static))


def test_a_note_with_a_mention_shows_in_the_thread_after_the_messages_before_it(session: Session) -> None:
    conv = customer_conversation(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        await pilot.press("n")
        editor = pilot.app.screen
        assert isinstance(editor, NoteEditor)
        area = editor.query_one(TextArea)
        area.insert("Refund approved, ")
        await pilot.press("@", "b", "o", "tab")  # completes to @bob
        area.insert("please send the label")
        await pilot.pause()
        assert "Bob Agent" in str(editor.query_one("#note-mentions", Static).visual)
        await pilot.press("ctrl+s")
        await pilot.pause()

        [note] = conversation_notes(session.inbox, conv.id)
        assert note.text == "Refund approved, @bob please send the label"
        assert note.mentions == (BOB,) and note.author == ME
        [view] = reader.query(NoteView)
        shown = texts(view)
        assert "Internal note" in shown and "Alice Agent" in shown and "@bob please send" in shown
        assert "For @Bob" in shown
        thread = list(reader.query_one("#thread").children)
        messages = [child for child in thread if isinstance(child, MessageView)]
        assert thread.index(view) > thread.index(messages[-1])  # written now, after every message

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_note_sits_between_the_messages_written_before_and_after_it(session: Session) -> None:
    conv = customer_conversation(session)
    metas = session.inbox.messages_of(conv)
    assert len(metas) >= 2
    between = metas[0].date + (metas[1].date - metas[0].date) / 2
    Commands(session.inbox, author=BOB, now=lambda: between).add_note(conv.id, "Checked the warehouse")

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        thread = list(reader.query_one("#thread").children)
        [view] = reader.query(NoteView)
        assert not view.mine
        messages = [child for child in thread if isinstance(child, MessageView)]
        assert thread.index(messages[0]) < thread.index(view) < thread.index(messages[1])
        view.focus()
        await pilot.pause()
        assert reader.check_action("edit_note", ()) is False  # a teammate's note is theirs to change

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_your_note_can_be_edited_and_deleted_from_the_thread(session: Session) -> None:
    conv = customer_conversation(session)
    session.commands.add_note(conv.id, "Waiting for the courier")

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        reader.query_one(NoteView).focus()
        await pilot.press("e")
        editor = pilot.app.screen
        assert isinstance(editor, NoteEditor)
        area = editor.query_one(TextArea)
        assert area.text == "Waiting for the courier"
        area.insert(" (tracking 123)")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [note] = conversation_notes(session.inbox, conv.id)
        assert note.text == "Waiting for the courier (tracking 123)" and note.edited_at is not None
        assert "(tracking 123)" in texts(reader.query_one(NoteView))

        await pilot.click(NoteView)
        assert isinstance(pilot.app.screen, NoteEditor)
        await pilot.click("#note-delete")
        await pilot.pause()
        assert conversation_notes(session.inbox, conv.id) == []
        assert not reader.query(NoteView)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_teammates_mention_puts_the_conversation_in_my_mentions_newest_first(session: Session) -> None:
    convs = [conv for conv in session.inbox.conversations() if conv.customer is not None][:3]
    bob = Commands(session.inbox, author=BOB, now=lambda: NOW)
    for minutes, conv in zip((5, 30, 10), convs, strict=True):
        bob.now = lambda m=minutes: NOW - timedelta(minutes=m)  # type: ignore[misc]
        bob.add_note(conv.id, "@alice can you take this one?", ["alice@example.com"])
    bob.add_note(convs[0].id, "a note for nobody", [])
    expected = [convs[0].id, convs[2].id, convs[1].id]

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, InboxScreen)
        assert screen.counts["mentions"] == 3
        await pilot.press("8")
        await pilot.pause()
        assert screen.view_id == "mentions"
        assert [conv.id for conv in screen.conversation_list.rows] == expected
        sidebar = screen.query_one("#sidebar", OptionList)
        index = [view.id for view in VIEWS].index("mentions")
        assert "Mentions" in str(sidebar.get_option_at_index(index).prompt)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_customer_note_and_fields_show_in_the_panel_and_persist(session: Session, tmp_path: Path) -> None:
    conv = customer_conversation(session)
    assert conv.customer is not None
    email = conv.customer.email

    async def write(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        await pilot.press("I")
        editor = pilot.app.screen
        assert isinstance(editor, CustomerEditor)
        editor.query_one("#field-company", Input).value = "Initech"
        editor.query_one("#field-interests", Input).value = "sailing"
        editor.query_one("#new-customer-note", TextArea).insert("Prefers calls after 2pm")
        await pilot.press("ctrl+s")
        await pilot.pause()
        shown = texts(reader.customer_panel)
        assert "Company: Initech" in shown and "Interests: sailing" in shown
        assert "Prefers calls after 2pm" in shown and "alice" in shown

    drive(InboxApp(session, sync=False, now=lambda: NOW), write)
    session.close()

    with open_session(make_config(tmp_path), now=lambda: NOW + timedelta(hours=1)) as reopened:
        record = customer_record(reopened.inbox, email)
        assert record.value("company") == "Initech"
        [note] = record.notes
        assert note.text == "Prefers calls after 2pm" and note.author == ME

        async def edit(pilot: Pilot[None]) -> None:
            reader = await open_reader(pilot, reopened, conv)
            assert "Prefers calls after 2pm" in texts(reader.customer_panel)
            await click_visible(pilot, "#edit-customer")
            editor = pilot.app.screen
            assert isinstance(editor, CustomerEditor)
            area = editor.query_one(f"#cnote-{note.id}", TextArea)
            area.text = "Prefers calls before noon"
            await click_visible(pilot, "#profile-save")
            await pilot.pause()
            shown = texts(reader.customer_panel)
            assert "Prefers calls before noon" in shown and "after 2pm" not in shown
            assert "Company: Initech" in shown

        drive(InboxApp(reopened, sync=False, now=lambda: NOW + timedelta(hours=1)), edit)
        [edited] = customer_record(reopened.inbox, email).notes
        assert edited.text == "Prefers calls before noon" and edited.edited_at is not None


def test_customer_search_finds_profile_fields(session: Session) -> None:
    from shared_inbox.domain.query import parse_query
    from shared_inbox.services.customers import customer_lookup

    conv = customer_conversation(session)
    assert conv.customer is not None
    session.commands.set_customer_field(conv.id, conv.customer.email, "interests", "Kitesurfing")
    query = parse_query("customer:kitesurf", me=ME, customer_lookup=customer_lookup(session.inbox))
    found = [c.id for c in session.inbox.conversations() if query.matches(c, session.inbox.messages_of(c))]
    assert conv.id in found
    assert all(
        c.customer is not None and c.customer.email == conv.customer.email
        for c in map(session.inbox.conversation, found)
        if c is not None
    )


def test_only_the_author_can_change_a_note(session: Session) -> None:
    conv = customer_conversation(session)
    theirs = Commands(session.inbox, author=BOB, now=lambda: NOW).add_note(conv.id, "Mine, says Bob")
    note_id = str(theirs.data["note"])
    with pytest.raises(CommandError, match=BOB):
        session.commands.edit_note(conv.id, note_id, "rewritten")
    with pytest.raises(CommandError, match=BOB):
        session.commands.delete_note(conv.id, note_id)
    [note] = conversation_notes(session.inbox, conv.id)
    assert note.text == "Mine, says Bob"
