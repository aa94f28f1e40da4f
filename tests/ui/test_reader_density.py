"""Reading order and density in the reader: folded older messages, `X`, and newest-first order."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from shared_inbox.domain.model import SEEN, Conversation, Location
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.commands import Commands
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.dialogs.note_editor import NoteView
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from shared_inbox.ui.widgets.message_view import MessagePreview
from tests.ui.test_app import ME, NOW, OURS, drive, fill_store, make_config, session
from tests.ui.test_composer import app_for, open_reader

__all__ = ["session"]

CUSTOMER = "Lena Ortiz <lena@customer.test>"
AGENT = "Alice Agent <alice@example.com>"
LINES = ["The printer jams on page two.", "Which model is it?", "It is the P-200 [red]model[/].",
         "Try the firmware 2.1 please.", "Still jams after the update."]  # fmt: skip


def add_thread(session: Session, length: int, *, read: int, tag: str = "t") -> Conversation:
    """A thread of `length` messages, customer and agent in turn, an hour apart; the first `read` are read."""
    metas = []
    for n in range(length):
        message = EmailMessage()
        message["From"] = CUSTOMER if n % 2 == 0 else AGENT
        message["To"] = "support@example.com"
        message["Subject"] = "Printer jams" if n == 0 else "Re: Printer jams"
        message["Date"] = format_datetime(NOW - timedelta(hours=length - n))
        message["Message-ID"] = f"<{tag}{n}@customer.test>"
        if n:
            message["In-Reply-To"] = f"<{tag}{n - 1}@customer.test>"
            message["References"] = " ".join(f"<{tag}{k}@customer.test>" for k in range(n))
        message.set_content(f"Hello,\n\n{LINES[n % len(LINES)]}\n\nBest,\nL\n")
        raw = message.as_bytes()
        flags = (SEEN,) if n < read else ()
        meta = parse_header_block(
            raw, size=len(raw), location=Location("INBOX", 1, 8000 + n), our_addresses=OURS, flags=flags
        )
        session.store.save_raw(meta.message_id, raw)
        metas.append(meta)
    session.store.upsert_messages(metas)
    conv = session.inbox.conversation(f"{tag}0@customer.test")
    assert conv is not None and len(conv.message_ids) == length
    return conv


def folded(reader: ReaderScreen) -> list[str]:
    return [view.meta.message_id for view in reader.query(MessageView) if view.collapsed]


def test_a_long_thread_opens_with_the_latest_and_the_unread_messages_whole(session: Session) -> None:
    conv = add_thread(session, 5, read=3)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, conv)
        assert folded(reader) == ["t0@customer.test", "t1@customer.test", "t2@customer.test"]
        first = reader.query(MessageView).first()
        preview = str(first.query_one(MessagePreview).visual)
        assert preview.startswith("▸ Lena Ortiz · ") and preview.endswith("The printer jams on page two.")
        third = list(reader.query(MessageView))[2]
        assert "[red]model[/]" in str(third.query_one(MessagePreview).visual)  # plain text, not markup
        assert first.query_one(MessagePreview).display and not first.query_one(".message-body").display
        await pilot.click(MessagePreview)  # the first one: a click opens it
        await pilot.pause()
        assert folded(reader) == ["t1@customer.test", "t2@customer.test"]
        await pilot.press("X")
        await pilot.pause()
        assert folded(reader) == []
        await pilot.press("X")
        await pilot.pause()
        assert folded(reader) == ["t0@customer.test", "t1@customer.test", "t2@customer.test"]

    drive(app_for(session), scenario)


def test_a_short_thread_is_shown_whole(session: Session) -> None:
    conv = add_thread(session, 3, read=3, tag="s")

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, conv)
        assert folded(reader) == []
        assert all(not view.query_one(MessagePreview).display for view in reader.query(MessageView))

    drive(app_for(session), scenario)


def test_newest_first_turns_the_thread_round_with_notes_in_place(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 20)
    config = make_config(tmp_path, '[interface]\nthread_order = "newest_first"\n')
    with open_session(config, now=lambda: NOW) as opened:
        conv = add_thread(opened, 4, read=0)
        between = NOW - timedelta(hours=2, minutes=30)  # after the second message, before the third
        Commands(opened.inbox, author=ME, now=lambda: between).add_note(conv.id, "Asked for the model.")

        async def scenario(pilot: Pilot[None]) -> None:
            reader = await open_reader(pilot, conv)
            order = [
                view.meta.message_id if isinstance(view, MessageView) else "note"
                for view in reader.query_one("#thread").children
                if isinstance(view, MessageView | NoteView)
            ]
            assert order == [
                "t3@customer.test",
                "t2@customer.test",
                "note",
                "t1@customer.test",
                "t0@customer.test",
            ]
            assert folded(reader) == []  # all four were unread
            Commands(opened.inbox, author=ME, now=lambda: NOW).add_note(conv.id, "Firmware sent.")
            await pilot.pause()
            notes = [str(n.query_one(".note-text", Static).visual) for n in reader.query(NoteView)]
            assert notes == ["Firmware sent.", "Asked for the model."]
            assert isinstance(reader.query_one("#thread").children[1], NoteView)  # on top, under the summary

        drive(app_for(opened), scenario)
