"""Switching views reuses the views' groups until the inbox, the clock or the Attention lists move them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from textual.pilot import Pilot

from shared_inbox.domain.model import Conversation
from shared_inbox.services.deadlines import tracker_for
from shared_inbox.services.session import Session
from shared_inbox.ui import views
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.views import DeadlinesOf
from tests.ui.test_app import NOW, drive, inbox_of, session
from tests.ui.test_deadlines import Clock

__all__ = ["session"]  # the fixture, shared with the app tests


@pytest.fixture
def partitions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many conversations each partition of the whole inbox into views went through."""
    made: list[int] = []
    real = views.deadline_groups  # every partition works out the deadline views once

    def counted(convs: Sequence[Conversation], deadlines: DeadlinesOf) -> dict[str, list[Conversation]]:
        made.append(len(convs))
        return real(convs, deadlines)

    monkeypatch.setattr(views, "deadline_groups", counted)
    return made


def ids(screen: object) -> list[str]:
    return [conv.id for conv in inbox_of(screen.app).conversation_list.rows]  # type: ignore[attr-defined]


def test_switching_views_does_not_partition_the_inbox_again(session: Session, partitions: list[int]) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        made = len(partitions)
        await pilot.press("1", "2", "6", "3")
        assert screen.view_id == "open"
        assert len(partitions) == made
        await pilot.press("6")
        closed = {conv.id for conv in session.inbox.conversations("status:closed")}
        assert set(ids(screen)) == closed and len(ids(screen)) == screen.counts["closed"]

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_change_in_the_inbox_shows_in_the_next_view_switched_to(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        await pilot.press("6")
        closed = set(ids(screen))
        target = next(conv for conv in session.inbox.conversations("status:active"))
        session.commands.set_status(target.id, "closed")  # as a teammate's change or the CLI would
        await pilot.press("3", "6")
        assert set(ids(screen)) == closed | {target.id}
        assert screen.counts["closed"] == len(closed) + 1

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_snooze_that_ends_while_the_list_is_shown_puts_the_conversation_back(session: Session) -> None:
    clock = Clock()

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        target = screen.conversation_list.current
        assert target is not None
        session.commands.snooze(target.id, NOW + timedelta(hours=1))
        await pilot.press("5")
        assert ids(screen) == [target.id]
        await pilot.press("3")
        assert target.id not in ids(screen)
        clock.now = NOW + timedelta(hours=1, seconds=1)
        await pilot.press("5")
        assert ids(screen) == []
        await pilot.press("3")
        assert target.id in ids(screen)

    drive(InboxApp(session, sync=False, now=clock), scenario)


def test_opening_an_unread_conversation_leaves_the_views_for_when_the_list_shows_again(
    session: Session, partitions: list[int]
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        index = next(i for i, conv in enumerate(listing.rows) if conv.unread)
        target = listing.rows[index]
        listing.move_cursor(index)
        await pilot.pause()
        made = len(partitions)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReaderScreen)
        assert len(partitions) == made  # marking it read waits for the list to show again
        await pilot.press("q")
        await pilot.pause()
        assert len(partitions) == made + 1
        shown = next(conv for conv in listing.rows if conv.id == target.id)
        assert not shown.unread

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_listener_that_reads_the_views_at_once_finds_the_new_mail(session: Session) -> None:
    """The screen's own listener may have the list read the groups before any other listener ran."""
    from shared_inbox.domain.model import Address, MessageMeta
    from shared_inbox.ui.view_groups import ViewGroups

    groups = ViewGroups(session, lambda conv: tracker_for(session).of(conv, NOW), lambda convs: convs)
    seen: list[int] = []
    session.inbox.listeners.append(lambda change: seen.append(len(groups.groups(NOW)["open"])))
    groups.follow()  # as the screen does on mounting, after its own listener
    before = len(groups.groups(NOW)["open"])
    customer = Address("Cy New", "cy@shop.test")
    session.store.upsert_messages(
        [
            MessageMeta(
                "fresh@shop.test", "Refund please", customer, (Address("", "support@example.com"),), (), NOW
            )
        ]
    )
    assert seen[-1] == before + 1
