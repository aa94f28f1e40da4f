"""Compaction keeps exactly the events that can still decide the state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.compaction import compact
from shared_inbox.domain.events import Event, reduce_state
from shared_inbox.domain.promise_events import reduce_promises

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANCHORS = ("first@customer.test", "second@customer.test")


def ev(
    kind: str,
    data: Mapping[str, object] | None = None,
    *,
    minute: int = 0,
    counter: int = 0,
    node: str = "ann@acme.test",
    anchor: str = ANCHORS[0],
    event_id: str | None = None,
) -> Event:
    at = T0 + timedelta(minutes=minute)
    return Event(
        id=event_id or f"{kind}-{minute}-{counter}-{node[:3]}-{anchor[:5]}",
        kind=kind,
        anchor=anchor,
        author=node,
        at=at,
        clock=Hlc(int(at.timestamp() * 1000), counter, node),
        data=data or {},
    )


def due(hours: int) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize(
    ("events", "kept"),
    [
        pytest.param(
            [ev("assign", {"assignee": "a@x"}, minute=1), ev("assign", {"assignee": "b@x"}, minute=2)],
            ["assign-2-0-ann-first"],
            id="a later assignment hides the earlier one",
        ),
        pytest.param(
            [ev("assign", {"assignee": "a@x"}, minute=3), ev("unassign", minute=2)],
            ["assign-3-0-ann-first"],
            id="assign and unassign share one register",
        ),
        pytest.param(
            [
                ev("tag", {"tag": "vip"}, minute=1),
                ev("untag", {"tag": "vip"}, minute=2),
                ev("tag", {"tag": "eu"}, minute=0),
            ],
            ["tag-0-0-ann-first", "untag-2-0-ann-first"],
            id="each tag is its own register",
        ),
        pytest.param(
            [
                ev("status", {"status": "closed"}, minute=1),
                ev("status", {"status": "pending"}, minute=1, anchor=ANCHORS[1]),
            ],
            ["status-1-0-ann-first", "status-1-0-ann-secon"],
            id="registers are per anchor",
        ),
        pytest.param(
            [ev("note", {"text": "a"}, minute=1), ev("note", {"text": "b"}, minute=2)],
            ["note-1-0-ann-first", "note-2-0-ann-first"],
            id="unknown kinds are all kept",
        ),
        pytest.param(
            [ev("promise_set", {"promise": "p1", "text": "call", "due": due(2)}, minute=m) for m in (1, 2, 3)]
            + [ev("promise_done", {"promise": "p1"}, minute=4)]
            + [ev("promise_dropped", {"promise": "p1"}, minute=5)],
            ["promise_set-1-0-ann-first", "promise_set-3-0-ann-first", "promise_dropped-5-0-ann-first"],
            id="a promise keeps its first and last definition and its last settlement",
        ),
        pytest.param(
            [
                ev("status", {"status": "closed"}, minute=1, event_id="twin"),
                ev("status", {"status": "spam"}, minute=1, event_id="twin"),
            ],
            ["twin", "twin"],
            id="forged twins are both kept",
        ),
    ],
)
def test_compaction_keeps_the_winners(events: list[Event], kept: list[str]) -> None:
    assert sorted(event.id for event in compact(events)) == sorted(kept)


# -- properties ----------------------------------------------------------------------

NODES = ("ann@acme.test", "bob@acme.test", "cy@acme.test")
PAYLOADS: list[tuple[str, dict[str, object]]] = [
    ("assign", {"assignee": "ann@acme.test"}),
    ("assign", {"assignee": "bob@acme.test"}),
    ("unassign", {}),
    ("status", {"status": "pending"}),
    ("status", {"status": "closed"}),
    ("status", {"status": "spam"}),
    ("status", {"status": "active"}),
    ("snooze", {"until": due(30)}),
    ("unsnooze", {}),
    ("tag", {"tag": "vip"}),
    ("untag", {"tag": "vip"}),
    ("tag", {"tag": "eu"}),
    ("untag", {"tag": "eu"}),
    ("promise_set", {"promise": "p1", "text": "call back", "due": due(3)}),
    ("promise_set", {"promise": "p1", "text": "call back later", "due": due(5)}),
    ("promise_set", {"promise": "p2", "text": "refund", "due": due(8)}),
    ("promise_done", {"promise": "p1"}),
    ("promise_dropped", {"promise": "p1"}),
    ("promise_done", {"promise": "p2"}),
    ("note", {"text": "called them"}),
]


@st.composite
def event_logs(draw: st.DrawFn) -> list[Event]:
    count = draw(st.integers(0, 40))
    events = []
    for index in range(count):
        kind, data = draw(st.sampled_from(PAYLOADS))
        events.append(
            ev(
                kind,
                data,
                minute=draw(st.integers(0, 6)),
                counter=draw(st.integers(0, 2)),
                node=draw(st.sampled_from(NODES)),
                anchor=draw(st.sampled_from(ANCHORS)),
                event_id=f"e{index}",
            )
        )
    return events


customer_times = st.lists(st.integers(0, 8).map(lambda m: T0 + timedelta(minutes=m, seconds=30)), max_size=3)


def outcome(events: list[Event], times: list[datetime]) -> tuple[object, ...]:
    state = reduce_state(events, times)
    return (state.assignee, state.status, state.tags, state.snoozed_until, reduce_promises(events))


@settings(max_examples=300, deadline=None)
@given(event_logs(), customer_times)
def test_a_compacted_log_reduces_to_the_same_state(events: list[Event], times: list[datetime]) -> None:
    assert outcome(compact(events), times) == outcome(events, times)


@settings(max_examples=300, deadline=None)
@given(event_logs(), customer_times, st.data())
def test_snapshots_of_overlapping_parts_still_add_up(
    events: list[Event], times: list[datetime], data: st.DataObject
) -> None:
    """Two teammates compact overlapping parts of the folder at once; the union must stay exact."""
    mine = [e for e in events if data.draw(st.booleans())]
    theirs = [e for e in events if e not in mine or data.draw(st.booleans())]
    union = {e.id: e for e in [*compact(mine), *compact(theirs)]}
    assert outcome(list(union.values()), times) == outcome(events, times)
    again = compact([*compact(list(union.values())), *compact(mine)])
    assert outcome(again, times) == outcome(events, times)


@settings(max_examples=200, deadline=None)
@given(event_logs())
def test_compaction_only_removes_and_keeps_unknown_kinds(events: list[Event]) -> None:
    kept = compact(events)
    assert {e.id for e in kept} <= {e.id for e in events}
    assert {e.id for e in events if e.kind == "note"} <= {e.id for e in kept}
    assert len(compact(kept)) == len(kept)
