"""A judgement is reused until the next instant it can change, and is always what judging afresh gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.sla import SlaPolicy
from shared_inbox.services.deadlines import DUE_SOON, Urgency
from shared_inbox.store import Store
from tests.unit.test_deadlines import FAST, T0, World, message

TICK = timedelta(microseconds=1)
OFFICE = SlaPolicy("office", first_response=timedelta(hours=6), business_hours=True)
PROMISE_DUE = T0 + timedelta(hours=30)
FAST_DUE = T0 + timedelta(hours=2)
FAST_RISK = T0 + timedelta(minutes=90)  # FAST's default risk share of its two hours


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store") as opened:
        opened.upsert_messages([message("q1@globex.test", T0)])
        yield opened


def sweep() -> list[timedelta]:
    """Moments around every instant at which something flips, in time order."""
    edges = [FAST_RISK, FAST_DUE, PROMISE_DUE - DUE_SOON, PROMISE_DUE]
    nearby = (-TICK, timedelta(), TICK, timedelta(minutes=7))
    offsets = {edge - T0 + delta for edge in edges for delta in nearby}
    offsets |= {timedelta(minutes=m) for m in range(10, 60 * 40, 45)}
    return sorted(offset for offset in offsets if offset > timedelta(minutes=5))


@pytest.mark.parametrize("policy", [FAST, OFFICE], ids=["around-the-clock", "business-hours"])
def test_the_kept_judgement_matches_a_fresh_one_at_every_moment(store: Store, policy: SlaPolicy) -> None:
    world = World(store, (policy,))
    world.commands.set_promise(world.conv.id, "Send the label", PROMISE_DUE)
    world.tracker.of(world.conv, world.clock.now)
    urgencies = set()
    for offset in sweep():
        kept = world.tracker.of(world.conv, T0 + offset)
        fresh = world.fresh()
        fresh.of(world.conv, world.clock.now)  # facts from the same moment, judged later
        assert kept == fresh.of(world.conv, T0 + offset), f"at T0 + {offset}"
        urgencies.add(kept.urgency)
    assert {Urgency.OK, Urgency.AT_RISK, Urgency.OVERDUE} <= urgencies


def test_the_same_judgement_is_reused_until_something_can_flip(store: Store) -> None:
    world = World(store, (FAST,))
    first = world.tracker.of(world.conv, T0 + timedelta(minutes=10))
    assert world.tracker.of(world.conv, T0 + timedelta(minutes=80)) is first
    at_risk = world.tracker.of(world.conv, FAST_RISK)
    assert at_risk is not first and at_risk.urgency is Urgency.AT_RISK
    assert world.tracker.of(world.conv, FAST_DUE) is at_risk  # due, not yet past due
    assert world.tracker.of(world.conv, FAST_DUE + TICK).urgency is Urgency.OVERDUE


def test_going_back_in_time_judges_again(store: Store) -> None:
    world = World(store, (FAST,))
    assert world.tracker.of(world.conv, T0 + timedelta(hours=3)).urgency is Urgency.OVERDUE
    assert world.tracker.of(world.conv, T0 + timedelta(minutes=10)).urgency is Urgency.OK


def test_a_new_event_replaces_the_kept_judgement(store: Store) -> None:
    world = World(store, (FAST,))
    before = world.tracker.of(world.conv, T0 + timedelta(minutes=10))
    world.commands.set_promise(world.conv.id, "Call back", T0 + timedelta(hours=1))
    after = world.tracker.of(world.conv, T0 + timedelta(minutes=10))
    assert after is not before and after.next_due == T0 + timedelta(hours=1)
    assert after.urgency is Urgency.AT_RISK  # the promise is due within DUE_SOON


def test_the_next_turn_is_the_first_moment_a_judged_deadline_can_flip(store: Store) -> None:
    world = World(store, (FAST,))
    assert world.tracker.next_turn(T0) is None  # nothing judged yet
    world.tracker.of(world.conv, T0 + timedelta(minutes=10))
    assert world.tracker.next_turn(T0 + timedelta(minutes=10)) == FAST_RISK
    world.tracker.of(world.conv, FAST_RISK)
    assert world.tracker.next_turn(FAST_RISK) == FAST_DUE + TICK
    world.tracker.of(world.conv, FAST_DUE + TICK)
    assert world.tracker.next_turn(FAST_DUE + TICK) is None  # overdue stays overdue
