"""Merge (selected in the list, or picked from the reader) and split (in the reader), and undo of each."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import OptionList

from shared_inbox.domain.subjects import base_subject
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt
from shared_inbox.ui.screens.reader import MessageView
from shared_inbox.ui.screens.regroup_actions import merge_candidates
from tests.ui.test_app import NOW, drive, inbox_of, session
from tests.ui.test_reader_triage import open_row

__all__ = ["session"]


def ids_of(session: Session) -> set[str]:
    return {conv.id for conv in session.inbox.conversations()}


def test_selected_conversations_merge_into_the_oldest_and_undo_parts_them_again(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        first, second = listing.rows[0], listing.rows[1]
        before = ids_of(session)
        listing.move_cursor(0)
        await pilot.press("x", "x", "ampersand")
        await pilot.pause()
        older, newer = sorted([first, second], key=lambda c: session.inbox.messages_of(c)[0].date)
        merged = session.inbox.conversation(newer.id)
        assert merged is not None and merged.id == older.id
        assert set(first.message_ids) | set(second.message_ids) == set(merged.message_ids)
        assert ids_of(session) == before - {newer.id}
        assert not listing.selected
        assert newer.id not in {conv.id for conv in listing.rows}
        await pilot.press("U")
        await pilot.pause()
        assert ids_of(session) == before
        assert session.inbox.conversation(newer.id).message_ids == newer.message_ids  # type: ignore[union-attr]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_merging_from_the_reader_with_a_picked_conversation_shows_the_merged_thread(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        other = listing.rows[5]
        reader = await open_row(pilot, 2)
        opened = reader.conversation
        await pilot.press("ampersand")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoicePrompt)
        await pilot.press(*other.id, "enter")
        await pilot.pause()
        assert pilot.app.screen is reader
        shown = reader.conversation
        assert set(shown.message_ids) == set(opened.message_ids) | set(other.message_ids)
        assert session.inbox.conversation(opened.id).id == shown.id  # type: ignore[union-attr]
        assert session.inbox.conversation(other.id).id == shown.id  # type: ignore[union-attr]
        await pilot.press("U")
        await pilot.pause()
        assert session.inbox.conversation(other.id).message_ids == other.message_ids  # type: ignore[union-attr]
        assert session.inbox.conversation(opened.id).message_ids == opened.message_ids  # type: ignore[union-attr]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_splitting_in_the_reader_moves_the_message_and_its_replies_out_and_undo_puts_them_back(
    session: Session,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        row = next(n for n, conv in enumerate(listing.rows) if len(conv.message_ids) >= 3)
        reader = await open_row(pilot, row)
        conv = reader.conversation
        await pilot.press("percent_sign")
        await pilot.pause()
        prompt = pilot.app.screen
        assert isinstance(prompt, ChoicePrompt)
        assert prompt.choices[0][0] == conv.message_ids[1]  # the first message cannot leave its own thread
        await pilot.press("down", "enter")  # the third message, and what replies to it
        await pilot.pause()
        assert pilot.app.screen is reader
        third = conv.message_ids[2]
        moved = session.inbox.conversation(third)
        assert moved is not None and moved.id != conv.id
        assert third not in reader.conversation.message_ids
        assert conv.message_ids[:2] == reader.conversation.message_ids[:2]
        await pilot.press("U")
        await pilot.pause()
        back = session.inbox.conversation(third)
        assert back is not None and back.id == conv.id and back.message_ids == conv.message_ids
        assert reader.conversation.message_ids == conv.message_ids

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_split_of_a_one_message_conversation_says_there_is_nothing_to_split(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        row = next(n for n, conv in enumerate(listing.rows) if len(conv.message_ids) == 1)
        reader = await open_row(pilot, row)
        await pilot.press("percent_sign")
        await pilot.pause()
        assert pilot.app.screen is reader
        assert session.store.events() == []

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_split_offers_first_the_message_being_read_not_one_scrolled_past(
    session: Session,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        row = next(n for n, conv in enumerate(listing.rows) if len(conv.message_ids) >= 3)
        reader = await open_row(pilot, row)
        views = list(reader.query(MessageView))
        second = views[1].virtual_region
        thread = reader.query_one("#thread", VerticalScroll)
        thread.scroll_to(y=second.y + second.height - 2, animate=False)  # its last two lines still show
        await pilot.pause()
        await pilot.press("percent_sign")
        await pilot.pause()
        prompt = pilot.app.screen
        assert isinstance(prompt, ChoicePrompt)
        assert prompt.query_one(OptionList).highlighted == 1  # the third message: the one being read
        assert prompt.choices[1][0] == views[2].meta.message_id

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_merge_offers_the_customers_conversations_then_those_with_the_same_subject(session: Session) -> None:
    rows = session.inbox.conversations()
    conv = next(
        c
        for c in rows
        if base_subject(c.subject)
        and any(o.customer != c.customer and base_subject(o.subject) == base_subject(c.subject) for o in rows)
    )
    offered = [conv_id for conv_id, _ in merge_candidates(session, conv, rows)]
    assert conv.id not in offered
    by_id = {c.id: c for c in rows}
    subject = base_subject(conv.subject)

    def rank(other: str) -> int:
        if by_id[other].customer == conv.customer:
            return 0
        return 1 if base_subject(by_id[other].subject) == subject else 2

    ranks = [rank(other) for other in offered]
    assert ranks == sorted(ranks) and 1 in ranks
