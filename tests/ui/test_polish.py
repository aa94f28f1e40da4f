"""Small things a person notices: footer, Attention key, palette, customer panel, notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.keys import KEYMAP
from shared_inbox.ui.themes import load_themes
from shared_inbox.ui.views import NEEDS_ATTENTION
from tests.ui.test_app import NOW, drive, fill_store, inbox_of, make_config, session
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
