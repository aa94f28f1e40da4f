"""Promises, follow-ups and SLA clocks in the TUI: countdown badges, views, the reader, overdue alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.style import Style
from textual.pilot import Pilot
from textual.widgets import Button

from shared_inbox.domain.events import event_from_json
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.domain.sla import FollowUp, PromiseState
from shared_inbox.services.deadlines import tracker_for
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.widgets.deadline_badges import DeadlineRow, DeadlinesPanel
from tests.ui.test_app import NOW, drive, fill_store, inbox_of, make_config, visible_text


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(tmp_path: Path, clock: Clock) -> Iterator[Session]:
    """A session whose commands and app share one clock the test can move."""
    fill_store(tmp_path / "store", 150)
    with open_session(make_config(tmp_path), now=clock) as opened:
        yield opened


def open_convs(session: Session) -> list[Conversation]:
    return session.inbox.conversations("status:active")


def promises_of(session: Session, conv: Conversation) -> dict[str, PromiseState]:
    events = [event_from_json(raw) for raw in session.store.events()]
    mine = [e for e in events if e.anchor in conv.message_ids]
    return {p.text: p.state for p in reduce_promises(mine)}


def notices(pilot: Pilot[None]) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications]


def test_badges_and_views_show_what_is_due_soon_and_overdue(timed: Session) -> None:
    soon, late, later = open_convs(timed)[3:6]
    timed.commands.set_promise(soon.id, "Send the label", NOW + timedelta(hours=2))
    timed.commands.set_promise(late.id, "Call back", NOW - timedelta(hours=5))
    timed.commands.set_promise(later.id, "Refund", NOW + timedelta(days=2))

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        assert (screen.counts["due_soon"], screen.counts["overdue"]) == (1, 1)
        await pilot.press("0")
        listing = screen.conversation_list
        assert [c.id for c in listing.rows] == [late.id]
        assert "-5h" in visible_text(listing)
        row = listing.row_text(listing.rows[0], 160, Style())
        badge = next(span for span in row.spans if row.plain[span.start : span.end].strip() == "-5h")
        error = listing.get_component_rich_style("conversation-list--due-overdue")
        assert Style.parse(str(badge.style)).color == error.color
        assert error.color is not None and error.color.triplet is not None
        assert error.color.triplet.hex.lower() == str(pilot.app.theme_variables["error"]).lower()
        await pilot.press("9")
        assert [c.id for c in listing.rows] == [soon.id]
        assert "2h" in visible_text(listing)

    drive(InboxApp(timed, sync=False, now=lambda: NOW), scenario)


def test_sorting_by_next_deadline_and_back(timed: Session) -> None:
    convs = open_convs(timed)
    first, second = convs[10], convs[20]
    timed.commands.set_promise(second.id, "Call back", NOW + timedelta(hours=30))
    timed.commands.set_promise(first.id, "Send the label", NOW + timedelta(hours=50))

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        waiting_order = [c.id for c in screen.conversation_list.rows]
        await pilot.press("S")
        assert [c.id for c in screen.conversation_list.rows][:2] == [second.id, first.id]
        await pilot.press("S")
        assert [c.id for c in screen.conversation_list.rows] == waiting_order

    drive(InboxApp(timed, sync=False, now=lambda: NOW), scenario)


def test_a_promise_turning_overdue_when_the_clock_passes_it(timed: Session, clock: Clock) -> None:
    target = open_convs(timed)[2]
    timed.commands.set_promise(target.id, "Send the refund form", NOW + timedelta(hours=1))

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_of(app)
        assert screen.counts["overdue"] == 0
        app.deadline_watch.check()
        assert not any("Send the refund form" in n for n in notices(pilot))
        clock.now = NOW + timedelta(hours=2)
        app.deadline_watch.check()
        await pilot.pause()
        alerts = [n for n in notices(pilot) if "Send the refund form" in n]
        assert len(alerts) == 1 and target.subject[:20] in alerts[0]
        assert screen.counts["overdue"] == 1
        await pilot.press("0")
        assert [c.id for c in screen.conversation_list.rows] == [target.id]
        app.deadline_watch.check()  # announced once only
        assert len([n for n in notices(pilot) if "Send the refund form" in n]) == 1

    drive(InboxApp(timed, sync=False, now=clock), scenario)


def test_a_closed_conversation_reopens_once_when_its_follow_up_falls_due(
    timed: Session, clock: Clock
) -> None:
    target = open_convs(timed)[4]
    timed.commands.follow_up(target.id, "in 3 hours")
    timed.commands.set_status(target.id, "closed")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        clock.now = NOW + timedelta(hours=4)
        app.deadline_watch.check()
        await pilot.pause()
        reopened = timed.inbox.conversation(target.id)
        assert reopened is not None and reopened.state.status is Status.ACTIVE
        assert any("reopened" in n and "Follow up in 3 hours" in n for n in notices(pilot))
        assert (
            target.id in [c.id for c in inbox_of(app).conversation_list.rows]
            or inbox_of(app).counts["overdue"]
        )
        timed.commands.set_status(target.id, "closed")
        clock.now = NOW + timedelta(hours=5)
        app.deadline_watch.check()
        closed = timed.inbox.conversation(target.id)
        assert closed is not None and closed.state.status is Status.CLOSED

    drive(InboxApp(timed, sync=False, now=clock), scenario)


SLA = """
[[sla]]
name = "standard"
first_response = "400d"
next_response = "400d"
resolution = "800d"
business_hours = false
"""


@pytest.mark.parametrize("key", ["c", "exclamation_mark", "p"])
def test_undoing_a_close_spam_or_pending_in_the_list_keeps_the_sla_countdown(
    tmp_path: Path, clock: Clock, key: str
) -> None:
    fill_store(tmp_path / "store", 60)
    with open_session(make_config(tmp_path, SLA), now=clock) as session:
        tracker = tracker_for(session)
        later = NOW + timedelta(minutes=10)

        async def scenario(pilot: Pilot[None]) -> None:
            listing = inbox_of(pilot.app).conversation_list
            index, target = next(
                (i, c)
                for i, c in enumerate(listing.rows)
                if any(item.outstanding and item.text != "resolution" for item in tracker.of(c, NOW).clocks)
            )
            listing.move_cursor(index)
            await pilot.pause()
            owed = tracker.of(target, later)
            badge = listing.row_text(target, 160, Style()).plain
            await pilot.press(key)
            await pilot.pause()
            changed = session.inbox.conversation(target.id)
            assert changed is not None and changed.state.status is not Status.ACTIVE
            clock.now = later
            await pilot.press("U")
            await pilot.pause()
            restored = session.inbox.conversation(target.id)
            assert restored is not None and restored.state.status is Status.ACTIVE
            assert tracker.of(restored, later) == owed
            assert [item.state for item in owed.clocks if item.outstanding] == ["running", "running"]
            assert listing.row_text(restored, 160, Style()).plain == badge

        drive(InboxApp(session, sync=False, now=clock), scenario)


def open_reader(pilot: Pilot[None], session: Session, conv: Conversation) -> ReaderScreen:
    reader = ReaderScreen(session, conv, list_triage=inbox_of(pilot.app))  # as the list opens it
    pilot.app.push_screen(reader)
    return reader


def test_the_reader_lists_promises_and_marks_one_done_with_d(timed: Session) -> None:
    target = open_convs(timed)[1]
    timed.commands.set_promise(target.id, "Send the label", NOW + timedelta(days=1))

    async def scenario(pilot: Pilot[None]) -> None:
        reader = open_reader(pilot, timed, target)
        await pilot.pause()
        panel = reader.query_one(DeadlinesPanel)
        assert panel.display and "Send the label" in str(reader.query_one(DeadlineRow).line)
        await pilot.press("D")
        await pilot.pause()
        assert promises_of(timed, target) == {"Send the label": PromiseState.KEPT}
        assert not reader.query_one(DeadlinesPanel).owed()

    drive(InboxApp(timed, sync=False, now=lambda: NOW), scenario)


def test_dropping_a_promise_with_the_mouse_and_choosing_among_several(timed: Session) -> None:
    target = open_convs(timed)[1]
    timed.commands.set_promise(target.id, "Send the label", NOW + timedelta(days=1))
    timed.commands.set_promise(target.id, "Call back", NOW + timedelta(days=2))

    async def scenario(pilot: Pilot[None]) -> None:
        reader = open_reader(pilot, timed, target)
        await pilot.pause()
        row = next(r for r in reader.query(DeadlineRow) if r.item.text == "Call back")
        await pilot.click(row.query_one(".deadline-drop", Button))
        await pilot.pause()
        assert promises_of(timed, target)["Call back"] is PromiseState.DROPPED
        await pilot.press("D")  # one left: no choice to make
        await pilot.pause()
        assert promises_of(timed, target)["Send the label"] is PromiseState.KEPT

    drive(InboxApp(timed, sync=False, now=lambda: NOW), scenario)


def test_f_in_the_reader_sets_a_follow_up(timed: Session) -> None:
    target = open_convs(timed)[1]

    async def scenario(pilot: Pilot[None]) -> None:
        reader = open_reader(pilot, timed, target)
        await pilot.pause()
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoicePrompt), "F asks when"
        await pilot.press("down", "enter")  # "in 2 days"
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ChoicePrompt)
        deadlines = tracker_for(timed).of(timed.inbox.conversation(target.id) or target, NOW)
        [item] = deadlines.promises
        assert item.due == NOW + timedelta(days=2) and item.text == "Follow up in 2 days"
        assert "Follow up in 2 days" in str(reader.query_one(DeadlineRow).line)
        events = [event_from_json(raw) for raw in timed.store.events()]
        assert [p.follow_up for p in reduce_promises(events)] == [FollowUp.AT]

    drive(InboxApp(timed, sync=False, now=lambda: NOW), scenario)


def test_history_fetched_from_below_the_window_is_never_announced_overdue(
    timed: Session, clock: Clock
) -> None:
    from shared_inbox.imap.sync_window import WindowFloors
    from shared_inbox.services.server_history import history_conversations

    inbox = timed.inbox
    first = min(inbox.messages.values(), key=lambda meta: meta.locations[0].uid)
    target = inbox.conversation(first.message_id)
    assert target is not None
    timed.commands.set_promise(target.id, "Send the old refund form", NOW + timedelta(hours=1))
    floors: dict[str, int] = {}
    for mid in target.message_ids:
        for loc in inbox.messages[mid].locations:
            floors[loc.folder] = max(floors.get(loc.folder, 1), loc.uid + 1)
    for folder, floor in floors.items():
        WindowFloors(timed.store).put(folder, 1, floor)
    assert target.id in history_conversations(inbox, inbox.conversations())

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        clock.now = NOW + timedelta(hours=2)
        app.deadline_watch.check()
        await pilot.pause()
        assert not any("Send the old refund form" in n for n in notices(pilot))
        assert target.id not in {c.id for c in inbox_of(app).conversation_list.rows}

    drive(InboxApp(timed, sync=False, now=clock), scenario)
