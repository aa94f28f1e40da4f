"""Signing and checking the messages of the events folder: what a reader takes in, and what it refuses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.clock import Hlc, wall_ms
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.presence import Presence
from shared_inbox.team.encoding import MAX_MESSAGE_BYTES, batch_from, decode_batch, encode_batch
from shared_inbox.team.envelope import describe, open_envelope
from shared_inbox.team.presence import decode_presence, encode_presence, new_note
from shared_inbox.team.signing import (
    MAX_CLOCK_AHEAD,
    NO_KEY,
    TeamKeys,
    Verdict,
    key_id,
    new_key,
    split_by_clock,
)

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
KEY, OTHER = "k" * 43, "o" * 43
KEYS = TeamKeys.from_text(KEY)


def event(n: int, at: datetime = NOW) -> Event:
    return Event(
        id=f"e{n}",
        kind=EventKind.TAG,
        anchor="a@customer.test",
        author="ann@acme.test",
        at=at,
        clock=Hlc(wall_ms(at), n, "ann@acme.test"),
        data={"tag": f"t{n}"},
    )


def verdict(raw: bytes, keys: TeamKeys = KEYS) -> Verdict:
    return keys.verify(open_envelope(raw, max_bytes=MAX_MESSAGE_BYTES))


def with_body(raw: bytes, body: bytes) -> bytes:
    head, _, _ = raw.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n" + base64.encodebytes(body)


def test_a_signed_batch_verifies_and_decodes() -> None:
    raw = encode_batch([event(1), event(2)], sender="ann@acme.test", now=NOW, keys=KEYS)
    envelope = open_envelope(raw, max_bytes=MAX_MESSAGE_BYTES)
    assert KEYS.verify(envelope) is Verdict.SIGNED
    assert batch_from(envelope).events == [event(1), event(2)]
    assert f"X-Shared-Inbox-Signature: v1 {key_id(KEY.encode())} ".encode() in raw


def test_the_signature_survives_a_server_that_rewraps_the_base64_lines() -> None:
    raw = encode_batch([event(n) for n in range(30)], sender="ann@acme.test", now=NOW, keys=KEYS)
    head, _, body = raw.partition(b"\r\n\r\n")
    rewrapped = b"".join(body.split())
    rewrapped = b"\r\n".join(rewrapped[i : i + 60] for i in range(0, len(rewrapped), 60))
    assert verdict(head + b"\r\n\r\n" + rewrapped) is Verdict.SIGNED


def test_the_signature_survives_a_server_that_folds_the_header() -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    folded = raw.replace(b"X-Shared-Inbox-Signature: v1 ", b"X-Shared-Inbox-Signature:\r\n\tv1\r\n ")
    assert folded != raw
    assert verdict(folded) is Verdict.SIGNED


def test_a_real_batch_with_edited_events_is_refused() -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    forged = encode_batch([event(2)], sender="ann@acme.test", now=NOW)  # same shape, other events
    forged_body = open_envelope(forged, max_bytes=MAX_MESSAGE_BYTES).body
    assert verdict(with_body(raw, forged_body)) is Verdict.BAD_SIGNATURE


def test_a_batch_turned_into_a_snapshot_in_its_header_is_refused() -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    assert verdict(raw.replace(b"X-Shared-Inbox: events 1", b"X-Shared-Inbox: snapshot 1")) is (
        Verdict.BAD_SIGNATURE
    )


def test_a_presence_signature_does_not_vouch_for_a_batch() -> None:
    note = new_note("ann@acme.test", [Presence("a@customer.test", "viewing")], NOW, timedelta(seconds=60))
    presence = encode_presence(note, KEYS)
    envelope = open_envelope(presence, max_bytes=MAX_MESSAGE_BYTES)
    assert KEYS.verify(envelope) is Verdict.SIGNED
    assert decode_presence(presence) == note
    batch = encode_batch([event(1)], sender="ann@acme.test", now=NOW)
    signature = presence.split(b"X-Shared-Inbox-Signature: ")[1].split(b"\r\n")[0]
    swapped = with_body(batch, envelope.body).replace(
        b"X-Shared-Inbox: events 1", b"X-Shared-Inbox: events 1\r\nX-Shared-Inbox-Signature: " + signature
    )
    assert verdict(swapped) is Verdict.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (TeamKeys.from_text(OTHER), Verdict.BAD_SIGNATURE),
        (TeamKeys.from_text(OTHER, previous=KEY), Verdict.PREVIOUS_KEY),
        (TeamKeys.from_text(KEY, previous=OTHER), Verdict.SIGNED),
        (NO_KEY, Verdict.UNAUTHENTICATED),
    ],
    ids=["unknown key", "previous key", "current key", "no key"],
)
def test_which_keys_accept_a_signed_batch(keys: TeamKeys, expected: Verdict) -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    assert verdict(raw, keys) is expected
    assert expected.accepted is (expected is not Verdict.BAD_SIGNATURE)


@pytest.mark.parametrize(
    "signature",
    ["", "v1", "v2 0123456789abcdef " + "0" * 64, "v1 0123456789abcdef " + "0" * 64, "v1 zz zz"],
)
def test_a_malformed_or_made_up_signature_is_refused(signature: str) -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW)
    head, _, body = raw.partition(b"\r\n\r\n")
    raw = head + f"\r\nX-Shared-Inbox-Signature: {signature}".encode() + b"\r\n\r\n" + body
    assert verdict(raw) in (Verdict.BAD_SIGNATURE, Verdict.UNSIGNED)
    assert not verdict(raw).accepted


def test_an_unsigned_batch_is_refused_with_a_key_and_taken_without() -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW)
    assert verdict(raw) is Verdict.UNSIGNED
    assert verdict(raw, NO_KEY) is Verdict.UNAUTHENTICATED


@pytest.mark.parametrize(
    "trace",
    [b"Received: from mx.evil.test by mail.example.com", b"Return-Path: <mallory@evil.test>", b"RECEIVED:x"],
)
@pytest.mark.parametrize("keys", [KEYS, NO_KEY], ids=["with key", "without key"])
def test_what_a_mail_server_delivered_is_refused_even_when_signed(trace: bytes, keys: TeamKeys) -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    assert verdict(trace + b"\r\n" + raw, keys) is Verdict.RELAYED


def test_a_received_text_inside_a_folded_header_or_the_body_is_not_a_trace() -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    folded = raw.replace(b"Subject: ", b"Subject: note\r\n Received: not a header\r\nX-Note: ", 1)
    assert verdict(folded) is Verdict.SIGNED


def test_names_of_ignored_messages_are_safe_to_print() -> None:
    raw = b"From: \x1b]8;;http://evil\x07Boss\x1b[0m <x@y>\r\nSubject: " + b"\xff" * 300 + b"\r\n\r\nbody"
    sender, subject = describe(raw)
    assert all(" " <= c <= "~" for c in sender + subject)
    assert "\x1b" not in sender and len(subject) <= 80


def test_new_keys_are_long_random_and_printable() -> None:
    keys = {new_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(key) >= 43 and key.isascii() and key.isprintable() for key in keys)


def test_clocks_more_than_a_few_minutes_ahead_are_refused() -> None:
    limit = NOW + MAX_CLOCK_AHEAD
    events = [
        event(1, NOW),
        event(2, limit),
        event(3, limit + timedelta(milliseconds=1)),
        event(4, NOW.replace(year=9999)),
    ]
    kept, refused = split_by_clock(events, NOW)
    assert [e.id for e in kept] == ["e1", "e2"]
    assert [e.id for e in refused] == ["e3", "e4"]


def test_decoding_without_a_key_check_still_reads_a_signed_batch() -> None:
    raw = encode_batch([event(1)], sender="ann@acme.test", now=NOW, keys=KEYS)
    assert decode_batch(raw).events == [event(1)]
