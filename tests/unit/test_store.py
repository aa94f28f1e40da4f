"""The store's public API: messages and their merge rules, folders, events, raw mail, settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.model import ANSWERED, FLAGGED, SEEN, Address, Location, MessageMeta
from shared_inbox.store import FolderState, Store, StoreError, StoreNotFound

BASE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def make_meta(
    n: int, *locations: Location, flags: frozenset[str] = frozenset(), **fields: object
) -> MessageMeta:
    base = MessageMeta(
        message_id=f"m{n}@customer.test",
        subject=f"Question {n}",
        sender=Address(f"Customer {n}", f"c{n}@customer.test"),
        to=(Address("Support", "support@example.com"),),
        cc=(),
        date=BASE + timedelta(minutes=n),
        flags=flags,
        size=1000 + n,
        locations=locations,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def inbox(uid: int, validity: int = 7) -> Location:
    return Location("INBOX", validity, uid)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "store") as opened:
        yield opened


def reopen(store: Store) -> Store:
    store.close()
    return Store.open(store.path, create=False)


# -- lifecycle -------------------------------------------------------------------------------------


def test_open_creates_an_empty_store(tmp_path):
    with Store.open(tmp_path / "a" / "store") as store:
        assert store.message_count() == 0
        assert store.event_count() == 0
        assert list(store.messages()) == []
        assert store.meta.schema_version >= 1


def test_open_without_create_refuses_a_missing_store(tmp_path):
    with pytest.raises(StoreNotFound, match="no shared-inbox store"):
        Store.open(tmp_path / "nothing", create=False)
    assert not (tmp_path / "nothing").exists()


def test_a_directory_holding_other_files_is_not_turned_into_a_store(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="meta.json is missing"):
        Store.open(tmp_path)
    assert not (tmp_path / "lock").exists()


def test_a_closed_store_refuses_writes(store):
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        store.upsert_messages([make_meta(1)])
    with pytest.raises(StoreError, match="closed"):
        store.append_event({"id": "e1"})
    store.close()  # closing twice is harmless


# -- messages --------------------------------------------------------------------------------------


def test_upsert_returns_only_new_ids_and_persists(store):
    assert store.upsert_messages([make_meta(1, inbox(1)), make_meta(2, inbox(2))]) == [
        "m1@customer.test",
        "m2@customer.test",
    ]
    assert store.upsert_messages([make_meta(2, inbox(2)), make_meta(3, inbox(3))]) == ["m3@customer.test"]
    store = reopen(store)
    try:
        assert store.message_count() == 3
        assert store.message("m3@customer.test") == make_meta(3, inbox(3))
        assert [m.message_id for m in store.messages()] == [f"m{i}@customer.test" for i in (1, 2, 3)]
    finally:
        store.close()


def test_every_field_survives_a_reopen(store):
    rich = make_meta(
        5,
        inbox(5),
        Location("Sent", 3, 9),
        flags=frozenset({SEEN, FLAGGED}),
        cc=(Address("", "cc@example.org"),),
        in_reply_to=("parent@x",),
        references=("root@x", "parent@x"),
        token="tok123",
        reply_to=(Address("Help", "help@customer.test"),),
        outgoing=True,
        has_attachments=True,
        synthetic_id=True,
        header_notes=("Date header was unparseable",),
        subject="Ünïcödé \udce9 subject",
    )
    store.upsert_messages([rich])
    store = reopen(store)
    try:
        assert store.message(rich.message_id) == rich
    finally:
        store.close()


def test_a_known_message_merges_locations_and_takes_the_newer_flags(store):
    store.upsert_messages([make_meta(1, inbox(1), flags=frozenset({SEEN}))])
    seen_in_sent = make_meta(1, Location("Sent", 4, 11), flags=frozenset({ANSWERED}), subject="Changed")
    assert store.upsert_messages([seen_in_sent]) == []
    merged = store.message("m1@customer.test")
    assert merged.locations == (inbox(1), Location("Sent", 4, 11))
    assert merged.flags == frozenset({ANSWERED})
    assert merged.subject == "Question 1"  # header fields keep the first sighting


def test_a_location_under_a_new_uidvalidity_replaces_the_old_one_in_that_folder(store):
    store.upsert_messages([make_meta(1, inbox(1, validity=7), Location("Sent", 4, 11))])
    store.upsert_messages([make_meta(1, inbox(40, validity=8))])
    assert store.message("m1@customer.test").locations == (Location("Sent", 4, 11), inbox(40, validity=8))


def test_the_same_location_reported_twice_is_stored_once(store):
    store.upsert_messages([make_meta(1, inbox(1))])
    store.upsert_messages([make_meta(1, inbox(1))])
    assert store.message("m1@customer.test").locations == (inbox(1),)


def test_duplicates_within_one_batch_merge(store):
    new = store.upsert_messages(
        [make_meta(1, inbox(1)), make_meta(1, Location("Sent", 4, 2), flags=frozenset({SEEN}))]
    )
    assert new == ["m1@customer.test"]
    meta = store.message("m1@customer.test")
    assert meta.locations == (inbox(1), Location("Sent", 4, 2))
    assert meta.flags == frozenset({SEEN})


def test_a_location_belongs_to_one_message_only(store):
    store.upsert_messages([make_meta(1, inbox(5))])
    store.upsert_messages([make_meta(2, inbox(5))])  # the server now has another message at that UID
    assert store.message("m1@customer.test").locations == ()
    assert store.uid_map("INBOX") == {5: "m2@customer.test"}
    store = reopen(store)
    try:
        assert store.message("m1@customer.test").locations == ()
    finally:
        store.close()


def test_update_flags_changes_known_messages_and_ignores_unknown_ones(store):
    store.upsert_messages([make_meta(1, inbox(1)), make_meta(2, inbox(2), flags=frozenset({SEEN}))])
    store.update_flags({"m1@customer.test": frozenset({SEEN, FLAGGED}), "nobody@x": frozenset({SEEN})})
    store = reopen(store)
    try:
        assert store.message("m1@customer.test").flags == frozenset({SEEN, FLAGGED})
        assert store.message("m2@customer.test").flags == frozenset({SEEN})
        assert store.message("nobody@x") is None
    finally:
        store.close()


def test_remove_locations_keeps_the_message(store):
    store.upsert_messages([make_meta(1, inbox(1), Location("Sent", 4, 1)), make_meta(2, inbox(2))])
    store.remove_locations("INBOX", [1, 99])
    assert store.message("m1@customer.test").locations == (Location("Sent", 4, 1),)
    assert store.message("m2@customer.test").locations == (inbox(2),)
    assert store.uid_map("INBOX") == {2: "m2@customer.test"}
    assert store.uid_map("Sent") == {1: "m1@customer.test"}


def test_drop_folder_locations_forgets_every_uid_of_that_folder(store):
    store.upsert_messages([make_meta(1, inbox(1), Location("Sent", 4, 1)), make_meta(2, inbox(2))])
    store.drop_folder_locations("INBOX")
    store = reopen(store)
    try:
        assert store.uid_map("INBOX") == {}
        assert store.message("m1@customer.test").locations == (Location("Sent", 4, 1),)
        assert store.message("m2@customer.test").locations == ()
        assert store.message_count() == 2
    finally:
        store.close()


def test_uid_map_follows_the_saved_uidvalidity(store):
    store.upsert_messages([make_meta(1, inbox(1, validity=7)), make_meta(2, inbox(1, validity=8))])
    assert store.uid_map("INBOX") == {1: "m2@customer.test"}  # no saved state yet: everything counts
    store.save_folder_state(FolderState("INBOX", uidvalidity=7, uidnext=2))
    assert store.uid_map("INBOX") == {1: "m1@customer.test"}
    store.remove_locations("INBOX", [1])
    assert store.message("m1@customer.test").locations == ()
    assert store.message("m2@customer.test").locations == (inbox(1, validity=8),)


def test_returned_messages_are_copies(store):
    store.upsert_messages([make_meta(1, inbox(1))])
    got = store.message("m1@customer.test")
    got.flags = frozenset({SEEN})
    next(iter(store.messages())).subject = "tampered"
    assert store.message("m1@customer.test") == make_meta(1, inbox(1))


def test_a_message_needs_an_id_and_an_aware_date(store):
    with pytest.raises(ValueError, match="Message-ID"):
        store.upsert_messages([make_meta(1, message_id="")])
    with pytest.raises(ValueError, match="naive"):
        store.upsert_messages([make_meta(1, date=datetime(2026, 1, 1))])
    assert store.message_count() == 0


# -- folders ---------------------------------------------------------------------------------------


def test_folder_state_round_trips_and_is_replaced_on_save(store):
    assert store.folder_state("INBOX") is None
    store.save_folder_state(
        FolderState("INBOX", 7, 10, highestmodseq=55, last_full_flag_sync="2026-03-01T10:00")
    )
    store.save_folder_state(FolderState("Sent", 3, 2))
    store.save_folder_state(FolderState("INBOX", 7, 12, highestmodseq=60))
    store = reopen(store)
    try:
        assert store.folder_state("INBOX") == FolderState("INBOX", 7, 12, highestmodseq=60)
        assert store.folder_state("Sent") == FolderState("Sent", 3, 2)
        assert store.folder_names() == ["INBOX", "Sent"]
    finally:
        store.close()


# -- events ----------------------------------------------------------------------------------------


def event(n: int, **data: object) -> dict[str, object]:
    return {"id": f"e{n}", "kind": "tag", "anchor": "m1@customer.test", "data": data or {"tag": "vip"}}


def test_append_event_is_idempotent_and_ordered(store):
    assert store.append_event(event(1))
    assert store.append_event(event(2, tag="billing"))
    assert not store.append_event(event(1, tag="other"))
    assert store.event_count() == 2
    store = reopen(store)
    try:
        assert store.events() == [event(1), event(2, tag="billing")]
        assert store.has_event("e2") and not store.has_event("e3")
        assert not store.append_event(event(2))
    finally:
        store.close()


def test_events_are_fresh_copies(store):
    store.append_event(event(1))
    store.events()[0]["data"]["tag"] = "changed"
    assert store.events() == [event(1)]


def test_an_event_needs_an_id_and_json_values(store):
    with pytest.raises(ValueError, match="id"):
        store.append_event({"kind": "tag"})
    with pytest.raises(TypeError):
        store.append_event({"id": "e1", "data": object()})
    with pytest.raises(ValueError):
        store.append_event({"id": "e1", "data": float("nan")})
    assert store.event_count() == 0
    assert store.append_event(event(1))


# -- raw mail --------------------------------------------------------------------------------------


def test_raw_mail_round_trips_under_a_hashed_name(store):
    hostile = "../../etc/passwd\x00/<evil>@x"
    path = store.save_raw(hostile, b"Subject: hi\r\n\r\nbody")
    assert path.parent == store.path / "raw" / "cur"
    assert path.name.endswith(":2,") and "/" not in path.name and "passwd" not in path.name
    assert store.has_raw(hostile)
    assert store.load_raw(hostile) == b"Subject: hi\r\n\r\nbody"
    assert store.load_raw("unknown@x") is None and not store.has_raw("unknown@x")
    assert list((store.path / "raw" / "tmp").iterdir()) == []


def test_save_raw_many_stores_each_message(store):
    paths = store.save_raw_many([("a@x", b"A"), ("b@x", b"B")])
    assert len(set(paths)) == 2
    assert store.load_raw("a@x") == b"A" and store.load_raw("b@x") == b"B"
    store.save_raw("a@x", b"A2")
    assert store.load_raw("a@x") == b"A2"


def test_raw_mail_stays_out_of_the_json_files(store):
    store.upsert_messages([make_meta(1, inbox(1))])
    store.save_raw("m1@customer.test", b"X-Marker: raw-body-marker\r\n\r\n")
    for path in store.path.rglob("*.json"):
        assert b"raw-body-marker" not in path.read_bytes()


# -- settings --------------------------------------------------------------------------------------


def test_settings_persist_and_default(store):
    assert store.get_setting("theme", "dark") == "dark"
    store.set_setting("theme", "light")
    store.set_setting("drafts", {"c1": ["a", 1]})
    store.set_setting("theme", "solar")
    store = reopen(store)
    try:
        assert store.get_setting("theme") == "solar"
        assert store.get_setting("drafts") == {"c1": ["a", 1]}
    finally:
        store.close()


def test_settings_hand_out_copies_and_refuse_non_json(store):
    store.set_setting("queue", [[1, 2]])
    store.get_setting("queue").append("x")
    assert store.get_setting("queue") == [[1, 2]]
    store.set_setting("pair", (1, 2))
    assert store.get_setting("pair") == [1, 2]  # the same shape a reload gives
    with pytest.raises(TypeError):
        store.set_setting("bad", {1, 2})
    assert store.get_setting("bad") is None
