"""Events: hybrid clocks, strict JSON validation, and the order-independent reducer."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.domain.clock import Hlc, HlcClock, HlcError
from shared_inbox.domain.events import (
    Event,
    EventError,
    EventKind,
    event_from_json,
    event_to_json,
    reduce_state,
    status_history,
)
from shared_inbox.domain.model import ConversationState, Status

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def ev(
    kind: EventKind | str,
    data: Mapping[str, object] | None = None,
    *,
    minute: int = 0,
    counter: int = 0,
    node: str = "ann@acme.example",
    event_id: str | None = None,
) -> Event:
    at = T0 + timedelta(minutes=minute)
    return Event(
        id=event_id or f"{kind}-{minute}-{counter}-{node}".replace("@", "_").replace(".", "_")[:64],
        kind=kind,
        anchor="first@customer.example",
        author=node,
        at=at,
        clock=Hlc(int(at.timestamp() * 1000), counter, node),
        data=data or {},
    )


# -- hybrid logical clock ------------------------------------------------------


def test_hlc_orders_by_wall_then_counter_then_node() -> None:
    readings = [Hlc(5, 0, "b"), Hlc(4, 9, "z"), Hlc(5, 1, "a"), Hlc(5, 0, "a")]
    assert sorted(readings) == [Hlc(4, 9, "z"), Hlc(5, 0, "a"), Hlc(5, 0, "b"), Hlc(5, 1, "a")]


def test_hlc_text_round_trip() -> None:
    reading = Hlc(1714564800000, 7, "ann-lee@acme.example")
    assert str(reading) == "1714564800000-0007-ann-lee@acme.example"
    assert Hlc.parse(str(reading)) == reading
    assert Hlc.parse(str(Hlc(1, 123456, "n"))) == Hlc(1, 123456, "n")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1714564800000-0007",
        "171456480000-0007-n",
        "1714564800000-7-n",
        "x-0007-n",
        "1714564800000-0007-a b",
    ],
)
def test_hlc_rejects_malformed_text(text: str) -> None:
    with pytest.raises(HlcError):
        Hlc.parse(text)


def test_tick_never_goes_backwards() -> None:
    clock = HlcClock("ann@acme.example")
    first = clock.tick(T0)
    same = clock.tick(T0)
    earlier = clock.tick(T0 - timedelta(hours=1))  # the wall clock stepped back
    later = clock.tick(T0 + timedelta(seconds=1))
    assert first < same < earlier < later
    assert (earlier.wall_ms, earlier.counter) == (first.wall_ms, 2)
    assert later.counter == 0


def test_observe_orders_the_next_tick_after_a_remote_reading() -> None:
    clock = HlcClock("ann@acme.example")
    remote = Hlc(int((T0 + timedelta(minutes=5)).timestamp() * 1000), 3, "bob@acme.example")
    clock.observe(remote, T0)
    assert clock.tick(T0) > remote


@pytest.mark.parametrize(
    ("local_ms", "remote_ms", "now_ms"),
    [
        pytest.param(1000, 1000, 1000, id="same-wall-time"),
        pytest.param(2000, 1000, 1000, id="local-ahead"),
        pytest.param(1000, 2000, 1000, id="remote-ahead"),
        pytest.param(1000, 1500, 3000, id="wall-clock-ahead-of-both"),
    ],
)
def test_observe_then_tick_orders_after_both_readings(local_ms: int, remote_ms: int, now_ms: int) -> None:
    def at(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    clock = HlcClock("ann@acme.example")
    for _ in range(3):
        local = clock.tick(at(local_ms))
    remote = Hlc(remote_ms, 7, "bob@acme.example")
    clock.observe(remote, at(now_ms))
    following = clock.tick(at(now_ms))
    assert following > local and following > remote
    assert following.wall_ms == max(local_ms, remote_ms, now_ms)


def test_observe_ignores_a_reading_far_in_the_future() -> None:
    clock = HlcClock("ann@acme.example", max_skew=timedelta(hours=1))
    forged = Hlc(int((T0 + timedelta(days=400)).timestamp() * 1000), 0, "mallory@evil.example")
    clock.observe(forged, T0)
    assert clock.tick(T0).wall_ms == int(T0.timestamp() * 1000)


def test_clock_needs_aware_time() -> None:
    with pytest.raises(HlcError):
        HlcClock("ann@acme.example").tick(datetime(2024, 1, 1))


# -- JSON -----------------------------------------------------------------------

ROUND_TRIP = [
    ev(EventKind.ASSIGN, {"assignee": "bob@acme.example"}),
    ev(EventKind.UNASSIGN),
    ev(EventKind.STATUS, {"status": "pending"}),
    ev(EventKind.TAG, {"tag": "vip"}),
    ev(EventKind.UNTAG, {"tag": "vip"}),
    ev(EventKind.SNOOZE, {"until": "2024-05-02T08:00:00+02:00"}),
    ev(EventKind.UNSNOOZE),
    ev("note", {"text": "Called the customer", "mentions": ["bob@acme.example"], "pinned": False}),
]


@pytest.mark.parametrize("event", ROUND_TRIP, ids=lambda e: str(e.kind))
def test_json_round_trip(event: Event) -> None:
    doc = event_to_json(event)
    assert doc["v"] == 1 and doc["kind"] == str(event.kind)
    back = event_from_json(doc)
    assert back == event
    assert event_to_json(back) == doc


def test_unknown_kind_is_kept_as_text() -> None:
    event = event_from_json(event_to_json(ev("promise", {"due": "tomorrow"})))
    assert event.kind == "promise" and not isinstance(event.kind, EventKind)
    assert event.data == {"due": "tomorrow"}


def test_event_time_is_normalized_to_utc() -> None:
    doc = event_to_json(ev(EventKind.UNASSIGN))
    doc["at"] = "2024-05-01T14:00:00+02:00"
    assert event_from_json(doc).at == T0 and event_from_json(doc).at.tzinfo == UTC


def test_event_data_cannot_be_changed_afterwards() -> None:
    source: dict[str, object] = {"tag": "vip"}
    event = ev(EventKind.TAG, source)
    source["tag"] = "changed"
    assert event.data["tag"] == "vip"
    with pytest.raises(TypeError):
        event.data["tag"] = "x"  # type: ignore[index]


def test_event_needs_an_aware_time() -> None:
    with pytest.raises(EventError):
        Event("a", EventKind.UNASSIGN, "m@x", "ann@x", datetime(2024, 1, 1), Hlc(0, 0, "n"), {})


def good() -> dict[str, Any]:
    return event_to_json(ev(EventKind.TAG, {"tag": "vip"}))


def changed(**fields: object) -> dict[str, Any]:
    doc = good()
    for key, value in fields.items():
        if value is REMOVE:
            del doc[key]
        else:
            doc[key] = value
    return doc


REMOVE = object()

MALFORMED = [
    pytest.param(["not", "an", "object"], "JSON object", id="not-object"),
    pytest.param(changed(id=REMOVE), "lacks field(s): id", id="missing-id"),
    pytest.param(changed(extra=1), "unknown event field(s): extra", id="unknown-field"),
    pytest.param(changed(v=2), "version", id="newer-version"),
    pytest.param(changed(v=True), "version", id="version-bool"),
    pytest.param(changed(id="a" * 65), "longer than 64", id="id-too-long"),
    pytest.param(changed(id="abc/../x"), "letters, digits", id="id-characters"),
    pytest.param(changed(id=7), "id must be a string", id="id-type"),
    pytest.param(changed(kind="Tag!"), "lower-case word", id="kind-shape"),
    pytest.param(changed(kind=""), "kind is empty", id="kind-empty"),
    pytest.param(changed(anchor="a b@x"), "anchor holds spaces", id="anchor-space"),
    pytest.param(changed(anchor="x" * 999), "longer than 998", id="anchor-too-long"),
    pytest.param(changed(author="ann\x1b[31m@x"), "control characters", id="author-escape"),
    pytest.param(changed(at="yesterday"), "not an ISO 8601 time", id="at-garbage"),
    pytest.param(changed(at="2024-05-01T12:00:00"), "no time zone", id="at-naive"),
    pytest.param(changed(clock="12-3-n"), "clock", id="clock-garbage"),
    pytest.param(changed(clock=12), "clock must be a string", id="clock-type"),
    pytest.param(changed(data=[]), "data must be an object", id="data-type"),
    pytest.param(changed(data={"tag": "t" * 65}), "invalid 'tag'", id="tag-too-long"),
    pytest.param(changed(data={"tag": "two words"}), "invalid 'tag'", id="tag-space"),
    pytest.param(changed(data={}), "invalid 'tag'", id="tag-missing"),
    pytest.param(changed(kind="status", data={"status": "done"}), "invalid 'status'", id="status-value"),
    pytest.param(changed(kind="assign", data={"assignee": 3}), "invalid 'assignee'", id="assignee-type"),
    pytest.param(
        changed(kind="snooze", data={"until": "2024-05-02T08:00"}), "invalid 'until'", id="until-naive"
    ),
    pytest.param(changed(data={"tag": "vip", "blob": "x" * 5000}), "larger than", id="data-too-large"),
    pytest.param(
        changed(data={"tag": "vip", "n": {"a": {"b": {"c": {"d": {}}}}}}), "nested", id="data-too-deep"
    ),
    pytest.param(changed(data={"tag": "vip", "n": float("nan")}), "not finite", id="data-nan"),
    pytest.param(changed(data={"tag": "vip", "k" * 65: 1}), "keys", id="data-key-too-long"),
]


@pytest.mark.parametrize(("doc", "reason"), MALFORMED)
def test_malformed_events_are_refused_with_a_reason(doc: object, reason: str) -> None:
    with pytest.raises(EventError) as raised:
        event_from_json(doc)
    assert reason in str(raised.value)


def test_a_valid_document_is_accepted() -> None:
    assert event_from_json(good()).data == {"tag": "vip"}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=70), inner, max_size=3),
    max_leaves=10,
)


# No deadline: each example takes well under a millisecond, so a timing failure would only ever
# measure a busy machine or a garbage collection pause, never the validator.
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(good())), JSON_VALUES, max_size=8))
def test_hostile_documents_raise_only_event_error(doc: dict[str, object]) -> None:
    merged = {**good(), **doc}
    try:
        event = event_from_json(merged)
    except EventError:
        return
    assert event_from_json(event_to_json(event)) == event  # whatever is accepted survives a round trip


# -- reduction ------------------------------------------------------------------


def test_no_events_give_the_default_state() -> None:
    assert reduce_state([]) == ConversationState()


REDUCTION_CASES = [
    pytest.param(
        [ev("assign", {"assignee": "bob@acme"}, minute=1), ev("assign", {"assignee": "cy@acme"}, minute=2)],
        (),
        {"assignee": "cy@acme"},
        id="latest-assignee-wins",
    ),
    pytest.param(
        [ev("assign", {"assignee": "bob@acme"}, minute=2), ev("unassign", minute=1)],
        (),
        {"assignee": "bob@acme"},
        id="older-unassign-loses",
    ),
    pytest.param(
        [ev("assign", {"assignee": "bob@acme"}, minute=1), ev("unassign", minute=2)],
        (),
        {"assignee": None},
        id="newer-unassign-wins",
    ),
    pytest.param(
        [
            ev("status", {"status": "closed"}, minute=3, node="ann@acme"),
            ev("status", {"status": "pending"}, minute=3, node="bob@acme"),
        ],
        (),
        {"status": Status.PENDING},
        id="same-wall-time-node-breaks-tie",
    ),
    pytest.param(
        [
            ev("status", {"status": "closed"}, minute=3, event_id="b"),
            ev("status", {"status": "spam"}, minute=3, event_id="a"),
        ],
        (),
        {"status": Status.CLOSED},
        id="same-clock-event-id-breaks-tie",
    ),
    pytest.param(
        [
            ev("tag", {"tag": "vip"}, minute=1),
            ev("tag", {"tag": "billing"}, minute=1),
            ev("untag", {"tag": "vip"}, minute=2),
            ev("tag", {"tag": "urgent"}, minute=3),
            ev("untag", {"tag": "urgent"}, minute=2),
        ],
        (),
        {"tags": frozenset({"billing", "urgent"})},
        id="tags-per-tag-last-writer",
    ),
    pytest.param(
        [ev("status", {"status": "pending"}, minute=5)],
        [T0 + timedelta(minutes=6)],
        {"status": Status.ACTIVE},
        id="customer-reply-reopens-pending",
    ),
    pytest.param(
        [ev("status", {"status": "closed"}, minute=5)],
        [T0 + timedelta(minutes=1), T0 + timedelta(minutes=30)],
        {"status": Status.ACTIVE},
        id="customer-reply-reopens-closed",
    ),
    pytest.param(
        [ev("status", {"status": "closed"}, minute=5)],
        [T0 + timedelta(minutes=4), T0 + timedelta(minutes=5)],
        {"status": Status.CLOSED},
        id="earlier-customer-mail-does-not-reopen",
    ),
    pytest.param(
        [ev("status", {"status": "spam"}, minute=5)],
        [T0 + timedelta(minutes=6)],
        {"status": Status.SPAM},
        id="spam-stays-spam",
    ),
    pytest.param(
        [ev("snooze", {"until": "2024-05-03T09:00:00+00:00"}, minute=5)],
        [T0 + timedelta(minutes=1)],
        {"snoozed_until": datetime(2024, 5, 3, 9, tzinfo=UTC)},
        id="snoozed",
    ),
    pytest.param(
        [ev("snooze", {"until": "2024-05-03T09:00:00+00:00"}, minute=5)],
        [T0 + timedelta(minutes=7)],
        {"snoozed_until": None},
        id="customer-reply-wakes-snooze",
    ),
    pytest.param(
        [ev("snooze", {"until": "2024-05-03T09:00:00+00:00"}, minute=5), ev("unsnooze", minute=6)],
        (),
        {"snoozed_until": None},
        id="unsnooze",
    ),
    pytest.param(
        [ev("status", {"status": "pending"}, minute=1), ev("promise", {"status": "closed"}, minute=9)],
        (),
        {"status": Status.PENDING},
        id="unknown-kind-ignored",
    ),
    pytest.param(
        [ev("status", {"status": "pending"}, minute=1), ev("status", {"status": "bogus"}, minute=9)],
        (),
        {"status": Status.PENDING},
        id="invalid-data-ignored",
    ),
]


@pytest.mark.parametrize(("events", "customer_times", "expected"), REDUCTION_CASES)
def test_reduce_state(
    events: list[Event], customer_times: list[datetime], expected: dict[str, object]
) -> None:
    state = reduce_state(events, customer_times)
    for name, value in expected.items():
        assert getattr(state, name) == value
    assert reduce_state(list(reversed(events)) + events, customer_times) == state


def test_customer_time_in_another_zone_compares_correctly() -> None:
    event = ev("status", {"status": "closed"}, minute=5)
    plus_two = timezone(timedelta(hours=2))
    just_before = (T0 + timedelta(minutes=4)).astimezone(plus_two)
    assert reduce_state([event], [just_before]).status is Status.CLOSED


NODES = ["ann@acme", "bob@acme", "cy@acme"]


@st.composite
def event_lists(draw: st.DrawFn) -> list[Event]:
    payloads = [
        (EventKind.ASSIGN, {"assignee": "bob@acme"}),
        (EventKind.ASSIGN, {"assignee": "cy@acme"}),
        (EventKind.UNASSIGN, {}),
        (EventKind.STATUS, {"status": "pending"}),
        (EventKind.STATUS, {"status": "closed"}),
        (EventKind.STATUS, {"status": "spam"}),
        (EventKind.TAG, {"tag": "vip"}),
        (EventKind.UNTAG, {"tag": "vip"}),
        (EventKind.TAG, {"tag": "billing"}),
        (EventKind.SNOOZE, {"until": "2024-06-01T00:00:00+00:00"}),
        (EventKind.UNSNOOZE, {}),
        ("note", {"text": "hello"}),
    ]
    events = []
    for _ in range(draw(st.integers(0, 14))):
        kind, data = draw(st.sampled_from(payloads))
        events.append(
            ev(
                kind,
                data,
                minute=draw(st.integers(0, 4)),
                counter=draw(st.integers(0, 2)),
                node=draw(st.sampled_from(NODES)),
                event_id=draw(st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6"])),  # collisions on purpose
            )
        )
    return events


@settings(max_examples=400, deadline=None)
@given(
    events=event_lists(), seed=st.integers(0, 2**32), customer_minutes=st.lists(st.integers(0, 5), max_size=3)
)
def test_reduction_ignores_order_and_duplicates(
    events: list[Event], seed: int, customer_minutes: list[int]
) -> None:
    rng = random.Random(seed)
    times = [T0 + timedelta(minutes=m, seconds=30) for m in customer_minutes]
    shuffled = events + rng.sample(events, k=len(events) // 2)
    rng.shuffle(shuffled)
    assert reduce_state(shuffled, reversed(times)) == reduce_state(events, times)


# -- status history -----------------------------------------------------------------


def test_an_undo_takes_its_status_change_out_of_the_history() -> None:
    pending = ev(EventKind.STATUS, {"status": "pending"}, minute=1)
    close = ev(EventKind.STATUS, {"status": "closed"}, minute=2)
    undo = ev(EventKind.STATUS, {"status": "pending", "undoes": close.id}, minute=3)
    assert status_history([undo, close, pending]) == [(pending.at, Status.PENDING)]
    assert reduce_state([pending, close, undo]).status is Status.PENDING


def test_an_undo_after_someone_elses_change_stays_a_change() -> None:
    close = ev(EventKind.STATUS, {"status": "closed"}, minute=1)
    spam = ev(EventKind.STATUS, {"status": "spam"}, minute=2, node="bob@acme.example")
    undo = ev(EventKind.STATUS, {"status": "active", "undoes": close.id}, minute=3)
    assert status_history([close, spam, undo]) == [
        (close.at, Status.CLOSED),
        (spam.at, Status.SPAM),
        (undo.at, Status.ACTIVE),
    ]


def test_undoing_a_change_then_the_one_before_it_leaves_nothing() -> None:
    close = ev(EventKind.STATUS, {"status": "closed"}, minute=1)
    reopen = ev(EventKind.STATUS, {"status": "active"}, minute=2)
    undo_reopen = ev(EventKind.STATUS, {"status": "closed", "undoes": reopen.id}, minute=3)
    undo_close = ev(EventKind.STATUS, {"status": "active", "undoes": close.id}, minute=4)
    assert status_history([undo_close, reopen, close, undo_reopen]) == []
