"""Deadlines of a conversation: promises, follow-ups and SLA clocks over a real store and inbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventError
from shared_inbox.domain.model import Address, Conversation, MessageMeta
from shared_inbox.domain.promise_events import PROMISE_SET, check_promise_event, promise_data, reduce_promises
from shared_inbox.domain.sla import FollowUp, SlaMatch, SlaPolicy
from shared_inbox.services.commands import Commands
from shared_inbox.services.deadlines import DeadlineTracker, ItemKind, Urgency, priority_of
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

T0 = datetime(2026, 11, 23, 10, tzinfo=UTC)  # a Monday
ANN = Address("Ann Lee", "ann@globex.test")
SUPPORT = Address("Acme Support", "support@example.com")
ME = "alice@example.com"
CALENDAR = BusinessCalendar.weekdays("UTC")
FAST = SlaPolicy("fast", first_response=timedelta(hours=2), business_hours=False)


class Clock:
    def __init__(self) -> None:
        self.now = T0 + timedelta(minutes=5)

    def __call__(self) -> datetime:
        return self.now


def message(mid: str, at: datetime, *, outgoing: bool = False, reply_to: str | None = None) -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject="Re: Refund" if reply_to else "Refund",
        sender=SUPPORT if outgoing else ANN,
        to=(ANN,) if outgoing else (SUPPORT,),
        cc=(),
        date=at,
        in_reply_to=(reply_to,) if reply_to else (),
        references=(reply_to,) if reply_to else (),
        outgoing=outgoing,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store") as opened:
        opened.upsert_messages([message("q1@globex.test", T0)])
        yield opened


class World:
    def __init__(self, store: Store, policies: tuple[SlaPolicy, ...] = ()) -> None:
        self.clock = Clock()
        self.inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me=ME).load()
        self.commands = Commands(self.inbox, author=ME, now=self.clock)
        self.tracker = DeadlineTracker(self.inbox, policies, CALENDAR)

    @property
    def conv(self) -> Conversation:
        return self.inbox.conversations()[0]

    def fresh(self) -> DeadlineTracker:
        return DeadlineTracker(self.inbox, self.tracker.policies, CALENDAR)

    def reply(self, mid: str, at: datetime) -> None:
        self.inbox.store.upsert_messages([message(mid, at, outgoing=True, reply_to="q1@globex.test")])


@pytest.mark.parametrize(
    ("later", "urgency", "state"),
    [
        (timedelta(hours=1), Urgency.OK, "open"),
        (timedelta(hours=21), Urgency.AT_RISK, "open"),
        (timedelta(hours=25), Urgency.OVERDUE, "broken"),
    ],
)
def test_an_open_promise_grows_urgent_as_its_due_time_nears_and_passes(
    store: Store, later: timedelta, urgency: Urgency, state: str
) -> None:
    world = World(store)
    due = T0 + timedelta(days=1)
    world.commands.set_promise(world.conv.id, "Send the label", due)
    world.tracker.of(world.conv, world.clock.now)  # cached now, judged later
    deadlines = world.tracker.of(world.conv, T0 + later)
    assert deadlines.urgency is urgency and deadlines.next_due == due
    [item] = deadlines.promises
    assert (item.kind, item.state, item.text, item.author) == (ItemKind.PROMISE, state, "Send the label", ME)


def test_a_promise_marked_done_or_answered_is_no_longer_owed(store: Store) -> None:
    world = World(store)
    first = world.commands.set_promise(world.conv.id, "Call back", T0 + timedelta(days=1))
    world.commands.set_promise(world.conv.id, "Send the label", T0 + timedelta(days=2))
    world.commands.promise_done(world.conv.id, str(first.data["promise"]))
    deadlines = world.tracker.of(world.conv, world.clock.now)
    assert deadlines.next_due == T0 + timedelta(days=2)
    world.reply("r1@example.com", T0 + timedelta(hours=3))
    later = T0 + timedelta(days=3)
    deadlines = world.tracker.of(world.conv, later)
    assert deadlines.urgency is Urgency.NONE and deadlines.next_due is None
    assert [item.state for item in deadlines.promises] == ["kept", "kept"]


@pytest.mark.parametrize(
    ("later", "urgency", "state"),
    [
        (timedelta(hours=1), Urgency.OK, "running"),
        (timedelta(minutes=100), Urgency.AT_RISK, "at_risk"),
        (timedelta(hours=3), Urgency.OVERDUE, "broken"),
    ],
)
def test_a_cached_sla_clock_judged_later_matches_one_computed_then(
    store: Store, later: timedelta, urgency: Urgency, state: str
) -> None:
    world = World(store, (FAST,))
    world.tracker.of(world.conv, T0 + timedelta(minutes=1))
    cached = world.tracker.of(world.conv, T0 + later)
    fresh = world.fresh().of(world.conv, T0 + later)
    assert cached == fresh
    assert cached.urgency is urgency and cached.policy == "fast"
    [clock] = cached.clocks
    assert (clock.text, clock.state, clock.due) == ("first_response", state, T0 + timedelta(hours=2))


def test_a_reply_stops_the_clock(store: Store) -> None:
    world = World(store, (FAST,))
    world.tracker.of(world.conv, world.clock.now)
    world.reply("r1@example.com", T0 + timedelta(hours=1))
    deadlines = world.tracker.of(world.conv, T0 + timedelta(hours=5))
    [clock] = deadlines.clocks
    assert clock.state == "kept" and not clock.outstanding and deadlines.urgency is Urgency.NONE


def test_the_priority_tag_picks_the_policy(store: Store) -> None:
    urgent = SlaPolicy(
        "urgent", first_response=timedelta(hours=1), match=SlaMatch(priorities=frozenset({"high"}))
    )
    world = World(store, (urgent, FAST))
    assert world.tracker.of(world.conv, world.clock.now).policy == "fast"
    world.commands.tag(world.conv.id, "priority:high")
    assert priority_of(world.conv.state.tags) == "high"
    assert world.tracker.of(world.conv, world.clock.now).policy == "urgent"


def test_a_follow_up_falls_due_at_its_time(store: Store) -> None:
    world = World(store)
    world.commands.follow_up(world.conv.id, "follow up in 2 days", CALENDAR)
    [item] = world.tracker.of(world.conv, world.clock.now).promises
    assert item.kind is ItemKind.FOLLOW_UP and item.due == world.clock.now + timedelta(days=2)
    assert item.text == "Follow up in 2 days"
    assert world.tracker.of(world.conv, world.clock.now + timedelta(days=3)).urgency is Urgency.OVERDUE


def test_an_after_close_follow_up_waits_for_the_close_then_reopens_once(store: Store) -> None:
    world = World(store)
    world.commands.follow_up(world.conv.id, "after close in 1 week", CALENDAR)
    deadlines = world.tracker.of(world.conv, world.clock.now)
    [item] = deadlines.promises
    assert (item.state, item.due, deadlines.next_due) == ("waiting", None, None)
    closed_at = T0 + timedelta(days=1)
    world.clock.now = closed_at
    world.commands.set_status(world.conv.id, "closed")
    assert world.tracker.of(world.conv, closed_at).next_due == closed_at + timedelta(weeks=1)
    assert (
        world.tracker.follow_ups_to_reopen(world.inbox.conversations(), closed_at + timedelta(days=6)) == []
    )
    due = closed_at + timedelta(weeks=1, minutes=1)
    [(conv, found)] = world.tracker.follow_ups_to_reopen(world.inbox.conversations(), due)
    assert conv.id == world.conv.id and found.key == item.key
    world.clock.now = due
    world.commands.set_status(world.conv.id, "active")
    world.commands.set_status(world.conv.id, "closed")  # closed again by an agent: no second reopen
    assert world.tracker.follow_ups_to_reopen(world.inbox.conversations(), due + timedelta(hours=1)) == []


@pytest.mark.parametrize("status", ["closed", "spam", "pending"])
def test_undoing_a_close_spam_or_pending_restores_the_clocks_exactly(store: Store, status: str) -> None:
    hours = timedelta(hours=1)
    policy = SlaPolicy("full", first_response=2 * hours, resolution=8 * hours, business_hours=False)
    world = World(store, (policy,))
    world.commands.set_promise(world.conv.id, "Send the label", T0 + timedelta(hours=5))
    later = T0 + timedelta(hours=1)
    untouched = world.fresh().of(world.conv, later)
    assert [clock.state for clock in untouched.clocks] == ["running", "running"]
    world.clock.now = T0 + timedelta(minutes=20)
    made = world.commands.set_status(world.conv.id, status)
    world.clock.now = T0 + timedelta(minutes=50)
    world.commands.set_status(world.conv.id, "active", undoes=made.id)
    assert world.tracker.of(world.conv, later) == untouched
    assert world.fresh().of(world.conv, later) == untouched


def test_an_undone_close_does_not_start_an_after_close_follow_up(store: Store) -> None:
    world = World(store)
    world.commands.follow_up(world.conv.id, "after close in 1 week", CALENDAR)
    made = world.commands.set_status(world.conv.id, "closed")
    world.commands.set_status(world.conv.id, "active", undoes=made.id)
    [item] = world.tracker.of(world.conv, T0 + timedelta(weeks=2)).promises
    assert (item.state, item.due) == ("waiting", None)


def test_spam_owes_nothing(store: Store) -> None:
    world = World(store, (FAST,))
    world.commands.set_promise(world.conv.id, "Call back", T0 + timedelta(days=1))
    world.commands.set_status(world.conv.id, "spam")
    assert world.tracker.of(world.conv, T0 + timedelta(days=5)).urgency is Urgency.NONE


def _event(data: dict[str, object]) -> Event:
    return Event("e1", PROMISE_SET, "q1@globex.test", ME, T0, Hlc(1, 0, "a"), data)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"follow_up": "someday"}, "follow_up"),
        ({"follow_up": "after_close"}, "after"),
        ({"follow_up": "after_close", "after": "x" * 101}, "after"),
        ({"follow_up": "after_close", "after": "in 1\x1b week"}, "control"),
    ],
)
def test_malformed_follow_up_data_is_refused(extra: dict[str, object], problem: str) -> None:
    data = {**promise_data("p1", "Check back", T0), **extra}
    with pytest.raises(EventError, match=problem):
        check_promise_event(_event(data))


def test_follow_up_data_reads_back_and_plain_promises_stay_promises() -> None:
    data = promise_data("p1", "Check back", T0, follow_up=FollowUp.AFTER_CLOSE, after="after close in 1 week")
    [follow_up] = reduce_promises([_event(data)])
    assert (follow_up.follow_up, follow_up.after) == (FollowUp.AFTER_CLOSE, "after close in 1 week")
    [plain] = reduce_promises([_event(promise_data("p1", "Call", T0))])
    assert plain.follow_up is None and plain.after is None
