"""Small things a person notices: footer, Attention key, palette, customer panel, notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.views import NEEDS_ATTENTION
from tests.ui.test_app import NOW, drive, fill_store, inbox_of, make_config, session

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
