"""Conversation ids as people type and read them: unique starts, and a list that shows them whole."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from shared_inbox.cli.table import print_table
from shared_inbox.domain.model import Address, MessageMeta, Status
from shared_inbox.domain.threading import conversation_id_for
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.inbox import MIN_PREFIX, AmbiguousConversation, Inbox
from shared_inbox.store import Store

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")


def twins(start: int) -> tuple[str, str]:
    """Two Message-IDs whose conversation ids share their first `start` characters."""
    seen: dict[str, str] = {}
    for n in range(100_000):
        mid = f"m{n}@customer.test"
        head = conversation_id_for(mid)[:start]
        if head in seen:
            return seen[head], mid
        seen[head] = mid
    raise AssertionError("no two ids share a start")


def mail(mid: str, minutes: int, subject: str = "Refund", name: str = "Customer") -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject=subject,
        sender=Address(name, f"someone{minutes}@customer.test"),
        to=(SUPPORT,),
        cc=(),
        date=NOW + timedelta(minutes=minutes),
    )


FIRST, SECOND = twins(MIN_PREFIX + 1)
LONE = "lone@customer.test"


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([mail(FIRST, 1), mail(SECOND, 2), mail(LONE, 3)])
        yield Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()


def test_a_unique_start_of_an_id_names_its_conversation(inbox: Inbox) -> None:
    lone = conversation_id_for(LONE)
    for length in range(MIN_PREFIX, len(lone) + 1):
        found = inbox.find(lone[:length])
        assert found is not None and found.id == lone
    assert inbox.find(f"<{LONE}>") is not None  # a Message-ID still names its conversation
    assert inbox.find(lone[: MIN_PREFIX - 1]) is None
    assert inbox.find("c-not-an-id") is None


def test_an_ambiguous_start_lists_the_candidates(inbox: Inbox) -> None:
    first, second = conversation_id_for(FIRST), conversation_id_for(SECOND)
    shared = first[: MIN_PREFIX + 1]
    with pytest.raises(AmbiguousConversation) as caught:
        inbox.find(shared)
    message = str(caught.value)
    assert first in message and second in message and "type more" in message
    assert "\n" not in message
    differs = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    found = inbox.find(first[: differs + 1])
    assert found is not None and found.id == first


def test_commands_take_a_unique_start_and_refuse_an_ambiguous_one(inbox: Inbox) -> None:
    commands = Commands(inbox, author="alice@example.com", now=lambda: NOW + timedelta(days=1))
    lone = conversation_id_for(LONE)
    commands.set_status(lone[:MIN_PREFIX], "pending")
    conv = inbox.conversation(lone)
    assert conv is not None and conv.state.status is Status.PENDING
    with pytest.raises(CommandError, match="type more"):
        commands.tag(conversation_id_for(FIRST)[:MIN_PREFIX], "vip")


@pytest.mark.parametrize("width", [40, 60, 80])
def test_the_table_shows_every_id_and_status_whole_at_any_width(inbox: Inbox, width: int) -> None:
    inbox.store.upsert_messages(
        [mail("long@customer.test", 4, subject="A subject " * 12, name="Someone With A Long Name " * 3)]
    )
    commands = Commands(inbox, author="alice@example.com", now=lambda: NOW + timedelta(days=1))
    commands.set_status(conversation_id_for(LONE), "pending")
    convs = inbox.conversations()
    out = io.StringIO()
    print_table(convs, Console(file=out, width=width, force_terminal=False))
    lines = out.getvalue().splitlines()
    for conv in convs:
        row = next(line for line in lines if line.split()[0] == conv.id)
        assert row.split()[1] == conv.state.status.value
