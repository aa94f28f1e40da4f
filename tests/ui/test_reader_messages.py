"""The reader's header line, message headings (local time, To, Cc), folding by click, and scrolling."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.events import MouseScrollDown
from textual.pilot import Pilot
from textual.widgets import Static

from shared_inbox.domain.model import Conversation
from shared_inbox.mail.body import read_message
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from shared_inbox.ui.widgets.message_view import MessageHeading
from tests.ui.test_app import NOW, drive, session

__all__ = ["session"]  # the fixture, shared with the app tests

KOLKATA = ZoneInfo("Asia/Kolkata")  # a half-hour offset: its clock never matches UTC's


def app_for(session: Session) -> InboxApp:
    return InboxApp(session, sync=False, now=lambda: NOW)


async def open_reader(pilot: Pilot[None], reader: ReaderScreen) -> ReaderScreen:
    await pilot.app.push_screen(reader)
    await pilot.pause()
    return reader


def quoted_messages(session: Session, conv: Conversation) -> list[str]:
    ids = []
    for meta in session.inbox.messages_of(conv):
        raw = session.store.load_raw(meta.message_id)
        if raw and any(s.kind == "quote" for s in read_message(raw).segments):
            ids.append(meta.message_id)
    return ids


def test_the_header_names_the_customer_and_counts_the_messages(session: Session) -> None:
    conv = max(session.inbox.conversations(), key=lambda c: len(c.message_ids))
    assert conv.customer is not None and len(conv.message_ids) > 1

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conv))
        header = str(reader.query_one("#reader-header", Static).visual)
        assert conv.customer is not None and conv.customer.email in header
        assert f"{len(conv.message_ids)} messages" in header
        assert conv.state.status.value in header and "unassigned" in header

    drive(app_for(session), scenario)


def test_headings_show_sender_local_time_to_and_cc(session: Session) -> None:
    meta = next(m for m in session.inbox.messages.values() if m.cc)
    conv = session.inbox.conversation(meta.message_id)
    assert conv is not None

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conv, zone=KOLKATA))
        view = next(v for v in reader.query(MessageView) if v.meta.message_id == meta.message_id)
        heading = str(view.query_one(MessageHeading).visual)
        first, to_line, cc_line = heading.split("\n")
        assert meta.sender.email in first
        assert meta.date.astimezone(KOLKATA).strftime("%d %b %Y %H:%M IST") in first
        assert meta.date.strftime("%H:%M") not in first
        assert to_line.startswith("To: ") and all(a.email in to_line for a in meta.to)
        assert cc_line.startswith("Cc: ") and all(a.email in cc_line for a in meta.cc)

    drive(app_for(session), scenario)


def test_headings_use_the_machines_time_zone_by_default(session: Session) -> None:
    conv = session.inbox.conversations()[0]
    meta = session.inbox.messages_of(conv)[0]

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conv))
        heading = str(reader.query(MessageHeading).first().visual)
        assert meta.date.astimezone().strftime("%d %b %Y %H:%M") in heading

    drive(app_for(session), scenario)


def test_clicking_a_heading_unfolds_that_messages_quotes_only(session: Session) -> None:
    conv = next(c for c in session.inbox.conversations() if quoted_messages(session, c))
    target = quoted_messages(session, conv)[0]

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conv))
        views = list(reader.query(MessageView))
        view = next(v for v in views if v.meta.message_id == target)
        quotes = list(view.query(".segment.quote"))
        elsewhere = [q for v in views if v is not view for q in v.query(".segment.folded")]
        assert quotes and not any(q.display for q in quotes)
        heading = view.query_one(MessageHeading)
        heading.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(heading)
        await pilot.pause()
        assert all(q.display for q in quotes)
        assert not any(q.display for q in elsewhere)
        await pilot.click(heading)
        await pilot.pause()
        assert not any(q.display for q in quotes)

    drive(app_for(session), scenario)


def test_the_thread_scrolls_with_the_mouse_wheel_and_with_j(session: Session) -> None:
    conv = max(session.inbox.conversations(), key=lambda c: len(c.message_ids))

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conv))
        thread = reader.query_one("#thread")
        assert thread.max_scroll_y > 0
        # Pilot has no wheel helper; this posts the same events a terminal's wheel produces.
        await pilot._post_mouse_events([MouseScrollDown], thread, offset=(10, 5))
        await pilot.pause()
        wheeled = thread.scroll_y
        assert wheeled > 0
        await pilot.press("j")
        await pilot.pause()
        assert thread.scroll_y > wheeled

    drive(app_for(session), scenario)
