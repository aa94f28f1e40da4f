"""Linking and unlinking a customer's addresses from the reader's customer panel, and undo."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from shared_inbox.services import customer_links
from shared_inbox.services.session import open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.widgets.customer_panel import CustomerPanel
from tests.ui.test_app import NOW, drive, inbox_of, make_config, static_texts
from tests.unit.test_customer_links import HOME, WORK, WORK_TWIN, fill


def test_link_a_suggested_address_then_unlink_it_and_undo(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with open_session(make_config(tmp_path), now=lambda: NOW) as session:

        async def scenario(pilot: Pilot[None]) -> None:
            listing = inbox_of(pilot.app).conversation_list
            row = next(n for n, conv in enumerate(listing.rows) if conv.subject == "Invoice 4711")
            listing.move_cursor(row)
            await pilot.press("enter")
            await pilot.pause()
            reader = pilot.app.screen
            assert isinstance(reader, ReaderScreen)
            panel_text = static_texts(reader.query_one(CustomerPanel))
            assert "Maybe the same customer" in panel_text and "written in the customer's mail" in panel_text
            await pilot.press("L")
            await pilot.pause()
            prompt = pilot.app.screen
            assert isinstance(prompt, ChoicePrompt)
            assert [key for key, _ in prompt.choices] == [f"link:{WORK_TWIN.email}", f"link:{HOME.email}"]
            await pilot.press("down", "enter")
            await pilot.pause()
            assert customer_links.person_addresses(session.inbox, WORK.email) == {WORK.email, HOME.email}
            panel = reader.query_one(CustomerPanel)
            assert "Also writes from" in static_texts(panel)
            assert panel.profile is not None and panel.profile.linked == (HOME.email,)
            assert "Weekend order" in {conv.subject for conv in panel.others}
            await pilot.press("L")
            await pilot.pause()
            prompt = pilot.app.screen
            assert isinstance(prompt, ChoicePrompt)
            assert prompt.choices[-1][0] == f"unlink:{HOME.email}"
            await pilot.press("up", "enter")  # the last choice
            await pilot.pause()
            assert customer_links.person_addresses(session.inbox, WORK.email) == {WORK.email}
            assert "Also writes from" not in static_texts(reader.query_one(CustomerPanel))
            await pilot.press("U")
            await pilot.pause()
            assert customer_links.person_addresses(session.inbox, WORK.email) == {WORK.email, HOME.email}
            assert "Also writes from" in static_texts(reader.query_one(CustomerPanel))

        drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
