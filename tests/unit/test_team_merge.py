"""End to end without a server: agents with separate stores and inboxes exchange events through a
simulated events folder, in random interleavings, with duplicates and delays, and end up equal."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Address, Location, MessageMeta
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.team import apply_remote
from shared_inbox.store import Store
from shared_inbox.team.encoding import decode_batch, encode_batch
from shared_inbox.team.shipping import ShipQueue

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
ANCHORS = [f"q{n}@customer.test" for n in range(3)]
AGENTS = ("ann@acme.test", "bob@acme.test")


def seed(store: Store) -> None:
    store.upsert_messages(
        [
            MessageMeta(
                message_id=anchor,
                subject=f"Question {n}",
                sender=Address("Customer", f"c{n}@customer.test"),
                to=(),
                cc=(),
                date=T0 - timedelta(days=1),
                locations=(Location("INBOX", 1, n + 1),),
            )
            for n, anchor in enumerate(ANCHORS)
        ]
    )


class Clock:
    """Each agent's wall clock: agents disagree, and time only moves when the test says so."""

    def __init__(self, skew: timedelta) -> None:
        self.moment = T0 + skew

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class Agent:
    store: Store
    inbox: Inbox
    commands: Commands
    queue: ShipQueue
    clock: Clock
    read_upto: int = 0

    def ship(self, folder: list[bytes]) -> None:
        pending = self.queue.pending()
        if pending.events:
            folder.append(encode_batch([e for e, _ in pending.events], sender="x@acme.test", now=T0))
        self.queue.mark_shipped(pending.end, (e for e, _ in pending.events))

    def take(self, messages: list[bytes]) -> None:
        events: list[Event] = []
        for raw in messages:
            events.extend(decode_batch(raw).events)
        apply_remote(self.inbox, self.commands, self.queue.ingest(events))

    def states(self) -> dict[str, tuple[object, ...]]:
        return {
            c.id: (c.state.assignee, c.state.status, sorted(c.state.tags), c.state.snoozed_until)
            for c in self.inbox.conversations()
        }


@contextmanager
def agents(skews: list[int]) -> Iterator[list[Agent]]:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        made = []
        for me, skew in zip(AGENTS, skews, strict=True):
            store = stack.enter_context(Store.open(Path(tmp) / me))
            seed(store)
            inbox = Inbox(store, our_addresses=frozenset({"support@acme.test"}), me=me).load()
            clock = Clock(timedelta(seconds=skew))
            made.append(Agent(store, inbox, Commands(inbox, author=me, now=clock), ShipQueue(store), clock))
        yield made


ACTIONS = st.sampled_from(
    [
        ("assign", "ann@acme.test"),
        ("assign", "bob@acme.test"),
        ("unassign", None),
        ("set_status", "pending"),
        ("set_status", "closed"),
        ("set_status", "spam"),
        ("set_status", "active"),
        ("tag", "vip"),
        ("untag", "vip"),
        ("tag", "eu"),
        ("untag", "eu"),
    ]
)
STEP = st.one_of(
    st.tuples(st.just("change"), st.integers(0, 1), st.integers(0, 2), ACTIONS),
    st.tuples(st.just("ship"), st.integers(0, 1)),
    st.tuples(st.just("take"), st.integers(0, 1), st.integers(0, 3)),  # how many unread messages to take
    st.tuples(st.just("replay"), st.integers(0, 1)),  # reads everything again: duplicates
    st.tuples(st.just("tick"), st.integers(0, 1), st.integers(-5, 60)),  # clocks step, even backwards
)


@settings(max_examples=40, deadline=None)
@given(st.lists(STEP, max_size=30), st.lists(st.integers(-30, 30), min_size=2, max_size=2))
def test_agents_that_saw_the_same_events_have_the_same_state(steps: list[tuple], skews: list[int]) -> None:
    with agents(skews) as team:
        folder: list[bytes] = []
        for step in steps:
            agent = team[step[1]]
            match step:
                case ("change", _, conv, (method, value)):
                    args = (ANCHORS[conv],) if value is None else (ANCHORS[conv], value)
                    getattr(agent.commands, method)(*args)
                case ("ship", _):
                    agent.ship(folder)
                case ("take", _, count):
                    end = min(len(folder), agent.read_upto + count)
                    agent.take(folder[agent.read_upto : end])
                    agent.read_upto = end
                case ("replay", _):
                    agent.take(folder[: agent.read_upto])
                case ("tick", _, seconds):
                    agent.clock.moment += timedelta(seconds=seconds)
        for agent in team:  # reconnect: everything queued goes up, everything comes down
            agent.ship(folder)
        for agent in team:
            agent.take(folder)
        assert team[0].states() == team[1].states()
        ids = [{e.id for e in agent.inbox.events} for agent in team]
        assert ids[0] == ids[1]
        assert all(agent.queue.pending().events == [] for agent in team)


def test_teammates_changes_name_the_conversations_and_authors_they_touched() -> None:
    with agents([0, 5]) as (ann, bob):
        folder: list[bytes] = []
        ann.commands.tag(ANCHORS[0], "vip")
        ann.commands.assign(ANCHORS[2], "bob@acme.test")
        ann.ship(folder)
        events = decode_batch(folder[0]).events
        changes = apply_remote(bob.inbox, bob.commands, bob.queue.ingest(events))
        expected = {bob.inbox.conversation(ANCHORS[0]).id, bob.inbox.conversation(ANCHORS[2]).id}
        assert changes.conversation_ids == expected
        assert changes.authors == {"ann@acme.test"}
        assert bob.commands.clock.last > max(event.clock for event in events)
        assert bob.inbox.conversation(ANCHORS[2]).state.assignee == "bob@acme.test"
