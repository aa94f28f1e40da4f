"""The inbox kept beside the store: taken back only when it was derived from what the store holds now.

Every test compares with an inbox built from scratch, so a kept state that is wrong fails them,
and checks whether the open took the kept state back or rebuilt.
"""

from __future__ import annotations

import pickle
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventKind, event_to_json
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.services import inbox_state
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.merging import merge
from shared_inbox.store import Store
from shared_inbox.store.derived import derived_path, write_derived

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")
OURS = frozenset({SUPPORT.email})


def mail(
    mid: str, subject: str, minutes: int, *, sender: str = "ann@globex.test", parent: str = ""
) -> MessageMeta:
    return MessageMeta(
        message_id=mid, subject=subject, sender=Address("Ann", sender), to=(SUPPORT,), cc=(),
        date=NOW + timedelta(minutes=minutes), in_reply_to=(parent,) if parent else (),
        references=(parent,) if parent else (),
    )  # fmt: skip


MAIL = [
    mail("a1@globex.test", "Invoice", 0),
    mail("a2@globex.test", "Re: Invoice", 5, parent="a1@globex.test"),
    mail("b1@initech.test", "Login broken", 1, sender="bo@initech.test"),
    mail("b2@initech.test", "Re: Login broken", 9, sender="bo@initech.test"),  # joins by subject
    mail("c1@hooli.test", "Parcel", 2, sender="cy@hooli.test"),
    mail("d1@hooli.test", "Parcel again", 3, sender="cy@hooli.test"),
]


def open_inbox(store: Store, **settings: Any) -> Inbox:
    return Inbox(store, our_addresses=OURS, me="alice@example.com", **settings).load()


def seen(inbox: Inbox) -> tuple[object, ...]:
    """Everything a reader of the inbox can ask, in a comparable form."""
    convs = sorted(inbox.conversations(), key=lambda conv: conv.id)
    return (
        [
            (c.id, c.subject, c.message_ids, c.customer, astuple(c.state), c.last_activity, c.unread)
            for c in convs
        ],
        {mid: inbox.index.conversation_of(mid) for mid in inbox.messages},
        {c.id: [e.id for e in inbox.events_of(c.id)] for c in convs},
        dict(inbox.index.aliases),
        [c.id for c in inbox.conversations("parcel")],
    )


def built_afresh(store: Store, **settings: Any) -> tuple[object, ...]:
    """What an inbox built from the store alone shows (it keeps nothing)."""
    inbox = Inbox(store, our_addresses=OURS, me="alice@example.com", **settings)
    inbox._build()  # noqa: SLF001 - the reference: never the kept state
    return seen(inbox)


def fill(path: Path) -> tuple[object, ...]:
    """A store with threads, a reply joined by subject, team events and a merge; kept at close."""
    with Store.open(path) as store:
        store.upsert_messages(MAIL)
        inbox = open_inbox(store)
        commands = Commands(inbox, author="alice@example.com", now=lambda: NOW)
        parcel = inbox.index.conversation_of("c1@hooli.test")
        assert parcel is not None
        commands.assign(parcel, "alice@example.com")
        commands.tag(parcel, "vip")
        commands.set_status(str(inbox.index.conversation_of("a1@globex.test")), "closed")
        merge(inbox, commands, [parcel, str(inbox.index.conversation_of("d1@hooli.test"))])
        assert inbox.keep_state()
        assert not inbox.keep_state()  # kept already: nothing changed since
        return seen(inbox)


def test_an_unchanged_store_opens_from_the_kept_state_and_shows_what_a_rebuild_shows(tmp_path: Path) -> None:
    kept = fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert inbox.from_kept_state
        assert seen(inbox) == kept == built_afresh(store)
        # and it goes on like a built one: new mail threads onto the kept index
        store.upsert_messages([mail("a3@globex.test", "Re: Invoice", 20, parent="a2@globex.test")])
        assert inbox.conversation("a3@globex.test") == inbox.conversation("a1@globex.test")
        assert seen(inbox) == built_afresh(store)


def test_messages_or_events_stored_after_it_was_kept_make_the_open_rebuild(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:  # written without an inbox: the kept state is stale
        store.upsert_messages([mail("a3@globex.test", "Re: Invoice", 20, parent="a2@globex.test")])
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert not inbox.from_kept_state
        assert seen(inbox) == built_afresh(store)
        assert "a3@globex.test" in inbox.index.members(str(inbox.index.conversation_of("a1@globex.test")))
        inbox.keep_state()
        conv = inbox.conversation("b1@initech.test")
        assert conv is not None
        Commands(inbox, author="alice@example.com", now=lambda: NOW).tag(conv.id, "urgent")
        event = inbox.events_of(conv.id)[-1]
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)  # the tag was stored after the state was kept
        assert not inbox.from_kept_state
        assert seen(inbox) == built_afresh(store)
        assert event in inbox.events_of(conv.id)


def test_other_threading_settings_make_the_open_rebuild(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store, reply_subjects=False)
        assert not inbox.from_kept_state
        assert seen(inbox) == built_afresh(store, reply_subjects=False)
        assert inbox.index.conversation_of("b2@initech.test") != inbox.index.conversation_of(
            "b1@initech.test"
        )


def test_a_damaged_kept_state_is_rebuilt(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    path = derived_path(tmp_path / "store", inbox_state.NAME)
    data = path.read_bytes()
    assert data.count(b"Login broken") == 1
    path.write_bytes(data.replace(b"Login broken", b"Login BROKEN"))  # still reads as a pickle
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert not inbox.from_kept_state
        assert seen(inbox) == built_afresh(store)


class Planted:
    """Not part of any inbox state: reading it back would create the file it names."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (Path.touch, (self.marker,))


def test_a_kept_state_naming_other_code_is_refused_without_running_it(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    path = derived_path(tmp_path / "store", inbox_state.NAME)
    marker = tmp_path / "ran"
    with Store.open(tmp_path / "store") as store:
        key = inbox_state.state_key(store, open_inbox(store)._settings)  # noqa: SLF001
    assert key is not None
    write_derived(path, key, pickle.dumps((Planted(marker),) * 6))  # right key, right checksum
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert not inbox.from_kept_state and not marker.exists()
        assert seen(inbox) == built_afresh(store)


def test_a_kept_state_of_another_shape_is_rebuilt(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    path = derived_path(tmp_path / "store", inbox_state.NAME)
    with Store.open(tmp_path / "store") as store:
        key = inbox_state.state_key(store, open_inbox(store)._settings)  # noqa: SLF001
    assert key is not None
    write_derived(path, key, pickle.dumps(({}, [], 0, {}, {}, set())))
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert not inbox.from_kept_state
        assert seen(inbox) == built_afresh(store)


def test_an_event_the_inbox_has_not_taken_keeps_the_state_from_being_kept(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages(MAIL)
        inbox = open_inbox(store)
        conv = inbox.conversation("a1@globex.test")
        assert conv is not None
        tagged = Event(
            id="bob-1", kind=EventKind.TAG, anchor="a1@globex.test", author="bob@example.com", at=NOW,
            clock=Hlc(int(NOW.timestamp() * 1000), 0, "bob"), data={"tag": "vip"},
        )  # fmt: skip
        store.append_event(event_to_json(tagged))  # in the store, not (yet) in the inbox
        assert not inbox.keep_state()
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert not inbox.from_kept_state
        assert [e.id for e in inbox.events_of(conv.id)] == ["bob-1"]


def test_stored_events_this_version_cannot_read_still_let_the_state_be_kept(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages(MAIL)
        store.append_event({"id": "from-the-future", "v": 99, "kind": "teleport"})
        assert open_inbox(store).keep_state()
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)
        assert inbox.from_kept_state
        assert seen(inbox) == built_afresh(store)


def test_conversations_never_assembled_are_not_assembled_only_to_be_kept(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        inbox = open_inbox(store)  # an empty store, as before a first sync
        store.upsert_messages([mail(f"n{n}@x.test", f"Question {n}", n) for n in range(2500)])
        assert inbox.count() == 2500  # what `sync --once` asks: counted from the threads
        assert not inbox.keep_state()
        assert inbox._conversations is None  # noqa: SLF001
        assert len(inbox.conversations()) == 2500
        assert inbox.keep_state()  # assembled for a reader: kept for the next open
