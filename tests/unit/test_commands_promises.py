"""Promises through the command layer: durable events that fold into the conversation's promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.events import event_from_json
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.domain.sla import PromiseState
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
ANN = Address("Ann Lee", "ann@globex.test")
SUPPORT = Address("Acme Support", "support@example.com")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    meta = MessageMeta(
        message_id="q1@globex.test", subject="Refund", sender=ANN, to=(SUPPORT,), cc=(), date=NOW
    )
    with Store.open(tmp_path / "store") as opened:
        opened.upsert_messages([meta])
        yield opened


def commands_for(store: Store) -> Commands:
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
    return Commands(inbox, author="alice@example.com", now=lambda: NOW)


def stored_promises(store: Store) -> list[object]:
    return list(reduce_promises(event_from_json(raw) for raw in store.events()))


def test_a_promise_is_stored_edited_and_settled(store: Store) -> None:
    commands = commands_for(store)
    conv = commands.inbox.conversations()[0]
    event = commands.set_promise(conv.id, "  Send the refund   form ", NOW + timedelta(days=2))
    promise_id = str(event.data["promise"])
    [promise] = stored_promises(store)
    assert promise.text == "Send the refund form" and promise.due == NOW + timedelta(days=2)  # type: ignore[attr-defined]
    commands.set_promise(conv.id, "Send the refund form", NOW + timedelta(days=3), promise_id=promise_id)
    commands.promise_done(conv.id, promise_id)
    [promise] = stored_promises(commands_for(store).inbox.store)  # survives reopening the store
    assert promise.due == NOW + timedelta(days=3) and promise.state is PromiseState.KEPT  # type: ignore[attr-defined]


def test_dropping_a_promise(store: Store) -> None:
    commands = commands_for(store)
    conv = commands.inbox.conversations()[0]
    promise_id = str(commands.set_promise(conv.id, "Call back", NOW + timedelta(hours=4)).data["promise"])
    commands.drop_promise(conv.id, promise_id)
    [promise] = stored_promises(store)
    assert promise.state is PromiseState.DROPPED  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "due", "promise_id", "problem"),
    [
        ("", NOW, None, "what was promised"),
        ("Call", NOW.replace(tzinfo=None), None, "time zone"),
        ("Call", NOW, "bad id!", "promise"),
        ("Call\x1b[2J", NOW, None, "control"),
    ],
)
def test_unusable_promises_are_refused_and_nothing_is_stored(
    store: Store, text: str, due: datetime, promise_id: str | None, problem: str
) -> None:
    commands = commands_for(store)
    conv = commands.inbox.conversations()[0]
    with pytest.raises(CommandError, match=problem):
        commands.set_promise(conv.id, text, due, promise_id=promise_id)
    assert list(store.events()) == []
