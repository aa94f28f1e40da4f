"""The summary in the reader (`S`) and escalating with it (`E`), driven by Pilot."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from shared_inbox.domain.model import Conversation, Location
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.commands import Commands
from shared_inbox.services.notes import conversation_notes
from shared_inbox.services.session import Session
from shared_inbox.ui.dialogs.note_editor import NoteView
from shared_inbox.ui.dialogs.prompts import ChoicePrompt
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.screens.reader_summary import BUILDING, SummaryPanel
from tests.ui.test_app import NOW, OURS, drive, session, until
from tests.ui.test_composer import app_for, open_reader

__all__ = ["session"]

BOB = "bob@example.com"
HOSTILE = "[bold red]pwned[/] \x1b[31m"


def mail(n: int, sender: str, body: str, *, hours_ago: float, reply_to: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "Re: Refund for order 77120" if reply_to else "Refund for order 77120"
    message["Date"] = format_datetime(NOW - timedelta(hours=hours_ago))
    message["Message-ID"] = f"<summary-{n}@customer.test>"
    if reply_to:
        message["In-Reply-To"] = f"<{reply_to}>"
        message["References"] = f"<{reply_to}>"
    message.set_content(body)
    return message.as_bytes()


def add_case(session: Session) -> Conversation:
    """A customer asks two things, an agent answers one, the customer writes back upset."""
    raws = [
        mail(1, "Nina Park <nina@customer.test>", f"Hi,\n\nOrder 77120 {HOSTILE} never came. Can you refund "
             "it?\n\nThanks,\nNina", hours_ago=30),
        mail(2, "Alice Agent <alice@example.com>", "Hi Nina,\n\nThe refund for order 77120 is on its way.\n\n"
             "Alice", hours_ago=20, reply_to="summary-1@customer.test"),
        mail(3, "Nina Park <nina@customer.test>", "Still nothing. Will you also waive the restocking fee?\n\n"
             "> The refund for order 77120 is on its way.", hours_ago=2, reply_to="summary-2@customer.test"),
    ]  # fmt: skip
    metas = []
    for uid, raw in enumerate(raws, start=9001):
        meta = parse_header_block(raw, size=len(raw), location=Location("INBOX", 1, uid), our_addresses=OURS)
        session.store.save_raw(meta.message_id, raw)
        metas.append(meta)
    session.store.upsert_messages(metas)
    conv = session.inbox.conversation("summary-1@customer.test")
    assert conv is not None and len(conv.message_ids) == 3
    return conv


def panel_text(reader: ReaderScreen) -> str:
    return str(reader.query_one(SummaryPanel).visual)


async def shown_summary(pilot: Pilot[None], reader: ReaderScreen) -> str:
    await pilot.press("S")
    await until(pilot, lambda: reader.query_one(SummaryPanel).display and BUILDING not in panel_text(reader))
    return panel_text(reader)


def test_s_shows_the_summary_above_the_thread_as_plain_text_and_hides_it(session: Session) -> None:
    conv = add_case(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, conv)
        panel = reader.query_one(SummaryPanel)
        assert not panel.display
        assert list(reader.query_one("#thread").children)[0] is panel  # above the messages
        text = await shown_summary(pilot, reader)
        assert "Ask: Order 77120 [bold red]pwned[/]" in text and "never came. Can you refund it?" in text
        assert "Open questions:\n  - Will you also waive the restocking fee?" in text
        assert "Mood: frustrated (Still nothing)" in text
        assert "order 77120" in text
        assert "[bold red]pwned[/]" in text and "\x1b" not in text  # shown as written, never as markup
        assert "The refund for order 77120 is on its way." in text  # the reply, in the timeline
        assert text.count("is on its way") == 1  # the customer's quote of it stays out
        await pilot.press("S")
        await pilot.pause()
        assert not panel.display

    drive(app_for(session), scenario)


def test_e_escalates_into_a_note_for_a_teammate_which_u_takes_back(session: Session) -> None:
    conv = add_case(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, conv)
        await pilot.press("E")
        await pilot.pause()
        prompt = pilot.app.screen
        assert isinstance(prompt, ChoicePrompt)
        labels = [str(prompt.query_one(OptionList).get_option_at_index(i).prompt) for i in range(2)]
        assert labels == ["Internal note for Bob Agent <bob@example.com>", "Forward to another address…"]
        await pilot.press("enter")
        await pilot.pause()
        [note] = conversation_notes(session.inbox, conv.id)
        assert note.mentions == (BOB,)
        assert note.text.startswith(f"@{BOB} escalated to you.\n\nSummary: Refund for order 77120")
        assert "Will you also waive the restocking fee?" in note.text
        assert len(reader.query(NoteView)) == 1
        assert any("Escalated to Bob Agent" in str(n.message) for n in pilot.app._notifications)
        await pilot.press("U")
        await pilot.pause()
        assert conversation_notes(session.inbox, conv.id) == []
        assert len(reader.query(NoteView)) == 0

    drive(app_for(session), scenario)


def test_e_can_forward_the_summary_above_the_customers_message(session: Session) -> None:
    conv = add_case(session)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, conv)
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
        composer = pilot.app.screen
        assert isinstance(composer, ComposerScreen) and composer.mode == "forward"
        body = composer.query_one("#composer-body", TextArea)
        await until(pilot, lambda: "Forwarded" in body.text or "From:" in body.text)
        assert body.text.startswith("Summary: Refund for order 77120\nAsk: Order 77120 [bold red]pwned[/]")
        assert body.text.index("Open questions:") < body.text.index(
            "Still nothing.", body.text.index("What happened")
        )
        assert composer.query_one("#composer-to", Input).value == ""  # the agent names the other team

    drive(app_for(session), scenario)


def test_a_note_written_elsewhere_shows_in_the_open_reader(session: Session) -> None:
    conv = add_case(session)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, conv)
        assert len(reader.query(NoteView)) == 0
        Commands(session.inbox, author=BOB, now=lambda: NOW).add_note(conv.id, "I call her back at 3.")
        await until(pilot, lambda: len(reader.query(NoteView)) == 1)
        assert "I call her back at 3." in str(
            reader.query_one(NoteView).query_one(".note-text", Static).visual
        )

    drive(app_for(session), scenario)


def test_the_summary_takes_in_a_body_that_arrives_while_it_is_shown(session: Session) -> None:
    raw = mail(
        7, "Nina Park <nina@customer.test>", "Hi,\n\nParcel 55123 is lost. Can you resend it?\n", hours_ago=1
    )
    meta = parse_header_block(raw, size=len(raw), location=Location("INBOX", 1, 9100), our_addresses=OURS)
    session.store.upsert_messages([meta])  # headers only: the body is not downloaded yet
    conv = session.inbox.conversation(meta.message_id)
    assert conv is not None

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, conv)
        text = await shown_summary(pilot, reader)
        assert "Parcel 55123" not in text and "(no text)" in text
        session.store.save_raw(meta.message_id, raw)  # as the body service does, then it tells the reader
        reader.post_message(ReaderScreen.BodyFetched(meta.message_id, raw))
        await until(pilot, lambda: "Ask: Parcel 55123 is lost. Can you resend it?" in panel_text(reader))

    drive(app_for(session), scenario)
