"""Promise events: strict payloads and an order-independent fold into promises."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventError, event_from_json, event_to_json
from shared_inbox.domain.promise_events import (
    PROMISE_DONE,
    PROMISE_DROPPED,
    PROMISE_SET,
    check_promise_event,
    promise_data,
    reduce_promises,
)
from shared_inbox.domain.sla import PromiseState

T0 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
FRIDAY = datetime(2024, 5, 10, 15, 0, tzinfo=UTC)


def ev(
    kind: str,
    data: Mapping[str, object],
    *,
    minute: int = 0,
    node: str = "cy@acme.example",
    event_id: str | None = None,
    anchor: str = "reply-1@acme.example",
) -> Event:
    moment = T0 + timedelta(minutes=minute)
    return Event(
        id=event_id or f"{kind}-{minute}-{node}".replace("@", "_").replace(".", "_")[:64],
        kind=kind,
        anchor=anchor,
        author=node,
        at=moment,
        clock=Hlc(int(moment.timestamp() * 1000), 0, node),
        data=data,
    )


def set_event(
    minute: int = 0, *, text: str = "Reply by Friday", due: datetime = FRIDAY, **kw: object
) -> Event:
    return ev(PROMISE_SET, promise_data("p1", text, due), minute=minute, **kw)  # type: ignore[arg-type]


# -- payloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (PROMISE_SET, {"text": "x", "due": FRIDAY.isoformat()}, "'promise' id"),
        (PROMISE_SET, {"promise": "p 1", "text": "x", "due": FRIDAY.isoformat()}, "'promise' id"),
        (PROMISE_SET, {"promise": "p" * 65, "text": "x", "due": FRIDAY.isoformat()}, "'promise' id"),
        (PROMISE_SET, {"promise": 7, "text": "x", "due": FRIDAY.isoformat()}, "'promise' id"),
        (PROMISE_SET, {"promise": "p1", "due": FRIDAY.isoformat()}, "non-empty 'text'"),
        (PROMISE_SET, {"promise": "p1", "text": "  ", "due": FRIDAY.isoformat()}, "non-empty 'text'"),
        (PROMISE_SET, {"promise": "p1", "text": "x" * 501, "due": FRIDAY.isoformat()}, "at most 500"),
        (
            PROMISE_SET,
            {"promise": "p1", "text": "a\x1b[2Jb", "due": FRIDAY.isoformat()},
            "control characters",
        ),
        (PROMISE_SET, {"promise": "p1", "text": "x"}, "'due' time"),
        (PROMISE_SET, {"promise": "p1", "text": "x", "due": "Friday"}, "not an ISO 8601 time"),
        (PROMISE_SET, {"promise": "p1", "text": "x", "due": "2024-05-10T17:00:00"}, "no time zone"),
        (PROMISE_SET, {"promise": "p1", "text": "x", "due": 1715353200}, "'due' time"),
        (PROMISE_DONE, {}, "'promise' id"),
        (PROMISE_DROPPED, {"promise": ""}, "'promise' id"),
        ("assign", {"promise": "p1"}, "not a promise event"),
    ],
)
def test_invalid_payloads_are_refused_with_the_reason(
    kind: str, data: dict[str, object], message: str
) -> None:
    with pytest.raises(EventError, match=message):
        check_promise_event(ev(kind, data))


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (PROMISE_SET, promise_data("p1", "Reply by Friday", FRIDAY)),
        (PROMISE_SET, {"promise": "p-1_x", "text": "x", "due": "2024-05-10T17:00:00+02:00", "future": 1}),
        (PROMISE_DONE, promise_data("p1")),
        (PROMISE_DROPPED, promise_data("p1")),
    ],
)
def test_valid_payloads_pass(kind: str, data: dict[str, object]) -> None:
    check_promise_event(ev(kind, data))


def test_promise_data_writes_the_due_time_in_utc_and_refuses_naive_times() -> None:
    naive = datetime(2024, 5, 10, 17, 0)
    assert promise_data("p1", "x", FRIDAY) == {
        "promise": "p1",
        "text": "x",
        "due": "2024-05-10T15:00:00+00:00",
    }
    with pytest.raises(EventError, match="timezone-aware"):
        promise_data("p1", "x", naive)


def test_promise_events_survive_the_json_form_teammates_exchange() -> None:
    original = set_event()
    copy = event_from_json(event_to_json(original))
    check_promise_event(copy)
    assert reduce_promises([copy]) == reduce_promises([original])


# -- folding -----------------------------------------------------------------------------------


def test_a_set_promise_is_open() -> None:
    [promise] = reduce_promises([set_event()])
    assert (promise.id, promise.anchor, promise.text, promise.due) == (
        "p1",
        "reply-1@acme.example",
        "Reply by Friday",
        FRIDAY,
    )
    assert (promise.created_at, promise.author, promise.state, promise.settled_at) == (
        T0,
        "cy@acme.example",
        PromiseState.OPEN,
        None,
    )


def test_editing_keeps_the_creation_and_changes_text_and_due() -> None:
    later = FRIDAY + timedelta(days=3)
    edit = set_event(
        30, text="Reply by Monday", due=later, node="di@acme.example", anchor="reply-2@acme.example"
    )
    [promise] = reduce_promises([edit, set_event()])
    assert (promise.text, promise.due) == ("Reply by Monday", later)
    assert (promise.created_at, promise.author, promise.anchor) == (
        T0,
        "cy@acme.example",
        "reply-1@acme.example",
    )


@pytest.mark.parametrize(
    ("settle_kind", "expected"), [(PROMISE_DONE, PromiseState.KEPT), (PROMISE_DROPPED, PromiseState.DROPPED)]
)
def test_settling_a_promise(settle_kind: str, expected: PromiseState) -> None:
    settle = ev(settle_kind, promise_data("p1"), minute=60)
    [promise] = reduce_promises([settle, set_event()])
    assert promise.state is expected
    assert promise.settled_at == T0 + timedelta(minutes=60)


def test_the_latest_settlement_wins_and_a_later_edit_reopens() -> None:
    done = ev(PROMISE_DONE, promise_data("p1"), minute=60)
    dropped = ev(PROMISE_DROPPED, promise_data("p1"), minute=90)
    [promise] = reduce_promises([set_event(), dropped, done])
    assert promise.state is PromiseState.DROPPED
    [promise] = reduce_promises([set_event(), done, set_event(120, text="Reply by Monday")])
    assert promise.state is PromiseState.OPEN
    assert promise.settled_at is None


def test_a_settlement_without_a_promise_and_invalid_or_foreign_events_are_ignored() -> None:
    events = [
        ev(PROMISE_DONE, promise_data("ghost")),
        ev(PROMISE_SET, {"promise": "p2", "text": "x"}, minute=1),
        ev("assign", {"assignee": "cy@acme.example"}, minute=2),
        ev("promise_future_kind", {"promise": "p3"}, minute=3),
        set_event(4),
    ]
    assert [promise.id for promise in reduce_promises(events)] == ["p1"]


def test_promises_come_in_creation_order() -> None:
    second = ev(PROMISE_SET, promise_data("a-later", "Ship by Monday", FRIDAY), minute=10)
    assert [promise.id for promise in reduce_promises([second, set_event()])] == ["p1", "a-later"]


HISTORY = [
    set_event(0),
    set_event(5, text="Reply by Monday", due=FRIDAY + timedelta(days=3), node="di@acme.example"),
    ev(PROMISE_DONE, promise_data("p1"), minute=5, node="ed@acme.example"),  # same moment, another node
    ev(PROMISE_SET, promise_data("p2", "Refund in 5 days", FRIDAY), minute=2),
    ev(PROMISE_DROPPED, promise_data("p2"), minute=7),
    ev(PROMISE_DONE, promise_data("p2"), minute=7, event_id="same-moment-other-id"),
    set_event(9, text="Reply by Tuesday", node="cy@acme.example", event_id="edit-3"),
]


@given(st.permutations(HISTORY), st.lists(st.sampled_from(HISTORY), max_size=5))
def test_the_order_events_arrive_in_and_duplicates_do_not_matter(
    shuffled: list[Event], duplicates: list[Event]
) -> None:
    assert reduce_promises([*shuffled, *duplicates]) == reduce_promises(HISTORY)
