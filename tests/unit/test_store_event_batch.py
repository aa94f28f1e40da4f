"""Many events in one durable write: same line format, same duplicate handling, nothing torn."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared_inbox.store import Store, StoreError, eventlog
from shared_inbox.store.eventlog import decode_line


def event(n: int) -> dict[str, object]:
    return {"id": f"e{n}", "kind": "tag", "anchor": f"m{n}@x", "data": {"tag": f"t{n}"}}


def test_a_batch_is_stored_in_order_and_survives_reopening(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.append_event(event(0))
        assert store.append_events([event(n) for n in range(1, 6)]) == [True] * 5
        assert [e["id"] for e in store.events()] == [f"e{n}" for n in range(6)]
    with Store.open(tmp_path / "store") as store:
        assert store.events() == [event(n) for n in range(6)]


def test_the_batch_writes_the_same_lines_as_single_appends(tmp_path: Path) -> None:
    with Store.open(tmp_path / "one") as store:
        for n in range(4):
            store.append_event(event(n))
    with Store.open(tmp_path / "many") as store:
        store.append_events([event(n) for n in range(4)])
    one = (tmp_path / "one" / "events.log").read_bytes()
    assert (tmp_path / "many" / "events.log").read_bytes() == one
    assert all(decode_line(line) is not None for line in one.splitlines())


def test_known_ids_and_repeats_within_the_batch_are_not_written_again(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.append_event(event(1))
        changed_copy = {**event(2), "data": {"tag": "other"}}
        added = store.append_events([event(1), event(2), changed_copy, event(3)])
        assert added == [False, True, False, True]
        assert store.events() == [event(1), event(2), event(3)]
        assert store.append_events([event(2), event(3)]) == [False, False]
        assert store.event_count() == 3


def test_an_empty_batch_changes_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        assert store.append_events([]) == []
        assert store.event_count() == 0
    assert (tmp_path / "store" / "events.log").read_bytes() == b""


def test_an_event_without_an_id_rejects_the_whole_batch(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        with pytest.raises(ValueError, match="id"):
            store.append_events([event(1), {"kind": "tag", "anchor": "x@y", "data": {}}])
        assert store.event_count() == 0
        assert store.append_events([event(1)]) == [True]


def test_a_failed_write_leaves_no_partial_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(tmp_path / "store") as store:
        store.append_event(event(0))

        def torn_write(fd: int, data: bytes) -> None:
            os.write(fd, data[: len(data) // 2])
            raise OSError("disk full")

        monkeypatch.setattr(eventlog, "write_all", torn_write)
        with pytest.raises(OSError, match="disk full"):
            store.append_events([event(n) for n in range(1, 4)])
        monkeypatch.undo()
        assert store.event_count() == 1
        assert store.append_events([event(1)]) == [True]
    with Store.open(tmp_path / "store") as store:
        assert store.events() == [event(0), event(1)]


def test_a_batch_torn_by_a_crash_keeps_its_whole_lines_only(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.append_events([event(n) for n in range(3)])
    path = tmp_path / "store" / "events.log"
    whole = path.read_bytes()
    cut = whole.rfind(b"\n", 0, len(whole) - 1) + 10  # the crash hit inside the last line
    path.write_bytes(whole[:cut])
    with Store.open(tmp_path / "store") as store:
        assert store.events() == [event(0), event(1)]
        assert store.append_events([event(2)]) == [True]
    with Store.open(tmp_path / "store") as store:
        assert store.events() == [event(n) for n in range(3)]


def test_a_closed_store_refuses_a_batch(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.append_events([event(1)])
