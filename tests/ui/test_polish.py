"""Small things a person notices: footer, Attention key, palette, customer panel, notes."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import TextArea
from textual.widgets._footer import FooterKey

from shared_inbox.domain.model import Location
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.commands import Commands
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.note_editor import NoteEditor, NoteView
from shared_inbox.ui.keys import KEYMAP
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.themes import load_themes
from shared_inbox.ui.views import NEEDS_ATTENTION
from shared_inbox.ui.widgets.customer_panel import break_address
from tests.ui.test_app import ME, NOW, OURS, drive, fill_store, inbox_of, make_config, session
from tests.ui.test_help_palette import palette_options

__all__ = ["session"]


def app_for(session: Session) -> InboxApp:
    return InboxApp(session, sync=False, now=lambda: NOW)


def footer_keys(pilot: Pilot[None]) -> list[tuple[str, str]]:
    return [(key.key_display, key.description) for key in pilot.app.screen.query(FooterKey)]


@pytest.mark.parametrize(("keys", "shown"), [("", "^p"), ('[keys]\npalette = "ctrl+k"\n', "^k")])
def test_the_footer_shows_the_palette_once_under_the_key_the_agent_bound(
    tmp_path: Path, keys: str, shown: str
) -> None:
    fill_store(tmp_path / "store", 20)
    with open_session(make_config(tmp_path, keys), now=lambda: NOW) as opened:

        async def scenario(pilot: Pilot[None]) -> None:
            await pilot.pause()
            palette = [key for key in footer_keys(pilot) if key[1] == "Command palette"]
            assert palette == [(shown, "Command palette")], footer_keys(pilot)

        drive(app_for(opened), scenario)


def test_the_attention_view_has_a_key(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        await pilot.press("minus")
        assert screen.view_id == NEEDS_ATTENTION
        await pilot.press("3")
        assert screen.view_id == "open"

    drive(app_for(session), scenario)


def test_the_palette_offers_only_the_apps_commands_and_themes(session: Session) -> None:
    own = {f"Theme: {theme.name}" for theme in load_themes()}
    registry = {spec.description for spec in KEYMAP}

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+p")
        assert isinstance(pilot.app.screen, CommandPalette)
        everything = {option.hit.text for option in await palette_options(pilot)}
        assert own <= everything and everything <= registry | own, everything - registry - own
        await pilot.press(*"nord")
        found = {option.hit.text for option in await palette_options(pilot)}
        assert found <= registry | own and {text for text in found if "nord" in text} == {"Theme: nord-like"}
        await pilot.press(*["backspace"] * 4, *"high-contrast")
        await palette_options(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.theme == "high-contrast"

    drive(app_for(session), scenario)


LONG_ADDRESS = "chloe.dubois-martin@courriel-entreprise.example"


def add_customer_mail(session: Session, sender: str, uid: int) -> str:
    """A new customer message in the store and the inbox; the id of its conversation."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "Facture du mois"
    message["Date"] = "Tue, 02 Apr 2024 10:00:00 +0000"
    message["Message-ID"] = f"<long-{uid}@example.net>"
    message.set_content("Bonjour,\n")
    raw = message.as_bytes()
    meta = parse_header_block(
        raw, size=len(raw), location=Location("INBOX", 1, uid), our_addresses=OURS, sent_folder=False
    )
    session.store.save_raw(meta.message_id, raw)
    session.store.upsert_messages([meta])
    conv = next(c for c in session.inbox.conversations() if meta.message_id in c.message_ids)
    return conv.id


def test_the_customer_panel_breaks_a_long_address_at_its_at_sign_and_dots(session: Session) -> None:
    conv_id = add_customer_mail(session, f"Chloé Dubois-Martin <{LONG_ADDRESS}>", 90_001)

    async def scenario(pilot: Pilot[None]) -> None:
        conv = session.inbox.conversation(conv_id)
        assert conv is not None
        await pilot.app.push_screen(ReaderScreen(session, conv))
        await pilot.pause()
        shown = pilot.app.screen.query_one("#customer-email", Widget)
        lines = [shown.render_line(y).text.strip() for y in range(shown.size.height)]
        assert len(lines) > 1 and "".join(lines) == LONG_ADDRESS, lines
        assert all(line[0] in "@." for line in lines[1:]), lines

    drive(app_for(session), scenario)


def test_break_address_breaks_before_at_and_dots_and_cuts_only_what_cannot_fit() -> None:
    assert break_address("a@b.example", 40) == ["a@b.example"]
    assert break_address(LONG_ADDRESS, 29) == ["chloe.dubois-martin", "@courriel-entreprise.example"]
    assert break_address(LONG_ADDRESS, 20) == ["chloe.dubois-martin", "@courriel-entreprise", ".example"]
    assert break_address("averyveryverylongname@x.io", 10) == ["averyveryv", "erylongnam", "e@x.io"]


def test_e_edits_your_latest_note_without_focusing_it_first(session: Session) -> None:
    conv = session.inbox.conversations("status:active")[0]
    earlier = Commands(session.inbox, author=ME, now=lambda: NOW - timedelta(hours=1))
    earlier.add_note(conv.id, "First look: courier")
    session.commands.add_note(conv.id, "Waiting for the courier")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.app.push_screen(ReaderScreen(session, conv))
        await pilot.pause()
        assert not isinstance(pilot.app.focused, NoteView)
        await pilot.press("e")
        await pilot.pause()
        editor = pilot.app.screen
        assert isinstance(editor, NoteEditor)
        assert editor.query_one(TextArea).text == "Waiting for the courier"

    drive(app_for(session), scenario)
