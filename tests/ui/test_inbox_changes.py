"""Screens follow the inbox by one coalescing message: writers store mail, nobody nudges the screens."""

from __future__ import annotations

import asyncio
import threading
from email.message import EmailMessage

import pytest
from textual.pilot import Pilot

from shared_inbox.domain.model import Location, MessageMeta
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.inbox_changes import InboxChange, InboxChanged
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from tests.ui.test_app import NOW, OURS, drive, inbox_of, session, until

__all__ = ["session"]  # the fixture, shared with test_app

BURST = 40


def customer_mail(n: int, *, subject: str = "Burst question", in_reply_to: str | None = None) -> MessageMeta:
    """A customer message parsed as sync parses it; a reply when `in_reply_to` names a Message-ID."""
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@burst.test>"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Date"] = "Tue, 02 Apr 2024 10:00:00 +0000"
    message["Message-ID"] = f"<burst-{n}@burst.test>"
    if in_reply_to is not None:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = f"<{in_reply_to}>"
    message.set_content(f"Question number {n}.\n")
    raw = message.as_bytes()
    location = Location("INBOX", 1, 80_000 + n)
    return parse_header_block(raw, size=len(raw), location=location, our_addresses=OURS)


def store_from_a_thread(session: Session, batches: list[list[MessageMeta]]) -> None:
    """Each batch stored in its own write, from another thread, as sync and the outbox write."""
    writer = threading.Thread(target=lambda: [session.store.upsert_messages(batch) for batch in batches])
    writer.start()
    writer.join()


def test_a_burst_of_store_writes_redraws_the_list_far_fewer_times_and_shows_every_message(
    session: Session,
) -> None:
    metas = [customer_mail(n, subject=f"Burst question {n}") for n in range(BURST)]

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        reloads: list[int] = []
        reload = screen.reload

        def counted() -> None:
            reloads.append(1)
            reload()

        screen.reload = counted  # type: ignore[method-assign]
        # The writes all land before the UI thread runs again: one message each, then the burst.
        store_from_a_thread(session, [[meta] for meta in metas])
        listed = {conv.subject for conv in screen.conversation_list.rows}
        assert not listed & {meta.subject for meta in metas}
        await until(pilot, lambda: bool(reloads))
        await pilot.pause()
        assert 1 <= len(reloads) <= BURST // 10, reloads
        listed = {conv.subject for conv in screen.conversation_list.rows}
        assert {meta.subject for meta in metas} <= listed

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_queued_inbox_changes_fold_into_one_that_carries_all_of_them(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        heard: list[InboxChange] = []
        app.inbox_feed.signal.subscribe(app.screen, heard.append)
        for n in range(BURST):
            app.post_message(InboxChanged(InboxChange(message_ids=frozenset({f"m{n}"}))))
        app.post_message(InboxChanged(InboxChange(conversation_ids=frozenset({"c1"}))))
        await until(pilot, lambda: bool(heard))
        await pilot.pause()
        assert len(heard) == 1
        [change] = heard
        assert change.message_ids == {f"m{n}" for n in range(BURST)}
        assert change.conversation_ids == {"c1"}

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_the_open_reader_shows_a_reply_stored_by_another_thread(session: Session) -> None:
    first = customer_mail(1, subject="Where is my parcel?")
    session.store.upsert_messages([first])
    reply = customer_mail(2, subject="Re: Where is my parcel?", in_reply_to=first.message_id)

    async def scenario(pilot: Pilot[None]) -> None:
        conv = session.inbox.conversation(first.message_id)
        assert conv is not None
        await pilot.app.push_screen(ReaderScreen(session, conv))
        await pilot.pause()
        reader = pilot.app.screen
        assert isinstance(reader, ReaderScreen)
        assert [view.meta.message_id for view in reader.query(MessageView)] == [first.message_id]
        store_from_a_thread(session, [[reply]])

        def shown() -> list[str]:
            return [view.meta.message_id for view in pilot.app.screen.query(MessageView)]

        await until(pilot, lambda: len(shown()) == 2)
        assert shown() == [first.message_id, reply.message_id]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_two_changes_to_the_open_conversation_in_a_row_redraw_it_once_each_without_a_crash(
    session: Session,
) -> None:
    first = customer_mail(1, subject="Where is my parcel?")
    session.store.upsert_messages([first])
    replies = [customer_mail(n, subject="Re: parcel", in_reply_to=first.message_id) for n in (2, 3)]

    async def scenario(pilot: Pilot[None]) -> None:
        conv = session.inbox.conversation(first.message_id)
        assert conv is not None
        await pilot.app.push_screen(ReaderScreen(session, conv))
        await pilot.pause()
        reader = pilot.app.screen
        assert isinstance(reader, ReaderScreen)
        for reply in replies:  # each lands while the redraw for the one before is under way
            session.store.upsert_messages([reply])
            current = session.inbox.conversation(conv.id)
            assert current is not None
            reader.show_conversation(current)

        def shown() -> list[str]:
            return [view.meta.message_id for view in reader.query(MessageView)]

        await until(pilot, lambda: len(shown()) == 3)
        assert shown() == [first.message_id, *(reply.message_id for reply in replies)]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


@pytest.mark.parametrize("settle", [0, 1, 2, 3, 4, 6, 8])
@pytest.mark.parametrize("how", ["exit", "end of run"])
def test_a_change_heard_while_the_app_closes_is_dropped_quietly(
    session: Session, settle: int, how: str
) -> None:
    first = customer_mail(1, subject="Where is my parcel?")
    session.store.upsert_messages([first])
    reply = customer_mail(2, subject="Re: Where is my parcel?", in_reply_to=first.message_id)

    async def scenario(pilot: Pilot[None]) -> None:
        conv = session.inbox.conversation(first.message_id)
        assert conv is not None
        await pilot.app.push_screen(ReaderScreen(session, conv))
        await pilot.pause()
        store_from_a_thread(session, [[reply]])
        for _ in range(settle):  # the change part way through the queues
            await asyncio.sleep(0)
        if how == "exit":
            pilot.app.exit()

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_the_list_hidden_under_the_reader_is_rebuilt_when_it_shows_again_not_before(session: Session) -> None:
    fresh = customer_mail(7, subject="Arrived while reading")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReaderScreen)
        reloads: list[int] = []
        reload = screen.reload

        def counted() -> None:
            reloads.append(1)
            reload()

        screen.reload = counted  # type: ignore[method-assign]
        store_from_a_thread(session, [[fresh]])
        await until(pilot, lambda: session.inbox.conversation(fresh.message_id) is not None)
        await pilot.pause()
        assert reloads == []  # hidden: no work for a list nobody sees
        await pilot.press("q")
        await until(pilot, lambda: pilot.app.screen is screen)
        await pilot.pause()
        assert fresh.subject in {conv.subject for conv in screen.conversation_list.rows}
        assert reloads

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
