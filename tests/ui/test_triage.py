"""Search, selection, bulk triage, snooze, tags, undo and mark-read in the conversation list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.pilot import Pilot

from shared_inbox.domain.model import SEEN, ConversationState, Status
from shared_inbox.domain.query import QueryError, parse_query
from shared_inbox.services.flags import PendingFlags
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, TextPrompt, snooze_presets
from shared_inbox.ui.screens.inbox import inverse_commands
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.ui.test_app import ME, NOW, drive, inbox_of, session, visible_text

__all__ = ["session"]  # the fixture, shared with the app tests


def app_for(session: Session) -> InboxApp:
    return InboxApp(session, sync=False, now=lambda: NOW)


def state_of(session: Session, conv_id: str) -> ConversationState:
    conv = session.inbox.conversation(conv_id)
    assert conv is not None
    return conv.state


def notifications(pilot: Pilot[None]) -> list[str]:
    return [note.message for note in pilot.app._notifications]


def common_word(session: Session) -> str:
    """A subject word shared by several, but not all, open conversations."""
    convs = session.inbox.conversations("status:active")
    for conv in convs:
        for word in conv.subject.split():
            if word.isalpha() and len(word) > 4:
                hits = len(session.inbox.conversations(word))
                if 3 <= hits < len(convs):
                    return word
    raise AssertionError("the generated mail has no shared subject word")


async def type_into_prompt(pilot: Pilot[None], text: str) -> None:
    await pilot.pause()
    assert isinstance(pilot.app.screen, TextPrompt)
    await pilot.press(*text, "enter")
    await pilot.pause()


def test_search_replaces_the_list_and_n_moves_between_matches(session: Session) -> None:
    word = common_word(session)
    expected = [c.id for c in session.inbox.conversations(word)]

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        open_rows = [c.id for c in listing.rows]
        await pilot.press("slash")
        await type_into_prompt(pilot, word)
        assert [c.id for c in listing.rows] == expected
        assert listing.cursor == 0
        await pilot.press("n", "n")
        assert listing.cursor == 2
        await pilot.press("N")
        assert listing.cursor == 1
        await pilot.press("N", "N")
        assert listing.cursor == len(expected) - 1
        await pilot.press("escape")
        assert [c.id for c in listing.rows] == open_rows

    drive(app_for(session), scenario)


def test_a_bad_query_shows_its_error_and_keeps_the_list(session: Session) -> None:
    bad = "colour:red"
    with pytest.raises(QueryError) as caught:
        parse_query(bad, me=ME)

    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        before = [c.id for c in listing.rows]
        await pilot.press("slash")
        await type_into_prompt(pilot, bad)
        assert str(caught.value) in notifications(pilot)
        assert [c.id for c in listing.rows] == before
        assert inbox_of(pilot.app).search_query == ""

    drive(app_for(session), scenario)


def test_t_tags_and_shift_t_removes_the_tag(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        target = listing.current
        assert target is not None
        await pilot.press("t")
        await type_into_prompt(pilot, "refunds")
        assert "refunds" in state_of(session, target.id).tags
        assert "refunds" in visible_text(listing)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoicePrompt)
        await pilot.press("enter")
        await pilot.pause()
        assert "refunds" not in state_of(session, target.id).tags

    drive(app_for(session), scenario)


def test_snoozing_with_a_preset_moves_the_conversation_to_snoozed(session: Session) -> None:
    first_preset = snooze_presets(NOW)[0][2]

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        target = screen.conversation_list.current
        assert target is not None
        snoozed_before = screen.counts["snoozed"]
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoicePrompt)
        await pilot.press("down", "up", "enter")  # the arrows move through the presets from the typed line
        await pilot.pause()
        assert state_of(session, target.id).snoozed_until == first_preset
        assert screen.counts["snoozed"] == snoozed_before + 1
        assert target.id not in {c.id for c in screen.conversation_list.rows}

    drive(app_for(session), scenario)


def test_snoozing_with_a_typed_time(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        target = screen.conversation_list.current
        assert target is not None
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"in 3 days", "enter")  # typing goes straight into the line, no Tab first
        await pilot.pause()
        until = state_of(session, target.id).snoozed_until
        assert until is not None and (until - NOW).days == 3

    drive(app_for(session), scenario)


def test_presets_skip_later_today_once_the_evening_has_passed() -> None:
    evening = NOW.replace(hour=18)
    ids = [key for key, _, _ in snooze_presets(evening, NOW.tzinfo)]
    assert ids == ["tomorrow", "next_week"]
    morning = [at for _, _, at in snooze_presets(NOW.replace(hour=8), NOW.tzinfo)]
    assert [at.hour for at in morning] == [17, 9, 9]
    assert morning[2].weekday() == 0 and morning[2] > NOW


def test_no_two_presets_name_the_same_moment_on_any_day() -> None:
    zone = NOW.tzinfo
    for day in range(14):
        for hour in (0, 8, 12, 17, 23):
            now = NOW.replace(hour=hour, minute=30) + timedelta(days=day)
            presets = {key: at for key, _, at in snooze_presets(now, zone)}
            moments = list(presets.values())
            assert moments == sorted(set(moments)) and moments[0] > now, now
            assert presets["next_week"].weekday() == 0
            assert presets["next_week"].date() - now.date() <= timedelta(days=8)
            labels = [label for _, label, _ in snooze_presets(now, zone)]
            assert len(set(labels)) == len(labels)


def test_closing_three_selected_conversations_at_once(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        chosen = [c.id for c in listing.rows[:3]]
        open_before = screen.counts["open"]
        await pilot.press("x", "x", "x")
        assert [c.id for c in listing.selected] == chosen
        assert visible_text(listing).count("●") == 3
        await pilot.press("c")
        assert all(state_of(session, cid).status is Status.CLOSED for cid in chosen)
        assert screen.counts["open"] == open_before - 3
        assert listing.selected == []
        assert "●" not in visible_text(listing)

    drive(app_for(session), scenario)


def test_a_bulk_action_clears_the_selection_even_when_the_rows_stay(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        chosen = [c.id for c in listing.rows[:2]]
        await pilot.press("x", "x", "m")
        assert all(state_of(session, cid).assignee == ME for cid in chosen)
        assert {c.id for c in listing.rows} >= set(chosen)
        assert listing.selected == []

    drive(app_for(session), scenario)


def test_undo_takes_back_the_last_change(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        first, second = (c.id for c in listing.rows[:2])
        await pilot.press("m")
        assert state_of(session, first).assignee == ME
        await pilot.press("x", "x", "c")
        assert state_of(session, second).status is Status.CLOSED
        await pilot.press("U")
        assert state_of(session, first).status is Status.ACTIVE
        assert state_of(session, second).status is Status.ACTIVE
        assert state_of(session, first).assignee == ME
        await pilot.press("U")
        assert state_of(session, first).assignee is None
        await pilot.press("U")
        assert "Nothing to undo." in notifications(pilot)

    drive(app_for(session), scenario)


def test_assign_to_a_teammate_then_unassign(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        target = inbox_of(pilot.app).conversation_list.current
        assert target is not None
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoicePrompt)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert state_of(session, target.id).assignee == "bob@example.com"
        await pilot.press("u")
        assert state_of(session, target.id).assignee is None

    drive(app_for(session), scenario)


def test_inverse_commands_restore_every_changed_field(session: Session) -> None:
    conv = session.inbox.conversations("status:active")[0]
    commands = session.commands
    before = ConversationState(tags=frozenset({"vip"}))
    commands.tag(conv.id, "vip")
    commands.set_status(conv.id, "pending")
    commands.assign(conv.id, "bob@example.com")
    commands.tag(conv.id, "billing")
    commands.untag(conv.id, "vip")
    commands.snooze(conv.id, NOW.replace(year=NOW.year + 1))
    for step in inverse_commands(commands, conv.id, before, state_of(session, conv.id)):
        step()
    assert state_of(session, conv.id) == before


def test_opening_a_conversation_marks_it_read(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        index = next(i for i, c in enumerate(listing.rows) if c.unread)
        target = listing.rows[index]
        listing.move_cursor(index)
        await pilot.pause()
        row = index - int(listing.scroll_offset.y)
        assert any(seg.style and seg.style.bold for seg in listing.render_line(row))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReaderScreen)
        await pilot.press("q")
        await pilot.pause()
        refreshed = session.inbox.conversation(target.id)
        assert refreshed is not None and refreshed.unread == 0
        queued = {mid for mid, flag, add in PendingFlags(session.store).load() if flag == SEEN and add}
        assert set(target.message_ids) & queued
        row = listing.cursor - int(listing.scroll_offset.y)
        assert target.subject[:15] in listing.render_line(row).text
        assert not any(seg.style and seg.style.bold for seg in listing.render_line(row))

    drive(app_for(session), scenario)


def test_shift_x_selects_the_range_from_the_last_toggled_row(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        await pilot.press("j", "x")  # toggles row 1, cursor moves to row 2
        await pilot.press("j", "j", "j")  # cursor on row 5
        await pilot.press("X")
        assert [c.id for c in listing.selected] == [c.id for c in listing.rows[1:6]]
        chosen = [c.id for c in listing.selected]
        await pilot.press("p")
        assert all(state_of(session, cid).status is Status.PENDING for cid in chosen)
        assert listing.selected == []

    drive(app_for(session), scenario)


def test_shift_m_marks_read_then_unread_again(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        index = next(i for i, c in enumerate(listing.rows) if c.unread and c.last_customer_message)
        listing.move_cursor(index)
        target = listing.rows[index].id
        await pilot.press("M")
        conv = session.inbox.conversation(target)
        assert conv is not None and conv.unread == 0
        assert next(c for c in listing.rows if c.id == target).unread == 0
        await pilot.press("M")
        conv = session.inbox.conversation(target)
        assert conv is not None and conv.unread == 1
        latest = [m for m in session.inbox.messages_of(conv) if not m.outgoing][-1]
        assert latest.unread
        queued = {(mid, add) for mid, flag, add in PendingFlags(session.store).load() if flag == SEEN}
        assert (latest.message_id, False) in queued
        assert next(c for c in listing.rows if c.id == target).unread == 1

    drive(app_for(session), scenario)


def test_number_keys_switch_views(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        for key, view_id in (("1", "unassigned"), ("4", "pending"), ("6", "closed"), ("3", "open")):
            await pilot.press(key)
            assert screen.view_id == view_id
            assert len(screen.conversation_list.rows) == screen.counts[view_id]

    drive(app_for(session), scenario)
