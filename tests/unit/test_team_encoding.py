"""The events folder's message format, and the durable shipping queue."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, event_to_json
from shared_inbox.store import Store
from shared_inbox.team import encoding
from shared_inbox.team.encoding import BatchError, decode_batch, encode_batch
from shared_inbox.team.shipping import SHIPPED_KEY, FetchCursor, IgnoredMessage, IgnoredReport, ShipQueue

NOW = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
SNAP = "snapshot 1"


def event(n: int, tag: str = "vip") -> Event:
    return Event(
        id=f"ev{n}",
        kind="tag",
        anchor="q1@customer.test",
        author="ann@acme.test",
        at=NOW,
        clock=Hlc(1_777_000_000_000 + n, 0, "ann@acme.test"),
        data={"tag": tag},
    )


def raw_message(payload: object, header: str = "events 1") -> bytes:
    body = base64.encodebytes(zlib.compress(json.dumps(payload).encode()))
    return f"X-Shared-Inbox: {header}\r\n\r\n".encode() + body


def test_a_batch_reads_back_as_the_same_events() -> None:
    events = [event(n) for n in range(3)]
    raw = encode_batch(events, sender="ann@acme.test", now=NOW)
    assert b"X-Shared-Inbox: events 1\r\n" in raw
    assert raw.isascii()
    batch = decode_batch(raw)
    assert (batch.events, batch.snapshot, batch.covers, batch.rejected) == (events, False, None, [])


def test_a_snapshot_carries_the_uid_range_it_covers() -> None:
    batch = decode_batch(encode_batch([event(1)], sender="ann@acme.test", now=NOW, covers=(3, 90)))
    assert (batch.snapshot, batch.covers, batch.events) == (True, (3, 90), [event(1)])


def test_a_hostile_sender_does_not_reach_the_headers() -> None:
    raw = encode_batch([event(1)], sender="x@y\r\nBcc: victim@example.com", now=NOW)
    assert b"victim" not in raw
    assert decode_batch(raw).events == [event(1)]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"Subject: hi\r\n\r\nhello\r\n", "no X-Shared-Inbox header"),
        (b"X-Shared-Inbox: events 1\r\n", "no body"),
        (b"X-Shared-Inbox: events 2\r\n\r\nAAAA\r\n", "version 2"),
        (b"X-Shared-Inbox: events 1\r\n\r\n%%%\r\n", "not base64"),
        (raw_message([1, 2]), "not a version 1 object"),
        (raw_message({"v": 1, "type": "snapshot", "events": []}), "type does not match"),
        (raw_message({"v": 1, "type": "events", "events": {}}), "no event list"),
        (raw_message({"v": 1, "type": "snapshot", "covers": [9, 2], "events": []}, SNAP), "UID range"),
        (raw_message({"v": 1, "type": "snapshot", "covers": [0, 2], "events": []}, SNAP), "UID range"),
    ],
)
def test_unreadable_messages_are_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(BatchError, match=reason):
        decode_batch(raw)


def test_a_zlib_bomb_stops_at_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "MAX_JSON_BYTES", 10_000)
    bomb = base64.encodebytes(zlib.compress(b"[" + b" " * 1_000_000 + b"]", 9))
    with pytest.raises(BatchError, match="size limit"):
        decode_batch(b"X-Shared-Inbox: events 1\r\n\r\n" + bomb)


def test_an_oversized_message_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = encode_batch([event(n) for n in range(50)], sender="ann@acme.test", now=NOW)
    monkeypatch.setattr(encoding, "MAX_MESSAGE_BYTES", len(raw) - 1)
    with pytest.raises(BatchError, match="limit"):
        decode_batch(raw)


def test_bad_events_are_dropped_one_by_one() -> None:
    good = event_to_json(event(1))
    forged = good | {"id": "bad id"}
    batch = decode_batch(raw_message({"v": 1, "type": "events", "covers": None, "events": [forged, 7, good]}))
    assert batch.events == [event(1)]
    assert len(batch.rejected) == 2


# -- the shipping queue ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "store") as opened:
        yield opened


def test_local_events_wait_until_marked_shipped(store: Store) -> None:
    queue = ShipQueue(store)
    for n in range(3):
        store.append_event(event_to_json(event(n)))
    pending = queue.pending()
    assert [e.id for e, _ in pending.events] == ["ev0", "ev1", "ev2"]
    queue.mark_shipped(pending.events[1][1])
    assert [e.id for e, _ in ShipQueue(store).pending().events] == ["ev2"]
    queue.mark_shipped(pending.end)
    assert ShipQueue(store).pending().events == []
    assert store.get_setting(SHIPPED_KEY) == 3


def test_teammates_events_are_stored_once_and_not_shipped_back(store: Store) -> None:
    queue = ShipQueue(store)
    store.append_event(event_to_json(event(0)))
    fresh = queue.ingest([event(1), event(2), event(2)])
    assert [e.id for e in fresh] == ["ev1", "ev2"]
    assert queue.ingest([event(2)]) == []
    assert store.event_count() == 3
    assert [e.id for e, _ in queue.pending().events] == ["ev0"]


def test_a_damaged_cursor_means_shipping_everything_again(store: Store) -> None:
    store.append_event(event_to_json(event(1)))
    store.set_setting(SHIPPED_KEY, "lots")
    store.set_setting("team.fetched", {"uidvalidity": "x"})
    queue = ShipQueue(store)
    assert [e.id for e, _ in queue.pending().events] == ["ev1"]
    assert queue.fetch_cursor() is None
    queue.save_fetch_cursor(FetchCursor(7, 42))
    assert ShipQueue(store).fetch_cursor() == FetchCursor(7, 42)


def test_ignored_messages_are_remembered_by_name_and_a_full_read_replaces_them(store: Store) -> None:
    queue = ShipQueue(store)
    assert queue.ignored() == IgnoredReport(0, [])
    queue.record_ignored(7, [IgnoredMessage(3, "not signed", "x <x@y>", "hi")], complete=False)
    queue.record_ignored(7, [IgnoredMessage(3, "not signed"), IgnoredMessage(5, "bad")], complete=False)
    assert ShipQueue(store).ignored() == IgnoredReport(
        2, [IgnoredMessage(3, "not signed", "x <x@y>", "hi"), IgnoredMessage(5, "bad")]
    )
    queue.record_ignored(7, [IgnoredMessage(6, "bad")], complete=False, gone={3})  # 3 was deleted
    assert queue.ignored() == IgnoredReport(2, [IgnoredMessage(5, "bad"), IgnoredMessage(6, "bad")])
    queue.record_ignored(7, [IgnoredMessage(5, "bad")], complete=True)  # compaction read the whole folder
    assert queue.ignored() == IgnoredReport(1, [IgnoredMessage(5, "bad")])
    queue.record_ignored(8, [], complete=False)  # the folder was recreated
    assert queue.ignored() == IgnoredReport(0, [])
    queue.record_ignored(8, [IgnoredMessage(n, "bad") for n in range(1, 80)], complete=False)
    report = queue.ignored()
    assert report.total == 79 and len(report.named) == 50 and report.named[-1].uid == 79


def test_a_cursor_remembers_which_keys_read_the_folder(store: Store) -> None:
    queue = ShipQueue(store)
    queue.save_fetch_cursor(FetchCursor(7, 42, "abc def"))
    assert ShipQueue(store).fetch_cursor() == FetchCursor(7, 42, "abc def")
    store.set_setting("team.fetched", {"uidvalidity": 7, "last_uid": 42})  # written before keys existed
    assert queue.fetch_cursor() == FetchCursor(7, 42, "")
