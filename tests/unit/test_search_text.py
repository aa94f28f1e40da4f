"""Searching many conversations with kept search text finds exactly what matching one by one finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.model import Address, Conversation, MessageMeta
from shared_inbox.domain.query import parse_query, search_text
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store
from tests.unit.test_query import CONV, MATCH_CASES, ME, MESSAGES, PLAIN, PLAIN_MESSAGES

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")
BOTH = {CONV.id: MESSAGES, PLAIN.id: PLAIN_MESSAGES}


def messages_of(conv: Conversation) -> list[MessageMeta]:
    return BOTH[conv.id]


@pytest.mark.parametrize(("text", "expected"), MATCH_CASES)
def test_select_agrees_with_matches(text: str, expected: bool) -> None:
    query = parse_query(text, me=ME)
    one_by_one = [c for c in (CONV, PLAIN) if query.matches(c, messages_of(c))]
    assert query.select([CONV, PLAIN], messages_of) == one_by_one
    kept = {c.id: search_text(c, messages_of(c)) for c in (CONV, PLAIN)}
    assert query.select([CONV, PLAIN], messages_of, lambda c: kept[c.id]) == one_by_one
    assert (CONV in one_by_one) is expected


def test_kept_text_is_what_free_text_is_matched_against() -> None:
    query = parse_query("needle", me=ME)
    assert query.select([CONV, PLAIN], messages_of, lambda c: "a needle" if c is PLAIN else "hay") == [PLAIN]


def test_messages_are_fetched_only_for_terms_that_need_them() -> None:
    asked: list[str] = []

    def counting(conv: Conversation) -> list[MessageMeta]:
        asked.append(conv.id)
        return messages_of(conv)

    parse_query("tag:vip status:pending", me=ME).select([CONV, PLAIN], counting)
    assert asked == []
    parse_query("from:ann subject:1234", me=ME).select([CONV, PLAIN], counting)
    assert asked == [CONV.id, PLAIN.id]  # once per conversation, shared by both terms


def test_search_text_names_everyone_once_in_lower_case() -> None:
    text = search_text(CONV, MESSAGES)
    assert "dora finance" in text and "ann@customer.example" in text and "late delivery" in text
    assert text == text.casefold()
    assert text.count("ann lee") == 2  # the customer, then the sender once though she recurs


def mail(mid: str, subject: str, minutes: int, reply_to: str | None = None) -> MessageMeta:
    return MessageMeta(
        message_id=mid, subject=subject, sender=Address("Ann", "ann@globex.test"), to=(SUPPORT,), cc=(),
        date=NOW + timedelta(minutes=minutes), in_reply_to=(reply_to,) if reply_to else (),
        references=(reply_to,) if reply_to else (),
    )  # fmt: skip


def test_the_inbox_search_follows_new_messages_and_events(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([mail("a1@globex.test", "Invoice", 0), mail("b1@globex.test", "Login", 1)])
        inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
        assert inbox.conversations("parcel") == []
        store.upsert_messages([mail("a2@globex.test", "Parcel lost", 2, reply_to="a1@globex.test")])
        [found] = inbox.conversations("parcel")
        assert found.id == inbox.index.conversation_of("a1@globex.test")
        commands = Commands(inbox, author="alice@example.com", now=lambda: NOW)
        commands.tag(found.id, "vip")
        assert [c.id for c in inbox.conversations("parcel tag:vip")] == [found.id]
        assert [c.subject for c in inbox.conversations("login")] == ["Login"]


def test_a_search_before_the_texts_are_prepared_finds_what_one_after_finds(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages(
            [mail(f"m{i}@globex.test", f"Parcel {i}" if i % 2 else f"Invoice {i}", i) for i in range(7)]
        )
        inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
        before = [c.id for c in inbox.conversations("parcel")]
        assert len(before) == 3
        fresh = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
        assert not fresh.search_prepared()
        assert fresh.prepare_search(batch=2) == 7  # every conversation, two at a time
        assert fresh.search_prepared() and fresh.prepare_search() == 0  # nothing left to build
        assert [c.id for c in fresh.conversations("parcel")] == before
        store.upsert_messages([mail("n1@globex.test", "Parcel late", 9)])
        assert not fresh.search_prepared()
        assert len(fresh.conversations("parcel")) == 4  # a new conversation's text is built when asked
