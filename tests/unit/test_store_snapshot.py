"""The messages snapshot: used when it matches the shards, ignored (never trusted) otherwise."""

from __future__ import annotations

import hashlib
import logging
import shutil
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.model import SEEN, Address, DeliveryFailure, Location, MessageKind, MessageMeta
from shared_inbox.store import Store
from shared_inbox.store.messages import MESSAGES_NAME, MessageShards
from shared_inbox.store.snapshot import _MAGIC as MAGIC
from shared_inbox.store.snapshot import SNAPSHOT_NAME, read_snapshot, write_snapshot

BASE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def make_meta(n: int) -> MessageMeta:
    """Every optional field set on some messages, hostile text on others."""
    rich = n % 3 == 0
    return MessageMeta(
        message_id=f"m{n}@customer.test",
        subject=f"Question {n} \udcff\x1b[31m" if n % 4 == 0 else f"Question {n}",
        sender=Address(f"Customer {n % 5}", f"c{n % 5}@customer.test"),
        to=(Address("Support", "support@example.com"),),
        cc=(Address("", f"cc{n}@customer.test"),) if rich else (),
        date=BASE + timedelta(minutes=n),
        in_reply_to=(f"m{n - 1}@customer.test",) if n else (),
        references=(f"m{n - 1}@customer.test",) if n else (),
        token="c0123456789" if rich else None,
        reply_to=(Address("Form", "form@customer.test"),) if rich else (),
        flags=frozenset({SEEN}) if n % 2 else frozenset(),
        size=1000 + n,
        locations=(Location("INBOX", 7, n + 1),),
        outgoing=n % 7 == 0,
        has_attachments=rich,
        synthetic_id=n % 11 == 0,
        header_notes=("Date was unreadable",) if rich else (),
        received=BASE + timedelta(minutes=n, seconds=5) if rich else None,
        kind=(MessageKind.CUSTOMER, MessageKind.BOUNCE, MessageKind.AUTO_REPLY, MessageKind.BULK)[n % 4],
        delivery_failures=(DeliveryFailure(f"c{n}@customer.test", n % 8 == 1, "550 5.1.1 user unknown"),)
        if n % 4 == 1
        else (),
        bounced_message_id=f"m{n - 1}@customer.test" if n % 4 == 1 else None,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A closed store of 30 messages over several shards, so it holds a snapshot."""
    root = tmp_path / "store"
    with Store.open(root, shard_size=8) as store:
        store.upsert_messages([make_meta(n) for n in range(30)])
    return root


def snapshot_of(root: Path) -> Path:
    return root / MESSAGES_NAME / SNAPSHOT_NAME


def shards_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record which shards get parsed from JSON on open."""
    read: list[int] = []
    original = MessageShards._load_shard

    def load_shard(self: MessageShards, number: int, shard_path: Path) -> None:
        read.append(number)
        original(self, number, shard_path)

    monkeypatch.setattr(MessageShards, "_load_shard", load_shard)
    return read


def test_a_closed_store_reopens_from_its_snapshot_with_every_field(path, monkeypatch):
    assert snapshot_of(path).exists()
    read = shards_read(monkeypatch)
    with Store.open(path, shard_size=8, create=False) as store:
        assert read == []
        assert list(store.messages()) == [make_meta(n) for n in range(30)]
        assert store.uid_map("INBOX") == {n + 1: f"m{n}@customer.test" for n in range(30)}


def test_changes_after_opening_from_the_snapshot_reach_the_shards(path, monkeypatch):
    with Store.open(path, shard_size=8, create=False) as store:
        store.update_flags({"m3@customer.test": frozenset({SEEN, "\\Flagged"})})
        store.upsert_messages([make_meta(30)])
    snapshot_of(path).unlink()
    read = shards_read(monkeypatch)
    with Store.open(path, shard_size=8, create=False) as store:
        assert read  # from the shards alone
        meta = store.message("m3@customer.test")
        assert meta is not None and meta.flags == frozenset({SEEN, "\\Flagged"})
        assert store.message_count() == 31


def test_a_snapshot_older_than_the_shards_is_ignored(path, monkeypatch):
    """As after a crash: the shards took a change the snapshot never saw."""
    old = path.parent / "old-snapshot"
    shutil.copy(snapshot_of(path), old)
    with Store.open(path, shard_size=8, create=False) as store:
        store.update_flags({"m4@customer.test": frozenset({SEEN})})
        store.upsert_messages([make_meta(31)])
    shutil.copy(old, snapshot_of(path))
    read = shards_read(monkeypatch)
    with Store.open(path, shard_size=8, create=False) as store:
        assert read
        meta = store.message("m4@customer.test")
        assert meta is not None and meta.flags == frozenset({SEEN})
        assert store.message("m31@customer.test") is not None
    read.clear()
    with Store.open(path, shard_size=8, create=False) as store:  # the close wrote a fresh snapshot
        assert read == []
        assert store.message_count() == 31


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_snapshot_is_ignored(path, monkeypatch, caplog, damage):
    data = bytearray(snapshot_of(path).read_bytes())
    if damage == "flip":
        data[-10] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not a snapshot at all")
    snapshot_of(path).write_bytes(bytes(data))
    read = shards_read(monkeypatch)
    with caplog.at_level(logging.WARNING), Store.open(path, shard_size=8, create=False) as store:
        assert read
        assert list(store.messages()) == [make_meta(n) for n in range(30)]
    assert "snapshot" in caplog.text


def test_shards_changed_by_hand_win_over_the_snapshot(path):
    shard = path / MESSAGES_NAME / "00000.json"
    shard.write_text(shard.read_text().replace("Question 1", "Question one"))
    with Store.open(path, shard_size=8, create=False) as store:
        meta = store.message("m1@customer.test")
        assert meta is not None and meta.subject == "Question one"


def test_an_unchanged_store_does_not_rewrite_its_snapshot(path):
    before = snapshot_of(path).stat().st_mtime_ns, snapshot_of(path).stat().st_ino
    with Store.open(path, shard_size=8, create=False) as store:
        assert store.message_count() == 30
    assert (snapshot_of(path).stat().st_mtime_ns, snapshot_of(path).stat().st_ino) == before


def test_saving_the_snapshot_never_holds_all_of_it_in_memory_at_once(tmp_path):
    rows = [(number, [(i + 1, make_meta(number * 40 + i)) for i in range(40)]) for number in range(200)]
    target = tmp_path / SNAPSHOT_NAME
    tracemalloc.start()
    try:
        write_snapshot(target, b"digest", rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One shard at a time: as one blob, the file's content (and a copy with the header) peaked above its size.
    assert peak < target.stat().st_size / 4
    shards = read_snapshot(target, b"digest")
    assert shards is not None and [number for number, _ in shards] == list(range(200))


def test_a_snapshot_missing_a_shard_is_not_trusted_even_with_a_good_checksum(tmp_path, caplog):
    target = tmp_path / SNAPSHOT_NAME
    write_snapshot(target, b"digest", [(0, [(1, make_meta(0))]), (1, [(1, make_meta(1))])])
    data = target.read_bytes()
    head = len(MAGIC) + 20
    payload = data[head:]
    first = 8 + int.from_bytes(payload[:8], "little")
    second = first + 8 + int.from_bytes(payload[first : first + 8], "little")
    cut = payload[:second]  # the header and the first shard; the second is gone
    target.write_bytes(MAGIC + hashlib.sha1(cut).digest() + cut)
    with caplog.at_level(logging.WARNING):
        assert read_snapshot(target, b"digest") is None
    assert "incomplete" in caplog.text


def test_a_snapshot_of_the_earlier_format_is_passed_over_quietly_and_replaced(path, monkeypatch, caplog):
    snapshot_of(path).write_bytes(b"shared-inbox messages snapshot 1\n" + bytes(20) + b"whatever")
    read = shards_read(monkeypatch)
    with caplog.at_level(logging.WARNING), Store.open(path, shard_size=8, create=False) as store:
        assert read and store.message_count() == 30
    assert "snapshot" not in caplog.text
    assert snapshot_of(path).read_bytes().startswith(MAGIC)
