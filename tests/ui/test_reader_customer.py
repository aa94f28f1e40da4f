"""The customer panel beside the reader, driven by Pilot over a store filled from generated mail."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from shared_inbox.domain.model import Conversation
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from shared_inbox.ui.widgets.customer_panel import CustomerPanel
from tests.ui.test_app import NOW, drive, session

__all__ = ["session"]  # the fixture, shared with the app tests

FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "web.de", "proton.me")


def written_by(session: Session, email: str) -> list[Conversation]:
    """Every conversation `email` is the customer of or sent a message in, newest activity first."""
    found = [
        conv
        for conv in session.inbox.conversations()
        if (conv.customer is not None and conv.customer.email == email)
        or any(meta.sender.email == email for meta in session.inbox.messages_of(conv))
    ]
    return sorted(found, key=lambda conv: conv.last_activity or NOW, reverse=True)


def regular_customer(session: Session) -> tuple[Conversation, list[Conversation]]:
    """The oldest conversation of the customer with the most conversations, and their others."""
    best: list[Conversation] = []
    for conv in session.inbox.conversations():
        if conv.customer is not None:
            theirs = written_by(session, conv.customer.email)
            if len(theirs) > len(best):
                best = theirs
    assert len(best) >= 3, "the generated mailbox has no customer with several conversations"
    return best[-1], best[:-1]


async def open_reader(pilot: Pilot[None], session: Session, conv: Conversation) -> ReaderScreen:
    reader = ReaderScreen(session, conv)
    await pilot.app.push_screen(reader)
    await pilot.pause()
    return reader


def panel_text(panel: CustomerPanel) -> str:
    return "\n".join(str(static.visual) for static in panel.query(Static))


def listed_ids(panel: CustomerPanel) -> list[str | None]:
    options = panel.query_one("#customer-conversations", OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


def test_the_panel_shows_the_customer_and_their_other_conversations_newest_first(session: Session) -> None:
    conv, others = regular_customer(session)
    assert conv.customer is not None
    customer = conv.customer

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        panel = reader.customer_panel
        assert panel.display and panel.outer_size.width == 34
        text = panel_text(panel)
        assert customer.email in text
        if customer.name:
            assert customer.name in text
        domain = customer.email.rpartition("@")[2]
        assert (domain in text) != (domain in FREE_MAIL)
        assert f"Other conversations: {len(others)}" in text
        assert listed_ids(panel) == [other.id for other in others]
        first_prompt = str(panel.query_one(OptionList).get_option_at_index(0).prompt)
        assert others[0].subject in first_prompt and others[0].state.status.value in first_prompt

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_o_then_enter_opens_the_customers_newest_other_conversation_in_place(session: Session) -> None:
    conv, others = regular_customer(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        depth = len(pilot.app.screen_stack)
        await pilot.press("o")
        assert isinstance(pilot.app.focused, OptionList)
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is reader and len(pilot.app.screen_stack) == depth
        assert reader.conversation.id == others[0].id
        assert [v.meta.message_id for v in reader.query(MessageView)] == others[0].message_ids
        assert others[0].subject in str(reader.query_one("#reader-header", Static).visual)
        assert conv.id in listed_ids(reader.customer_panel)  # the one we came from is now an "other"
        assert all(not meta.unread for meta in session.inbox.messages_of(reader.conversation))

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_clicking_a_conversation_in_the_panel_opens_it(session: Session) -> None:
    conv, others = regular_customer(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        options = reader.customer_panel.query_one(OptionList)
        await pilot.click(options, offset=(3, 2))  # each option takes two lines: this is the second
        await pilot.pause()
        assert reader.conversation.id == others[1].id

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_i_hides_and_shows_the_panel_and_the_thread_takes_the_room(session: Session) -> None:
    conv, _ = regular_customer(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, conv)
        thread = reader.query_one("#thread")
        narrow = thread.size.width
        await pilot.press("o", "i")
        await pilot.pause()
        assert not reader.customer_panel.display
        assert thread.size.width > narrow
        assert pilot.app.focused is thread  # the focus left the hidden panel
        await pilot.press("i")
        await pilot.pause()
        assert reader.customer_panel.display and thread.size.width == narrow

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_conversation_without_a_customer_says_so(session: Session) -> None:
    conv, _ = regular_customer(session)
    anonymous = Conversation(id=conv.id, subject=conv.subject, message_ids=conv.message_ids, customer=None)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, session, anonymous)
        assert "No customer address" in panel_text(reader.customer_panel)
        await pilot.press("o")
        assert any("no other conversations" in n.message for n in pilot.app._notifications)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
