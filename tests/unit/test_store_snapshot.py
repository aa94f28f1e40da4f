"""The messages snapshot: used when it matches the shards, ignored (never trusted) otherwise."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.model import SEEN, Address, DeliveryFailure, Location, MessageKind, MessageMeta
from shared_inbox.store import Store
from shared_inbox.store.messages import MESSAGES_NAME, MessageShards
from shared_inbox.store.snapshot import SNAPSHOT_NAME

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
