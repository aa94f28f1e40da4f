"""Presence notes: the wire format, what this agent sends when, and what a reader keeps."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.presence import Presence
from shared_inbox.services.presence import PresenceBoard, PresenceOutbox, Seen
from shared_inbox.team.encoding import BatchError, decode_batch
from shared_inbox.team.envelope import open_envelope
from shared_inbox.team.presence import (
    MAX_NOTE_BYTES,
    MAX_TTL_SECONDS,
    PresenceError,
    decode_presence,
    encode_presence,
    is_presence,
    new_note,
    stale_uids,
)

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)
ME, BOB = "alice@example.com", "bob@example.com"
VIEW = Presence("a@customer.test", "viewing")
REPLY = Presence("b@customer.test", "replying")


def forged(payload: object, version: str = "1") -> bytes:
    body = base64.encodebytes(json.dumps(payload).encode())
    return f"X-Shared-Inbox: presence {version}\r\nSubject: x\r\n\r\n".encode() + body


GOOD = {"v": 1, "id": "a" * 32, "agent": BOB, "at": T0.isoformat(), "ttl": 60, "entries": []}


def test_a_note_survives_the_round_trip_and_is_told_apart_from_event_batches() -> None:
    note = new_note(BOB, [REPLY, VIEW], T0, TTL)
    raw = encode_presence(note)
    assert is_presence(raw)
    assert decode_presence(raw) == note
    with pytest.raises(BatchError):
        decode_batch(raw)  # an older reader skips it instead of taking it for team state


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"v": 2}, "version"),
        ({"id": "../../etc"}, "id"),
        ({"agent": "bob <script>"}, "agent"),
        ({"ttl": -5}, "ttl"),
        ({"ttl": "60"}, "ttl"),
        ({"at": "yesterday"}, "time"),
        ({"at": "2026-10-01T09:00:00"}, "naive time"),
        ({"entries": [{"anchor": "", "activity": "viewing"}]}, "empty anchor"),
        ({"entries": [{"anchor": "x@y", "activity": "deleting"}]}, "activity"),
        ({"entries": [{"anchor": "x@y", "activity": "viewing"}] * 9}, "too many"),
    ],
)
def test_hostile_notes_are_refused(change: dict[str, object], reason: str) -> None:
    with pytest.raises(PresenceError):
        decode_presence(forged({**GOOD, **change}))


def test_a_note_claiming_a_long_life_is_cut_to_the_limit() -> None:
    note = decode_presence(forged({**GOOD, "ttl": 86400}))
    assert note.expires_at == T0 + timedelta(seconds=MAX_TTL_SECONDS)


def test_only_expired_notes_are_stale_for_compaction() -> None:
    fresh = encode_presence(new_note(BOB, [VIEW], T0, TTL))
    old = encode_presence(new_note(BOB, [VIEW], T0 - 2 * TTL, TTL))
    other_version = b"X-Shared-Inbox: presence 9\r\n\r\nAAAA"
    opened = [
        (uid, open_envelope(raw, max_bytes=MAX_NOTE_BYTES))
        for uid, raw in enumerate((fresh, old, other_version), 1)
    ]
    assert stale_uids(opened, T0) == [2]


def test_changes_between_two_rounds_go_out_as_one_note() -> None:
    outbox = PresenceOutbox(ME, ttl=TTL, refresh=timedelta(seconds=25))
    assert outbox.want([VIEW], T0)
    assert outbox.want([REPLY], T0)
    note = outbox.take(T0)
    assert note is not None and note.entries == (REPLY,)
    assert outbox.take(T0) is None
    assert not outbox.want([REPLY], T0 + timedelta(seconds=10))


@pytest.mark.parametrize(
    ("wanted", "after", "due"),
    [
        ([VIEW], 24, False),
        ([VIEW], 25, True),  # refreshed while still true
        ([], 300, False),  # nothing to say: nothing sent, however long
    ],
)
def test_refresh(wanted: list[Presence], after: int, due: bool) -> None:
    outbox = PresenceOutbox(ME, ttl=TTL, refresh=timedelta(seconds=25))
    outbox.want(wanted, T0)
    outbox.take(T0)
    assert outbox.want(wanted, T0 + timedelta(seconds=after)) is due


def test_leaving_sends_an_empty_note_and_superseded_notes_are_deleted() -> None:
    outbox = PresenceOutbox(ME, ttl=TTL)
    outbox.want([VIEW], T0)
    first = outbox.take(T0)
    assert first is not None
    outbox.seen_own(10, first)
    assert outbox.stale_own(T0) == []
    outbox.want([], T0)
    cleared = outbox.take(T0)
    assert cleared is not None and cleared.entries == ()
    outbox.seen_own(11, cleared)
    assert outbox.stale_own(T0) == [10]
    outbox.deleted([10])
    assert outbox.stale_own(T0 + TTL) == [11]  # the last one too, once expired


def test_the_board_keeps_the_newest_note_per_teammate_and_drops_expired_ones() -> None:
    board = PresenceBoard(ME)
    older = new_note(BOB, [VIEW], T0, TTL)
    newer = new_note(BOB, [REPLY], T0 + timedelta(seconds=5), TTL)
    mine = new_note(ME, [VIEW], T0, TTL)
    assert board.take_in([newer, older, mine], T0 + timedelta(seconds=6))
    resolve = {"a@customer.test": "conv-a", "b@customer.test": "conv-b"}.get
    assert board.by_conversation(resolve, T0 + timedelta(seconds=6)) == {"conv-b": [Seen(BOB, "replying")]}
    assert not board.drop_expired(T0 + TTL)
    assert board.by_conversation(resolve, T0 + TTL + timedelta(seconds=5)) == {}
    assert board.drop_expired(T0 + TTL + timedelta(seconds=5))
    assert not board.active
