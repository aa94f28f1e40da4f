"""A teammate's batch of events lands as if taken one by one, with one rebuild per conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.model import Address, MessageMeta, Status
from shared_inbox.services import inbox as inbox_module
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")
ANCHORS = ("a1@globex.test", "b1@initech.test", "c1@hooli.test")


def mail(mid: str, minutes: int) -> MessageMeta:
    sender = Address("Customer", f"someone@{mid.split('@')[1]}")
    return MessageMeta(
        message_id=mid, subject=f"About {mid}", sender=sender, to=(SUPPORT,), cc=(),
        date=NOW + timedelta(minutes=minutes),
    )  # fmt: skip


def teammate_event(n: int, anchor: str, kind: EventKind, data: dict[str, object]) -> Event:
    at = NOW + timedelta(minutes=10 + n)
    return Event(
        id=f"bob-{n}", kind=kind, anchor=anchor, author="bob@example.com", at=at,
        clock=Hlc(int(at.timestamp() * 1000), 0, "bob"), data=data,
    )  # fmt: skip


BATCH = [
    teammate_event(0, ANCHORS[0], EventKind.ASSIGN, {"assignee": "bob@example.com"}),
    teammate_event(1, ANCHORS[0], EventKind.TAG, {"tag": "vip"}),
    teammate_event(2, ANCHORS[1], EventKind.STATUS, {"status": "closed"}),
    teammate_event(3, ANCHORS[0], EventKind.STATUS, {"status": "pending"}),
    teammate_event(4, "unknown@nowhere.test", EventKind.TAG, {"tag": "lost"}),
    teammate_event(5, ANCHORS[1], EventKind.TAG, {"tag": "billing"}),
]


def open_inbox(path: Path) -> Inbox:
    store = Store.open(path)
    store.upsert_messages([mail(mid, n) for n, mid in enumerate(ANCHORS)])
    return Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()


def snapshot(inbox: Inbox) -> dict[str, tuple[Status, str | None, frozenset[str]]]:
    return {c.id: (c.state.status, c.state.assignee, frozenset(c.state.tags)) for c in inbox.conversations()}


def test_a_batch_gives_the_same_conversations_as_single_events(tmp_path: Path) -> None:
    one_by_one, batched = open_inbox(tmp_path / "one"), open_inbox(tmp_path / "many")
    try:
        for event in BATCH:
            one_by_one.add_event(event)
        batched.add_events(BATCH)
        assert snapshot(batched) == snapshot(one_by_one)
        first = batched.conversation(ANCHORS[0])
        assert first is not None
        assert (first.state.status, first.state.assignee, set(first.state.tags)) == (
            Status.PENDING, "bob@example.com", {"vip"},
        )  # fmt: skip
        assert [e.id for e in batched.events_of(first.id)] == ["bob-0", "bob-1", "bob-3"]
        assert len(batched.events) == len(BATCH)
    finally:
        one_by_one.store.close()
        batched.store.close()


def test_each_touched_conversation_is_rebuilt_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = open_inbox(tmp_path / "store")
    try:
        rebuilt: list[str] = []
        real = inbox_module.assemble_one  # type: ignore[attr-defined]

        def counting(conv_id: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            rebuilt.append(conv_id)
            return real(conv_id, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(inbox_module, "assemble_one", counting)
        inbox.add_events(BATCH)
        touched = {inbox.index.conversation_of(anchor) for anchor in ANCHORS[:2]}
        assert sorted(rebuilt) == sorted(conv_id for conv_id in touched if conv_id is not None)
        assert len(touched) == 2
    finally:
        inbox.store.close()


def test_events_already_taken_in_are_ignored(tmp_path: Path) -> None:
    inbox = open_inbox(tmp_path / "store")
    try:
        inbox.add_events(BATCH[:3])
        before = snapshot(inbox)
        repeat_with_other_data = teammate_event(2, ANCHORS[1], EventKind.STATUS, {"status": "active"})
        inbox.add_events([BATCH[0], repeat_with_other_data, BATCH[1]])
        assert snapshot(inbox) == before
        assert [e.id for e in inbox.events] == ["bob-0", "bob-1", "bob-2"]
    finally:
        inbox.store.close()


def test_a_search_made_before_the_batch_sees_its_effect(tmp_path: Path) -> None:
    inbox = open_inbox(tmp_path / "store")
    try:
        assert inbox.conversations("tag:vip") == []
        inbox.add_events(BATCH)
        assert [c.id for c in inbox.conversations("tag:vip")] == [inbox.index.conversation_of(ANCHORS[0])]
    finally:
        inbox.store.close()
