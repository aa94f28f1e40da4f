"""Internal notes: strict payloads, author-only changes, @mentions and an order-independent fold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventError, event_from_json, event_to_json
from shared_inbox.domain.notes import (
    MAX_NOTE_CHARS,
    NOTE_ADD,
    NOTE_DELETE,
    NOTE_EDIT,
    check_note_event,
    find_mentions,
    note_data,
    reduce_notes,
)

T0 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
ALICE = "alice@acme.example"
BOB = "bob@acme.example"
TEAM = [("Alice Agent", ALICE), ("Bob Builder", BOB), ("Bobby Tables", "robert@acme.example")]


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


def add(
    note: str = "n1", text: str = "Called her", minute: int = 0, author: str = ALICE, **kw: object
) -> Event:
    mentions = kw.get("mentions", [])
    assert isinstance(mentions, list)
    return ev(NOTE_ADD, note_data(note, text, mentions), minute=minute, author=author)


def edit(note: str = "n1", text: str = "Called her twice", minute: int = 1, author: str = ALICE) -> Event:
    return ev(NOTE_EDIT, note_data(note, text), minute=minute, author=author)


def delete(note: str = "n1", minute: int = 2, author: str = ALICE) -> Event:
    return ev(NOTE_DELETE, note_data(note), minute=minute, author=author)


# -- payloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (NOTE_ADD, {"text": "x", "mentions": []}, "'note' id"),
        (NOTE_ADD, {"note": "a b", "text": "x", "mentions": []}, "'note' id"),
        (NOTE_ADD, {"note": "n1", "mentions": []}, "non-empty 'text'"),
        (NOTE_ADD, {"note": "n1", "text": "   ", "mentions": []}, "non-empty 'text'"),
        (NOTE_ADD, {"note": "n1", "text": "x" * (MAX_NOTE_CHARS + 1), "mentions": []}, "at most"),
        (NOTE_ADD, {"note": "n1", "text": "bell \x07", "mentions": []}, "control characters"),
        (NOTE_ADD, {"note": "n1", "text": "x"}, "list of email"),
        (NOTE_ADD, {"note": "n1", "text": "x", "mentions": "bob@acme.example"}, "list of email"),
        (NOTE_ADD, {"note": "n1", "text": "x", "mentions": ["not an address"]}, "email addresses only"),
        (NOTE_ADD, {"note": "n1", "text": "x", "mentions": ["Bob@Acme.example"]}, "lower-case"),
        (
            NOTE_ADD,
            {"note": "n1", "text": "x", "mentions": [f"u{i}@a.example" for i in range(21)]},
            "at most",
        ),
        (NOTE_ADD, {"note": "n1", "text": "é" * 1000, "mentions": []}, "too long"),
        (NOTE_EDIT, {"note": "n1"}, "non-empty 'text'"),
        (NOTE_EDIT, {"note": "n1", "text": "x", "mentions": [7]}, "email addresses only"),
        (NOTE_DELETE, {}, "'note' id"),
        ("promise_done", {"note": "n1"}, "not a note event"),
    ],
)
def test_malformed_note_events_are_refused_with_the_reason(
    kind: str, data: dict[str, object], message: str
) -> None:
    with pytest.raises(EventError, match=message):
        check_note_event(ev(kind, data))


def test_a_valid_note_survives_the_json_round_trip_and_keeps_its_lines() -> None:
    event = add(text="Line one\n\tindented\nline three", mentions=[BOB])
    check_note_event(event_from_json(event_to_json(event)))
    [note] = reduce_notes([event_from_json(event_to_json(event))])
    assert note.text == "Line one\n\tindented\nline three" and note.mentions == (BOB,)


# -- folding -----------------------------------------------------------------------------------


def test_an_edit_by_the_author_replaces_the_text_and_records_when() -> None:
    [note] = reduce_notes([add(), edit(minute=5)])
    assert note.text == "Called her twice" and note.author == ALICE
    assert note.created_at == T0 and note.edited_at == T0 + timedelta(minutes=5)


def test_edits_and_deletions_by_someone_else_are_ignored() -> None:
    [note] = reduce_notes([add(), edit(author=BOB), delete(author=BOB)])
    assert note.text == "Called her" and note.edited_at is None


def test_a_deletion_by_the_author_is_final_even_before_a_later_edit() -> None:
    assert reduce_notes([add(), delete(minute=1), edit(minute=9)]) == []


def test_an_edit_may_replace_the_mentions() -> None:
    changed = ev(NOTE_EDIT, note_data("n1", "now for Bob", [BOB]), minute=3)
    [note] = reduce_notes([add(mentions=[ALICE]), changed, edit(minute=1)])
    assert note.mentions == (BOB,) and note.text == "now for Bob"


def test_notes_come_oldest_first_and_invalid_events_are_skipped() -> None:
    forged = ev(NOTE_ADD, {"note": "bad id!", "text": "x", "mentions": []}, minute=1)
    events = [add("late", minute=9), forged, add("early", minute=1), ev("assign", {"assignee": BOB})]
    assert [note.id for note in reduce_notes(events)] == ["early", "late"]


def test_notes_written_within_one_clock_tick_keep_the_order_they_were_written_in() -> None:
    """Same wall time: the logical clock decides, not the random note id ("zz" sorts after "aa")."""
    first = add("zz", "First look: courier")
    second = replace(
        add("aa", "Waiting for the courier"), id="second", clock=Hlc(first.clock.wall_ms, 1, ALICE)
    )
    assert [note.text for note in reduce_notes([second, first])] == [
        "First look: courier",
        "Waiting for the courier",
    ]


HISTORY = [
    add("n1", "first", 0, mentions=[BOB]),
    add("n2", "second", 1, BOB),
    edit("n1", "first, edited", 2),
    edit("n1", "edited by a stranger", 3, BOB),
    edit("n2", "second, edited", 4, BOB),
    delete("n2", 5, ALICE),  # not Alice's note
    add("n3", "third", 6),
    edit("n3", "third, edited", 7),
    delete("n3", 8),
    edit("n1", "first, edited again", 9),
]


@given(st.permutations(HISTORY), st.lists(st.sampled_from(HISTORY), max_size=5))
def test_the_notes_do_not_depend_on_arrival_order_or_duplicates(
    order: list[Event], duplicates: list[Event]
) -> None:
    notes = reduce_notes([*order, *duplicates])
    assert notes == reduce_notes(HISTORY)
    assert [(n.id, n.text, n.author) for n in notes] == [
        ("n1", "first, edited again", ALICE),
        ("n2", "second, edited", BOB),
    ]


# -- mentions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@bob please call her back", (BOB,)),
        ("Ask @Bob, then @alice.", (BOB, ALICE)),
        ("cc @bob@acme.example and @bob again", (BOB,)),
        ("@bobby knows the tables", ("robert@acme.example",)),
        ("@robert", ("robert@acme.example",)),
        ("write to ann@customer.example", ()),
        ("@carol is not on the team", ()),
        ("no mentions at all", ()),
    ],
)
def test_mentions_resolve_handles_against_the_team(text: str, expected: tuple[str, ...]) -> None:
    assert find_mentions(text, TEAM) == expected


def test_a_handle_that_fits_two_teammates_mentions_nobody() -> None:
    team = [("Sam One", "sam@a.example"), ("Sam Two", "samantha@a.example"), ("x", "sam2@a.example")]
    assert find_mentions("@sam", [*team, ("Sam Three", "s3@a.example")]) == ()
