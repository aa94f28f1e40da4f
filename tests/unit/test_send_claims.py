"""Settling claims to send an automatic reply: the claim stored first wins, in doubt nobody sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import event_from_json, event_to_json
from shared_inbox.domain.send_claims import (
    SendClaim,
    Sighting,
    beaten_by,
    claim_event,
    claim_id,
    claim_of,
    make_claim,
)

T0 = datetime(2026, 11, 23, 10, tzinfo=UTC)
DAY = timedelta(hours=24)


def claim(
    copy: str, occurrence: str = "ack/c1/new", recipient: str = "ann@x.example", minutes: int = 0
) -> SendClaim:
    return make_claim(f"{copy}@acme.example", copy, occurrence, recipient, T0 + timedelta(minutes=minutes))


def test_the_first_stored_of_two_claims_for_one_occurrence_wins_on_both_sides() -> None:
    alice, bob = claim("alice"), claim("bob")
    assert beaten_by(alice, 7, [Sighting(alice, 7), Sighting(bob, 8)], DAY) is None
    assert beaten_by(bob, 8, [Sighting(alice, 7), Sighting(bob, 8)], DAY) == alice


def test_a_later_claim_never_beats_mine_whatever_its_clock() -> None:
    mine, later = claim("bob", minutes=5), claim("alice", minutes=0)
    assert beaten_by(mine, 3, [Sighting(later, 4)], DAY) is None


def test_a_claim_known_before_or_read_from_a_snapshot_counts_as_earlier() -> None:
    assert beaten_by(claim("bob"), 9, [Sighting(claim("alice"), None)], DAY) == claim("alice")


def test_claims_for_the_same_address_within_the_window_conflict_across_occurrences() -> None:
    first = claim("alice", "ack/c1/new", minutes=0)
    other_conversation = claim("bob", "ack/c2/new", minutes=60)
    much_later = claim("bob", "ack/c3/new", minutes=25 * 60)
    someone_else = claim("bob", "ack/c4/new", recipient="bo@x.example", minutes=1)
    assert beaten_by(other_conversation, 9, [Sighting(first, 3)], DAY) == first
    assert beaten_by(much_later, 9, [Sighting(first, 3)], DAY) is None
    assert beaten_by(someone_else, 9, [Sighting(first, 3)], DAY) is None


def test_a_copy_claiming_again_writes_the_same_event_and_never_beats_itself() -> None:
    again = claim("alice")
    assert again.id == claim("alice").id == claim_id("alice", "ack/c1/new")
    assert claim("alice").id != claim("alice2").id  # one agent, two copies: two claims
    assert beaten_by(again, 9, [Sighting(claim("alice"), 2)], DAY) is None


def test_a_claim_travels_as_a_team_event_and_reads_back() -> None:
    mine = claim("alice", "x" * 600)
    event = claim_event(mine, "q1@x.example", Hlc(1, 0, "alice@acme.example"))
    assert claim_of(event_from_json(event_to_json(event))) == mine
    assert len(mine.occurrence) == 512 and mine.id == claim_id("alice", "x" * 600)


def test_events_that_are_not_whole_claims_are_no_claims() -> None:
    event = claim_event(claim("alice"), "q1@x.example", Hlc(1, 0, "alice@acme.example"))
    doc = event_to_json(event)
    assert claim_of(event_from_json(doc | {"kind": "tag", "data": {"tag": "x"}})) is None
    assert claim_of(event_from_json(doc | {"data": {"occurrence": "o"}})) is None
    assert claim_of(event_from_json(doc | {"data": {"occurrence": "o", "recipient": 3}})) is None
