"""The store owns message metadata; the inbox reads through it and hears of every write."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared_inbox.domain.model import SEEN, Address, Location, MessageMeta
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox, InboxChange
from shared_inbox.store import Store

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")


def mail(mid: str, minutes: int, reply_to: str | None = None, uid: int = 1) -> MessageMeta:
    return MessageMeta(
        message_id=mid, subject="Parcel", sender=Address("Ann", "ann@globex.test"), to=(SUPPORT,), cc=(),
        date=NOW + timedelta(minutes=minutes), in_reply_to=(reply_to,) if reply_to else (),
        references=(reply_to,) if reply_to else (), locations=frozenset({Location("INBOX", 1, uid)}),
    )  # fmt: skip


def open_inbox(store: Store) -> tuple[Inbox, list[InboxChange]]:
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
    heard: list[InboxChange] = []
    inbox.listeners.append(heard.append)
    return inbox, heard


def test_the_inbox_holds_no_copy_of_the_messages(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([mail("a1@globex.test", 0)])
        inbox, _ = open_inbox(store)
        assert inbox.messages is store.message_table()
        assert inbox.messages["a1@globex.test"] is store.message_table()["a1@globex.test"]


def test_a_write_on_another_thread_reaches_the_listeners_and_the_next_read(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([mail("a1@globex.test", 0)])
        inbox, heard = open_inbox(store)
        reply = mail("a2@globex.test", 5, reply_to="a1@globex.test", uid=2)
        writer = threading.Thread(target=store.upsert_messages, args=([reply],))
        writer.start()
        writer.join()
        assert heard == [InboxChange(message_ids=frozenset({"a2@globex.test"}))]
        [conv] = inbox.conversations()
        assert conv.message_ids == ["a1@globex.test", "a2@globex.test"]
        assert inbox.touches(heard[0], conv.id)


def test_flags_written_to_the_store_show_in_the_conversation(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([mail("a1@globex.test", 0)])
        inbox, heard = open_inbox(store)
        [before] = inbox.conversations()
        assert before.unread
        store.update_flags({"a1@globex.test": frozenset({SEEN})})
        assert heard == [InboxChange(message_ids=frozenset({"a1@globex.test"}))]
        [after] = inbox.conversations()
        assert not after.unread


def test_an_event_tells_the_listeners_which_conversation_changed(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([mail("a1@globex.test", 0), mail("b1@globex.test", 1, uid=2)])
        inbox, heard = open_inbox(store)
        conv = inbox.conversation("a1@globex.test")
        other = inbox.conversation("b1@globex.test")
        assert conv is not None and other is not None
        Commands(inbox, author="alice@example.com", now=lambda: NOW).tag(conv.id, "vip")
        assert heard == [InboxChange(conversation_ids=frozenset({conv.id}))]
        assert inbox.touches(heard[0], conv.id)
        assert not inbox.touches(heard[0], other.id)


def test_changes_merge_into_one_that_covers_both() -> None:
    one = InboxChange(message_ids=frozenset({"a"}))
    two = InboxChange(conversation_ids=frozenset({"c"}))
    assert one.merged(two) == InboxChange(frozenset({"a"}), frozenset({"c"}))
    assert one.merged(InboxChange(everything=True)).everything
