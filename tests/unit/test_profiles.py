"""Customer profiles: strict payloads, last-writer-wins fields, customer notes, order independence."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventError
from shared_inbox.domain.profiles import (
    CUSTOMER_NOTE_ADD,
    CUSTOMER_NOTE_DELETE,
    CUSTOMER_NOTE_EDIT,
    CUSTOMER_SET,
    MAX_FIELD_CHARS,
    check_customer_event,
    customer_field_data,
    customer_note_data,
    reduce_profiles,
)

T0 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
ALICE = "alice@acme.example"
BOB = "bob@acme.example"
ANN = "ann@customer.example"


def ev(kind: str, data: Mapping[str, object], *, minute: int = 0, author: str = ALICE) -> Event:
    moment = T0 + timedelta(minutes=minute)
    return Event(
        id=f"{kind}-{minute}-{author}".replace("@", "_").replace(".", "_")[:64],
        kind=kind,
        anchor="m1@customer.example",
        author=author,
        at=moment,
        clock=Hlc(int(moment.timestamp() * 1000), 0, author),
        data=data,
    )


def set_field(field: str, value: str, minute: int = 0, author: str = ALICE, email: str = ANN) -> Event:
    return ev(CUSTOMER_SET, customer_field_data(email, field, value), minute=minute, author=author)


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (CUSTOMER_SET, {"field": "name", "value": "Ann"}, "'email'"),
        (CUSTOMER_SET, {"email": "Ann@Customer.example", "field": "name", "value": "Ann"}, "lower-case"),
        (CUSTOMER_SET, {"email": ANN, "field": "password", "value": "x"}, "one of name"),
        (CUSTOMER_SET, {"email": ANN, "field": "name", "value": 5}, "must be text"),
        (CUSTOMER_SET, {"email": ANN, "field": "name", "value": "x" * (MAX_FIELD_CHARS + 1)}, "at most"),
        (CUSTOMER_SET, {"email": ANN, "field": "name", "value": "two\nlines"}, "one line"),
        (CUSTOMER_NOTE_ADD, {"email": ANN, "text": "hi"}, "'note' id"),
        (CUSTOMER_NOTE_ADD, {"email": "nobody", "note": "c1", "text": "hi"}, "'email'"),
        (CUSTOMER_NOTE_EDIT, {"email": ANN, "note": "c1"}, "non-empty 'text'"),
        ("note_add", {"email": ANN, "note": "c1", "text": "hi", "mentions": []}, "not a customer event"),
    ],
)
def test_malformed_customer_events_are_refused_with_the_reason(
    kind: str, data: dict[str, object], message: str
) -> None:
    with pytest.raises(EventError, match=message):
        check_customer_event(ev(kind, data))


def test_the_latest_value_of_each_field_wins_and_an_empty_value_clears() -> None:
    events = [
        set_field("company", "Initech", 0),
        set_field("company", "Globex", 5, BOB),
        set_field("birthday", "3 March", 1),
        set_field("birthday", "", 2),
        set_field("tags", "vip, beta  wholesale", 3),
    ]
    record = reduce_profiles(events)[ANN]
    assert record.value("company") == "Globex" and record.fields["company"].author == BOB
    assert record.value("birthday") == "" and "birthday" not in record.fields
    assert record.tags == ("vip", "beta", "wholesale")


def test_customer_notes_are_kept_per_address_and_changed_by_their_author_only() -> None:
    other = "zed@else.example"
    events = [
        ev(CUSTOMER_NOTE_ADD, customer_note_data(ANN, "c1", "Prefers phone calls"), minute=0),
        ev(CUSTOMER_NOTE_EDIT, customer_note_data(ANN, "c1", "Prefers calls after 2pm"), minute=1),
        ev(CUSTOMER_NOTE_EDIT, customer_note_data(ANN, "c1", "vandalised"), minute=2, author=BOB),
        ev(CUSTOMER_NOTE_ADD, customer_note_data(other, "c1", "Another person"), minute=3, author=BOB),
        ev(CUSTOMER_NOTE_ADD, customer_note_data(ANN, "c2", "Gone soon"), minute=4),
        ev(CUSTOMER_NOTE_DELETE, customer_note_data(ANN, "c2"), minute=5),
    ]
    profiles = reduce_profiles(events)
    assert [(n.id, n.text) for n in profiles[ANN].notes] == [("c1", "Prefers calls after 2pm")]
    assert [(n.text, n.author) for n in profiles[other].notes] == [("Another person", BOB)]
    assert "Prefers calls after 2pm" in profiles[ANN].searchable()


HISTORY = [
    set_field("name", "Ann Example", 0),
    set_field("name", "Ann Q. Example", 4, BOB),
    set_field("company", "Initech", 1),
    set_field("company", "", 6),
    set_field("interests", "sailing", 2, BOB),
    ev(CUSTOMER_NOTE_ADD, customer_note_data(ANN, "c1", "Call before noon"), minute=3),
    ev(CUSTOMER_NOTE_EDIT, customer_note_data(ANN, "c1", "Call after noon"), minute=7),
]


@given(st.permutations(HISTORY), st.lists(st.sampled_from(HISTORY), max_size=5))
def test_profiles_do_not_depend_on_arrival_order_or_duplicates(
    order: list[Event], duplicates: list[Event]
) -> None:
    profiles = reduce_profiles([*order, *duplicates])
    assert profiles == reduce_profiles(HISTORY)
    record = profiles[ANN]
    assert {name: value.value for name, value in record.fields.items()} == {
        "name": "Ann Q. Example",
        "interests": "sailing",
    }
    assert [note.text for note in record.notes] == ["Call after noon"]
