"""The TUI driven by Textual's Pilot, over a store filled by the real parser from generated mail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList, Static

from shared_inbox.config import Config, parse_config
from shared_inbox.corpus import generate
from shared_inbox.domain.model import Conversation, Customer, Location, Status
from shared_inbox.mail.body import read_message
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.session import Session, open_session
from shared_inbox.store import Store
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from shared_inbox.ui.views import VIEWS, view_order
from shared_inbox.ui.widgets.conversation_list import ConversationList

START = datetime(2024, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=100)
ME = "alice@example.com"
OURS = frozenset({"support@example.com", "alice@example.com", "bob@example.com"})
CLICK_SUBJECT = "[@click=app.quit]click me"
ESCAPE_SUBJECT = "Order \x1b]0;title\x07 pending"

CONFIG = """
[account]
name = "Acme Support"
address = "support@example.com"

[imap]
host = "127.0.0.1"
port = 1143
security = "none"
username = "support"
password_command = "printf %s unused"

[smtp]
host = "127.0.0.1"
port = 2525
security = "none"

[team]
me = "alice@example.com"

[[team.members]]
name = "Alice Agent"
email = "alice@example.com"

[[team.members]]
name = "Bob Agent"
email = "bob@example.com"

[store]
path = "{store}"
{extra}
"""


def hostile(subject: str, n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Mallory {n} <mallory{n}@example.net>"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Date"] = "Tue, 02 Apr 2024 10:00:00 +0000"
    message["Message-ID"] = f"<hostile-{n}@example.net>"
    message.set_content("Please look at this.\n")
    return message.as_bytes()


def fill_store(path: Path, count: int) -> None:
    """Generated support mail plus two hostile subjects, parsed and stored as sync would."""
    mails = list(generate(count, seed=3, start=START))
    mails += [("INBOX", hostile(CLICK_SUBJECT, 1)), ("INBOX", hostile(ESCAPE_SUBJECT, 2))]
    with Store.open(path) as store:
        metas = []
        for uid, (folder, raw) in enumerate(mails, start=1):
            meta = parse_header_block(
                raw,
                size=len(raw),
                location=Location(folder, 1, uid),
                our_addresses=OURS,
                sent_folder=folder == "Sent",
            )
            metas.append(meta)
            store.save_raw(meta.message_id, raw)
        store.upsert_messages(metas)


def make_config(tmp_path: Path, extra: str = "") -> Config:
    return parse_config(CONFIG.format(store=tmp_path / "store", extra=extra), base_dir=tmp_path)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    fill_store(tmp_path / "store", 150)
    with open_session(make_config(tmp_path), now=lambda: NOW) as opened:
        yield opened


async def until(pilot: Pilot[None], done: Callable[[], object], rounds: int = 600) -> None:
    """Let the app run until `done()` holds; a bounded wait for its workers, not a timing assertion."""
    for _ in range(rounds):
        if done():
            return
        await pilot.pause(0.05)
    assert done()


def drive(app: App[None], scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(run())


def inbox_of(app: App[None]) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def visible_text(widget: ConversationList) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def static_texts(root: Widget) -> str:
    return "\n".join(str(static.visual) for static in root.query(Static))


def test_first_screen_lists_every_open_conversation(session: Session) -> None:
    expected = view_order("open", session.inbox.conversations("status:active"))

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listed = screen.conversation_list.rows
        assert len(expected) > 10
        assert [c.id for c in listed] == [c.id for c in expected]
        assert screen.counts["open"] == len(expected)
        sidebar = screen.query_one("#sidebar", OptionList)
        assert str(len(expected)) in str(sidebar.get_option_at_index(2).prompt)
        assert expected[0].subject[:20] in visible_text(screen.conversation_list)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_j_k_enter_opens_the_reader_and_q_goes_back(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        await pilot.press("j", "j", "k")
        assert screen.conversation_list.cursor == 1
        chosen = screen.conversation_list.rows[1]
        await pilot.press("enter")
        await pilot.pause()
        reader = pilot.app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.conversation.id == chosen.id
        views = list(reader.query(MessageView))
        assert [v.meta.message_id for v in views] == chosen.message_ids
        first = session.inbox.messages_of(chosen)[0]
        raw = session.store.load_raw(first.message_id)
        assert raw is not None
        opening = next(s.text for s in read_message(raw).segments if s.kind == "text").strip().splitlines()[0]
        shown = static_texts(views[0])
        assert first.sender.email in shown
        assert opening in shown
        await pilot.press("q")
        assert pilot.app.screen is screen

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_assigning_to_me_raises_the_mine_count(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        before = screen.counts["mine"]
        target = screen.conversation_list.current
        assert target is not None
        await pilot.press("m")
        assert screen.counts["mine"] == before + 1
        updated = session.inbox.conversation(target.id)
        assert updated is not None and updated.state.assignee == ME
        assert "alice" in visible_text(screen.conversation_list)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_closing_moves_the_conversation_to_closed(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        open_before, closed_before = screen.counts["open"], screen.counts["closed"]
        target = screen.conversation_list.current
        assert target is not None
        await pilot.press("c")
        assert screen.counts["closed"] == closed_before + 1
        assert screen.counts["open"] == open_before - 1
        assert target.id not in {c.id for c in screen.conversation_list.rows}
        updated = session.inbox.conversation(target.id)
        assert updated is not None and updated.state.status is Status.CLOSED

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_choosing_a_view_in_the_sidebar_filters_the_list(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        target = screen.conversation_list.current
        assert target is not None
        await pilot.press("c")
        screen.query_one("#sidebar", OptionList).focus()
        steps = [v.id for v in VIEWS].index("closed") - [v.id for v in VIEWS].index("open")
        await pilot.press(*["down"] * steps, "enter")
        assert screen.view_id == "closed"
        assert [c.id for c in screen.conversation_list.rows] == [target.id]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_hostile_subjects_render_as_plain_text(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        for sender in ("mallory1@example.net", "mallory2@example.net"):
            index = next(i for i, c in enumerate(listing.rows) if c.customer and c.customer.email == sender)
            subject = listing.rows[index].subject
            listing.move_cursor(index)
            await pilot.pause()
            text = visible_text(listing)
            assert subject in text
            assert "\x1b" not in text and "\x07" not in text
            row = index - int(listing.scroll_offset.y)
            await pilot.click(listing, offset=(30, row))
            await pilot.click(listing, offset=(30, row), times=2)
            await pilot.pause()
            assert pilot.app.is_running
            reader = pilot.app.screen
            assert isinstance(reader, ReaderScreen)
            header = str(reader.query_one("#reader-header", Static).visual)
            assert subject in header and "\x1b" not in header
            await pilot.press("q")
        assert CLICK_SUBJECT in {c.subject for c in listing.rows}
        assert pilot.app.is_running

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_the_list_shows_control_characters_inert_even_if_they_reach_it() -> None:
    row = conversation(1)
    row.subject = ESCAPE_SUBJECT

    async def run() -> None:
        app = ListOnly()
        async with app.run_test(size=(140, 10)) as pilot:
            listing = app.query_one(ConversationList)
            listing.set_conversations([row])
            await pilot.pause()
            text = visible_text(listing)
            assert "]0;title" in text
            assert "\x1b" not in text and "\x07" not in text

    asyncio.run(run())


def test_configured_keys_replace_the_defaults(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 40)
    config = make_config(tmp_path, '[keys]\nassign_me = "ctrl+y"\n')
    with open_session(config, now=lambda: NOW) as opened:

        async def scenario(pilot: Pilot[None]) -> None:
            screen = inbox_of(pilot.app)
            await pilot.press("m")
            assert screen.counts["mine"] == 0
            await pilot.press("ctrl+y")
            assert screen.counts["mine"] == 1

        drive(InboxApp(opened, sync=False, now=lambda: NOW), scenario)


def conversation(n: int) -> Conversation:
    return Conversation(
        id=f"c{n}",
        subject=f"Question number {n}",
        message_ids=[f"m{n}@example.com"],
        customer=Customer(f"customer{n}@example.com", f"Customer {n}"),
        last_activity=START + timedelta(minutes=n),
        last_customer_message=START + timedelta(minutes=n),
        unread=n % 2,
    )


class ListOnly(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationList(now=lambda: NOW)


def test_fifty_thousand_conversations_render_without_a_widget_per_row() -> None:
    rows = [conversation(n) for n in range(50_000)]

    async def run() -> None:
        app = ListOnly()
        async with app.run_test(size=(140, 30)) as pilot:
            listing = app.query_one(ConversationList)
            listing.set_conversations(rows)
            listing.focus()
            await pilot.pause()
            assert len(list(app.query("*"))) < 50
            await pilot.press("G")
            await pilot.pause()
            assert listing.cursor == 49_999
            assert "Question number 49999" in visible_text(listing)
            await pilot.press("g", "j")
            assert listing.cursor == 1
            assert "Question number 0" in visible_text(listing)

    asyncio.run(run())


def test_z_unfolds_quoted_text_in_the_reader(session: Session) -> None:
    def has_quote(conv: Conversation) -> bool:
        for meta in session.inbox.messages_of(conv):
            raw = session.store.load_raw(meta.message_id)
            if raw and any(s.kind == "quote" for s in read_message(raw).segments):
                return True
        return False

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        listing.move_cursor(next(i for i, c in enumerate(listing.rows) if has_quote(c)))
        await pilot.press("enter")
        await pilot.pause()
        reader = pilot.app.screen
        assert isinstance(reader, ReaderScreen)
        quotes = list(reader.query(".segment.quote"))
        assert quotes and not any(q.display for q in quotes)
        await pilot.press("z")
        await pilot.pause()
        assert all(q.display for q in quotes)
        await pilot.press("z")
        await pilot.pause()
        assert not any(q.display for q in quotes)

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


@pytest.mark.integration
def test_the_app_syncs_the_demo_mailbox_and_reports_idle(tmp_path: Path) -> None:
    from shared_inbox.demo import open_demo

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        for _ in range(400):  # bounded wait for the first sync round, not a timing assertion
            if app.last_sync is not None and "idle" in app.status_line:
                break
            await pilot.pause(0.05)
        assert app.last_sync is not None
        assert "IDLE on" in app.status_line and app.session.config.team.me in app.status_line
        screen = inbox_of(app)
        assert screen.counts["open"] == len(app.session.inbox.conversations("status:active")) > 0

    with open_demo(parent=tmp_path) as demo, open_session(demo.config) as opened:
        drive(InboxApp(opened, sync=True), scenario)


def test_help_lists_only_keys_the_app_offers(session: Session) -> None:
    from shared_inbox.ui.keys import KEYMAP, KeySpec
    from shared_inbox.ui.screens.help import HelpScreen

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        shown = static_texts(pilot.app.screen)
        assert "Assign to me" in shown and "Show or hide quoted text" in shown
        missing = KeySpec("nothing", "f12", "Does nothing", "list", "no_such_action")
        assert not pilot.app._offers(missing)  # type: ignore[attr-defined]
        offered = {spec.id for spec in KEYMAP if pilot.app._offers(spec)}  # type: ignore[attr-defined]
        for spec in KEYMAP:
            assert (spec.description in shown) == (spec.id in offered), spec.id

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
