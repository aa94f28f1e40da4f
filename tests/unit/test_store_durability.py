"""What keeps the store safe: file modes, the process lock, schema versions, damaged files,
leftovers of a crash, failed writes, and the sharding that keeps writes small."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from shared_inbox.domain.model import SEEN
from shared_inbox.store import (
    MIGRATIONS,
    FolderState,
    Store,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreTooNew,
    schema,
)
from shared_inbox.store import files as store_files
from tests.unit.test_store import inbox, make_meta

HOLD_OPEN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from shared_inbox.store import Store
    store = Store.open(Path(sys.argv[1]))
    print("open", flush=True)
    sys.stdin.readline()
    store.close()
    """
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_is_0600_and_every_directory_0700(tmp_path):
    old_umask = os.umask(0o022)
    try:
        with Store.open(tmp_path / "parent" / "store") as store:
            store.upsert_messages([make_meta(1, inbox(1))])
            store.append_event({"id": "e1"})
            store.save_raw("m1@customer.test", b"raw")
            store.set_setting("theme", "dark")
            store.save_folder_state(FolderState("INBOX", 1, 2))
    finally:
        os.umask(old_umask)
    root = tmp_path / "parent"
    entries = [root, *root.rglob("*")]
    assert {p.name for p in entries} >= {
        "lock",
        "meta.json",
        "events.log",
        "folders.json",
        "settings.json",
        "00000.json",
        "cur",
        "new",
        "tmp",
    }
    for path in entries:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


# -- the lock --------------------------------------------------------------------------------------


def test_a_second_process_gets_a_clear_error_until_the_first_closes(tmp_path):
    path = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLocked) as caught:
            Store.open(path)
        assert str(caught.value) == f"{path} is in use by another shared-inbox process (pid {holder.pid})"
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0
    with Store.open(path) as store:  # released once the other process closed it
        assert store.message_count() == 0


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    path = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    holder.kill()
    holder.wait(timeout=60)
    with Store.open(path) as store:
        assert (path / "lock").read_text().strip() == str(os.getpid())
        assert not store.closed


def test_the_lock_is_released_on_close_within_one_process(tmp_path):
    first = Store.open(tmp_path / "store")
    with pytest.raises(StoreLocked, match="already open in this shared-inbox process"):
        Store.open(tmp_path / "store")
    first.close()
    Store.open(tmp_path / "store").close()


# -- schema versions -------------------------------------------------------------------------------


def test_a_migration_runs_once_and_bumps_the_version(tmp_path, monkeypatch):
    Store.open(tmp_path / "store").close()
    calls: list[Path] = []

    def to_v2(path: Path) -> None:
        calls.append(path)
        (path / "migrated-marker").write_text("done")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(MIGRATIONS, 2, to_v2)
    with Store.open(tmp_path / "store") as store:
        assert store.meta.schema_version == 2
    with Store.open(tmp_path / "store") as store:
        assert store.meta.schema_version == 2
    assert calls == [tmp_path / "store"]
    assert json.loads((tmp_path / "store" / "meta.json").read_text())["schema_version"] == 2


def test_a_failed_migration_leaves_the_version_and_runs_again(tmp_path, monkeypatch):
    Store.open(tmp_path / "store").close()
    attempts: list[int] = []

    def flaky(path: Path) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk full")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(MIGRATIONS, 2, flaky)
    with pytest.raises(OSError, match="disk full"):
        Store.open(tmp_path / "store")
    assert json.loads((tmp_path / "store" / "meta.json").read_text())["schema_version"] == 1
    with Store.open(tmp_path / "store") as store:  # the failed open released the lock
        assert store.meta.schema_version == 2
    assert len(attempts) == 2


def test_a_missing_migration_is_an_error(tmp_path, monkeypatch):
    Store.open(tmp_path / "store").close()
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(MIGRATIONS, 2, lambda path: None)
    with pytest.raises(StoreError, match="no migration to version 3"):
        Store.open(tmp_path / "store")


def test_a_store_from_a_newer_program_is_refused(tmp_path):
    Store.open(tmp_path / "store").close()
    meta = tmp_path / "store" / "meta.json"
    meta.write_text(json.dumps({"schema_version": schema.SCHEMA_VERSION + 1, "created": "2030-01-01"}))
    with pytest.raises(StoreTooNew, match="newer shared-inbox"):
        Store.open(tmp_path / "store")
    assert json.loads(meta.read_text())["schema_version"] == schema.SCHEMA_VERSION + 1
    with pytest.raises(StoreTooNew):  # refused again, not StoreLocked: the failed open let go of the lock
        Store.open(tmp_path / "store")


# -- damaged files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        b'{"messages": {"1": {"message_id": "m1@x", "subj',
        b"\x00\x00\x00\x00",
        b"[1, 2]",
        b'{"messages": [1]}',
        b'{"messages": {"1": [1]}}',
        b'{"messages": {"first": {}}}',
    ],
)
def test_a_damaged_shard_is_reported_by_name(tmp_path, damage):
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([make_meta(1, inbox(1))])
    shard = tmp_path / "store" / "messages" / "00000.json"
    shard.write_bytes(damage)
    with pytest.raises(StoreCorrupt, match=str(shard)):
        Store.open(tmp_path / "store")


def test_a_shard_document_with_a_wrong_field_is_reported(tmp_path):
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([make_meta(1, inbox(1))])
    shard = tmp_path / "store" / "messages" / "00000.json"
    data = json.loads(shard.read_text())
    data["messages"]["1"]["size"] = "big"
    shard.write_text(json.dumps(data))
    with pytest.raises(StoreCorrupt, match=r"00000\.json is damaged: message document 1 .*size"):
        Store.open(tmp_path / "store")


@pytest.mark.parametrize("name", ["folders.json", "settings.json", "meta.json"])
def test_other_damaged_files_are_reported_by_name(tmp_path, name):
    with Store.open(tmp_path / "store") as store:
        store.set_setting("theme", "dark")
        store.save_folder_state(FolderState("INBOX", 1, 2))
    (tmp_path / "store" / name).write_text('{"half": ')
    with pytest.raises(StoreCorrupt, match=name):
        Store.open(tmp_path / "store")


def test_a_lost_meta_json_is_not_silently_recreated(tmp_path):
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([make_meta(1, inbox(1))])
    (tmp_path / "store" / "meta.json").unlink()
    with pytest.raises(StoreCorrupt, match="meta.json is missing"):
        Store.open(tmp_path / "store")


def test_leftovers_of_a_crash_are_cleaned_on_open(tmp_path):
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([make_meta(1, inbox(1))])
    root = tmp_path / "store"
    leftovers = [
        root / ".meta.json.abc123.tmp",
        root / "messages" / ".00000.json.xyz.tmp",
        root / "raw" / "tmp" / "1234.deadbeef",
    ]
    for path in leftovers:
        path.write_bytes(b"partial")
    with Store.open(root) as store:
        assert store.message_count() == 1
    assert not any(path.exists() for path in leftovers)


# -- failed writes ---------------------------------------------------------------------------------


def test_a_failed_shard_write_changes_neither_memory_nor_disk(tmp_path, monkeypatch):
    store = Store.open(tmp_path / "store")
    store.upsert_messages([make_meta(1, inbox(1))])

    def no_space(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("shared_inbox.store.storage.atomic_write", no_space)
    with pytest.raises(OSError, match="No space"):
        store.update_flags({"m1@customer.test": frozenset({SEEN})})
    with pytest.raises(OSError, match="No space"):
        store.upsert_messages([make_meta(2, inbox(2))])
    assert store.message("m1@customer.test").flags == frozenset()
    assert store.message("m2@customer.test") is None
    monkeypatch.undo()
    store.update_flags({"m1@customer.test": frozenset({SEEN})})
    assert store.upsert_messages([make_meta(2, inbox(2))]) == ["m2@customer.test"]
    store.close()
    with Store.open(tmp_path / "store") as again:
        assert again.message("m1@customer.test").flags == frozenset({SEEN})
        assert again.message_count() == 2


def test_a_failed_event_append_leaves_no_partial_line(tmp_path, monkeypatch):
    store = Store.open(tmp_path / "store")
    store.append_event({"id": "e1"})
    real_write_all = store_files.write_all

    def half_then_fail(fd: int, data: bytes) -> None:
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("shared_inbox.store.eventlog.write_all", half_then_fail)
    with pytest.raises(OSError):
        store.append_event({"id": "e2"})
    monkeypatch.undo()
    assert store.append_event({"id": "e2"})
    store.close()
    log_lines = (tmp_path / "store" / "events.log").read_bytes().splitlines()
    assert len(log_lines) == 2
    with Store.open(tmp_path / "store") as again:
        assert [e["id"] for e in again.events()] == ["e1", "e2"]


# -- shards ----------------------------------------------------------------------------------------


def shard_sizes(root: Path) -> dict[str, int]:
    return {
        p.name: len(json.loads(p.read_text())["messages"]) for p in sorted((root / "messages").glob("*.json"))
    }


def test_messages_are_sharded_by_arrival_and_new_ones_go_to_the_last_shard(tmp_path):
    with Store.open(tmp_path / "store", shard_size=3) as store:
        store.upsert_messages([make_meta(n, inbox(n)) for n in range(5)])
        assert shard_sizes(store.path) == {"00000.json": 3, "00001.json": 2}
        store.update_flags({"m0@customer.test": frozenset({SEEN})})
        store.upsert_messages([make_meta(n, inbox(n)) for n in range(5, 9)])
        assert shard_sizes(store.path) == {"00000.json": 3, "00001.json": 3, "00002.json": 3}
    with Store.open(tmp_path / "store", shard_size=3) as store:
        assert [m.message_id for m in store.messages()] == [f"m{n}@customer.test" for n in range(9)]
        assert store.message("m0@customer.test").flags == frozenset({SEEN})
        store.upsert_messages([make_meta(9, inbox(9))])
        assert shard_sizes(store.path)["00003.json"] == 1


def test_each_touched_shard_is_written_once_per_call(tmp_path, monkeypatch):
    with Store.open(tmp_path / "store", shard_size=3) as store:
        store.upsert_messages([make_meta(n, inbox(n)) for n in range(5)])
        written: list[str] = []
        real = store_files.atomic_write

        def counting(path: Path, data: bytes) -> None:
            written.append(path.name)
            real(path, data)

        monkeypatch.setattr("shared_inbox.store.storage.atomic_write", counting)
        # m4 merges in shard 1, m5 joins shard 1, m6..m8 start shard 2, m0/m1 change in shard 0
        store.upsert_messages(
            [make_meta(n, inbox(n), flags=frozenset({SEEN})) for n in (0, 1, 4, 5, 6, 7, 8)]
        )
        assert sorted(written) == ["00000.json", "00001.json", "00002.json"]
        written.clear()
        store.upsert_messages([make_meta(0, inbox(0), flags=frozenset({SEEN}))])  # nothing changes
        store.update_flags({"m1@customer.test": frozenset({SEEN})})
        assert written == []


def test_a_message_repeated_in_two_shards_loads_once(tmp_path, caplog):
    with Store.open(tmp_path / "store", shard_size=1) as store:
        store.upsert_messages([make_meta(1, inbox(1)), make_meta(2, inbox(2))])
    second = tmp_path / "store" / "messages" / "00001.json"
    data = json.loads(second.read_text())
    data["messages"]["1"]["message_id"] = "m1@customer.test"
    second.write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING), Store.open(tmp_path / "store", shard_size=1) as store:
        assert store.message_count() == 1
    assert "repeats a stored Message-ID" in caplog.text


def test_changes_to_shards_no_longer_held_in_memory_keep_their_neighbours(tmp_path):
    with Store.open(tmp_path / "store", shard_size=2) as store:
        for n in range(0, 40, 2):  # one shard per call: twenty shards, most of them cold
            store.upsert_messages([make_meta(n, inbox(n)), make_meta(n + 1, inbox(n + 1))])
        store.update_flags({"m0@customer.test": frozenset({SEEN}), "m21@customer.test": frozenset({SEEN})})
        store.remove_locations("INBOX", [1])
        assert store.message("m0@customer.test").flags == frozenset({SEEN})
    with Store.open(tmp_path / "store", shard_size=2) as store:
        assert store.message_count() == 40
        assert {m.message_id for m in store.messages() if m.flags} == {
            "m0@customer.test",
            "m21@customer.test",
        }
        assert store.message("m1@customer.test").locations == ()
        assert store.uid_map("INBOX") == {n: f"m{n}@customer.test" for n in range(40) if n != 1}
    assert len(shard_sizes(tmp_path / "store")) == 20


def test_an_existing_empty_directory_becomes_private(tmp_path):
    root = tmp_path / "store"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    Store.open(root).close()
    assert mode(root) == 0o700


def test_threads_writing_at_once_lose_nothing(tmp_path):
    with Store.open(tmp_path / "store", shard_size=50) as store:

        def writer(worker: int) -> None:
            for batch in range(15):
                base = worker * 1000 + batch * 10
                store.upsert_messages([make_meta(base + k, inbox(base + k)) for k in range(10)])
                store.update_flags({f"m{base}@customer.test": frozenset({SEEN})})
                store.append_event({"id": f"w{worker}.{batch}"})

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.message_count() == 600
    with Store.open(tmp_path / "store", shard_size=50) as store:
        assert store.message_count() == 600
        assert store.event_count() == 60
        assert sum(1 for m in store.messages() if m.flags) == 60
        assert len(store.uid_map("INBOX")) == 600


def test_a_smaller_shard_size_later_starts_a_new_shard(tmp_path):
    with Store.open(tmp_path / "store", shard_size=5) as store:
        store.upsert_messages([make_meta(n, inbox(n)) for n in range(4)])
    with Store.open(tmp_path / "store", shard_size=2) as store:
        store.upsert_messages([make_meta(n, inbox(n)) for n in range(4, 7)])
        assert store.message_count() == 7
    assert shard_sizes(tmp_path / "store") == {"00000.json": 4, "00001.json": 2, "00002.json": 1}
