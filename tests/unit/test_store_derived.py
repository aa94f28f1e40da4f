"""State derived from the store is read back only as written, under the key it was written with."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

import pytest

from shared_inbox.store import Store
from shared_inbox.store.derived import derived_path, read_derived, write_derived

KEY = hashlib.sha1(b"one", usedforsecurity=False).digest()
OTHER = hashlib.sha1(b"two", usedforsecurity=False).digest()


def whole(file: BinaryIO) -> bytes:
    return file.read()


def test_it_reads_back_what_was_written_under_the_same_key_only(tmp_path: Path) -> None:
    path = tmp_path / "derived-x.bin"
    assert read_derived(path, KEY, whole) is None  # none yet
    write_derived(path, KEY, b"payload " * 100_000)
    assert read_derived(path, KEY, whole) == b"payload " * 100_000
    assert read_derived(path, OTHER, whole) is None
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # a flipped bit in the payload
        lambda data: data[:40],  # cut short
        lambda data: b"something else entirely" + data,  # not derived state
        lambda data: b"",
    ],
)
def test_damaged_state_reads_as_none(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "derived-x.bin"
    write_derived(path, KEY, b"payload")
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes()))
    assert read_derived(path, KEY, whole) is None


def test_names_are_fixed_words_and_keys_are_digests(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        derived_path(tmp_path, "../elsewhere")
    with pytest.raises(ValueError):
        write_derived(tmp_path / "derived-x.bin", b"short", b"payload")


def test_the_contents_digest_follows_messages_and_events(tmp_path: Path) -> None:
    from tests.unit.test_inbox_state import MAIL

    with Store.open(tmp_path / "store") as store:
        empty = store.contents_digest()
        store.upsert_messages(MAIL[:1])
        one = store.contents_digest()
        store.update_flags({MAIL[0].message_id: frozenset({"\\Seen"})})
        seen = store.contents_digest()
        store.append_event({"id": "e1", "v": 1})
        last = store.contents_digest()
        assert len({empty, one, seen, last}) == 4
        store.save_derived("inbox", KEY, b"kept")
        assert store.load_derived("inbox", KEY, whole) == b"kept"
    with Store.open(tmp_path / "store") as store:  # the same store opened again: the same digest
        assert store.contents_digest() == last
        assert store.load_derived("inbox", KEY, whole) == b"kept"
