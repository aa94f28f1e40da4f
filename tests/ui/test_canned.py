"""Canned replies and promise tracking in the composer, driven by Pilot over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from shared_inbox.canned import usage_counts
from shared_inbox.domain.promise_events import PROMISE_SET, reduce_promises
from shared_inbox.domain.templates import split_name
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.canned_picker import BlanksForm, CannedPicker
from shared_inbox.ui.dialogs.promise_prompt import PromisePrompt
from shared_inbox.ui.screens.composer import ComposerScreen
from tests.ui.test_app import NOW, drive, fill_store, make_config
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader

ORDER_REPLY = """+++
name = "Order status"
tags = ["shipping"]
[actions]
tags = ["orders"]
+++
Hi {{ customer.first_name | default: "there" }}, order {{ ask "Order number" }} ships today.
{{ agent.first_name }} at {{ company.name }}
"""
THANKS_REPLY = '+++\nname = "Thanks"\n+++\nThank you for your patience.\n'
BROKEN_REPLY = '+++\nname = "Typo"\n+++\nHi {{ customer.nickname }}\n'


@pytest.fixture
def canned_session(tmp_path: Path) -> Iterator[Session]:
    team, mine = tmp_path / "team", tmp_path / "mine"
    team.mkdir()
    mine.mkdir()
    (team / "order.md").write_text(ORDER_REPLY, encoding="utf-8")
    (team / "typo.md").write_text(BROKEN_REPLY, encoding="utf-8")
    (mine / "thanks.md").write_text(THANKS_REPLY, encoding="utf-8")
    fill_store(tmp_path / "store", 150)
    extra = f'[canned]\ndir = "{team}"\npersonal_dir = "{mine}"\n[business_hours]\ntimezone = "UTC"\n'
    with open_session(make_config(tmp_path, extra), now=lambda: NOW) as opened:
        yield opened


async def loaded_picker(pilot: Pilot[None]) -> CannedPicker:
    await pilot.press("ctrl+g")
    picker = pilot.app.screen
    assert isinstance(picker, CannedPicker)
    for _ in range(200):  # the library loads in a thread
        if picker.choices is not None:
            break
        await pilot.pause(0.02)
    assert picker.choices is not None
    return picker


async def pick(pilot: Pilot[None], typed: str) -> None:
    picker = await loaded_picker(pilot)
    picker.query_one(Input).value = typed
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


def body_of(screen: ComposerScreen) -> TextArea:
    return screen.query_one("#composer-body", TextArea)


def test_a_reply_with_a_blank_is_filled_in_and_inserted_at_the_cursor(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        conv = answerable(app)
        assert conv.customer is not None
        first_name = split_name(conv.customer.name)[0] or "there"
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        body_of(composer).load_text("Before.\n")
        body_of(composer).move_cursor((1, 0))

        await pick(pilot, "order")
        form = app.screen
        assert isinstance(form, BlanksForm) and form.questions == ["Order number"]
        await pilot.press("A", "minus", "1", "7", "enter")
        await pilot.pause()
        assert app.screen is composer
        expected = f"Hi {first_name}, order A-17 ships today.\nAlice at Acme Support\n"
        assert body_of(composer).text == "Before.\n" + expected

        await pick(pilot, "thanks")  # a second one goes in after the first
        assert body_of(composer).text == "Before.\n" + expected + "Thank you for your patience.\n"

        await pilot.press("ctrl+s")
        await pilot.pause()
        updated = canned_session.inbox.conversation(conv.id)
        assert updated is not None and "orders" in updated.state.tags
        assert usage_counts(canned_session.store) == {"order.md": 1, "~/thanks.md": 1}

    drive(app, scenario)


def test_the_name_in_the_customer_profile_fills_customer_first_name(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        conv = answerable(app)
        assert conv.customer is not None and split_name(conv.customer.name)[0] != "Bob"
        canned_session.commands.set_customer_field(conv.id, conv.customer.email, "name", "Bob")
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        await pick(pilot, "order")
        await pilot.press("7", "enter")
        await pilot.pause()
        assert body_of(composer).text.startswith("Hi Bob, order 7 ships today.")

    drive(app, scenario)


def test_the_picker_ranks_lists_and_filters_the_library(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, answerable(app))
        await open_composer(pilot)
        picker = await loaded_picker(pilot)
        assert picker.choices is not None
        assert {r.id for r in picker.shown} == {"order.md", "~/thanks.md", "typo.md"}
        picker.query_one(Input).value = "thnk"
        await pilot.pause()
        assert [r.id for r in picker.shown] == ["~/thanks.md"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen) and body_of(app.screen).text == ""

    drive(app, scenario)


def test_an_unknown_variable_is_an_error_and_nothing_is_inserted(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, answerable(app))
        composer = await open_composer(pilot)
        await pick(pilot, "typo")
        assert app.screen is composer and body_of(composer).text == ""
        assert any('unknown variable "customer.nickname"' in n.message for n in app._notifications)

    drive(app, scenario)


def test_an_unfilled_blank_inserts_nothing(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, answerable(app))
        composer = await open_composer(pilot)
        await pick(pilot, "order")
        await pilot.press("enter")  # the blank left empty
        await pilot.pause()
        assert app.screen is composer and body_of(composer).text == ""
        assert any('"Order number" is not filled in' in n.message for n in app._notifications)

    drive(app, scenario)


def test_text_still_holding_a_tag_is_not_queued(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, answerable(app))
        composer = await open_composer(pilot)
        body_of(composer).load_text("Hi,\nyour order {{ ask }} ships.\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is composer
        assert not list(app.replies.outbox.entries())
        assert any("Line 2, column 12" in n.message for n in app._notifications)

    drive(app, scenario)


def promises_of(session: Session, conv_id: str) -> list[tuple[str, str]]:
    events = session.inbox.events_of(conv_id)
    return [(p.text, p.due.isoformat()) for p in reduce_promises(e for e in events if e.kind == PROMISE_SET)]


async def send_with_promises(pilot: Pilot[None], app: InboxApp, text: str) -> PromisePrompt:
    composer = await open_composer(pilot)
    body_of(composer).load_text(text)
    await pilot.press("ctrl+s")
    await pilot.pause()
    prompt = app.screen
    assert isinstance(prompt, PromisePrompt)
    return prompt


def test_accepting_a_detected_promise_records_it(canned_session: Session) -> None:
    app = app_for(canned_session)  # NOW is Sunday 9 June 2024

    async def scenario(pilot: Pilot[None]) -> None:
        conv = answerable(app)
        await open_reader(pilot, conv)
        text = "Thanks for the details.\nI will get back to you by Friday.\n\n> When do I hear back?\n"
        prompt = await send_with_promises(pilot, app, text)
        assert [c.phrase for c in prompt.candidates] == ["by Friday"]
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PromisePrompt)
        assert promises_of(canned_session, conv.id) == [
            ("I will get back to you by Friday.", "2024-06-14T17:00:00+00:00")
        ]

    drive(app, scenario)


def test_a_promise_can_be_retimed_and_another_dropped(canned_session: Session) -> None:
    app = app_for(canned_session)

    async def scenario(pilot: Pilot[None]) -> None:
        conv = answerable(app)
        await open_reader(pilot, conv)
        text = "We will ship it by Wednesday. I will call you tomorrow morning.\n"
        prompt = await send_with_promises(pilot, app, text)
        assert [c.phrase for c in prompt.candidates] == ["by Wednesday", "tomorrow morning"]
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = "thursday 12:00"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is prompt
        await pilot.press("enter")  # tracks the first, re-timed
        await pilot.pause()
        await pilot.press("d")  # drops the second; nothing is left, so the prompt closes
        await pilot.pause()
        assert not isinstance(app.screen, PromisePrompt)
        assert promises_of(canned_session, conv.id) == [
            ("We will ship it by Wednesday.", "2024-06-13T12:00:00+00:00")
        ]

    drive(app, scenario)
