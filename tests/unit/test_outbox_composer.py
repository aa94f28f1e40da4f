"""From "reply to this conversation" to a queued message: which message, what text, when."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from shared_inbox.config.model import (
    AccountConfig,
    Config,
    ImapConfig,
    Member,
    Security,
    SmtpConfig,
    StoreConfig,
    TeamConfig,
)
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.outbox import Composer, Outbox, OutboxError, OutboxPolicy, OutboxState, quotable_text
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
ANN = Address("Ann", "ann@customer.test")
SUPPORT = Address("Acme Support", "support@example.com")


def meta(
    mid: str, minutes: int, *, sender: Address = ANN, refs: tuple[str, ...] = (), out: bool = False
) -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject="Order problem",
        sender=sender,
        to=(ANN,) if out else (SUPPORT,),
        cc=(),
        date=NOW - timedelta(hours=2) + timedelta(minutes=minutes),
        references=refs,
        outgoing=out,
    )


def raw_mail(mid: str, body: str) -> bytes:
    return (
        f"From: Ann <ann@customer.test>\r\nMessage-ID: <{mid}>\r\nSubject: Order problem\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@dataclass
class Desk:
    config: Config
    store: Store
    inbox: Inbox
    outbox: Outbox
    conv_id: str

    def composer(self, **options: object) -> Composer:
        return Composer(self.config, self.inbox, self.outbox, **options)  # type: ignore[arg-type]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    config = Config(
        account=AccountConfig("Acme Support", "support@example.com"),
        imap=ImapConfig(host="127.0.0.1", port=143, security=Security.NONE, username="support"),
        smtp=SmtpConfig(host="127.0.0.1", port=25, security=Security.NONE, username=None),
        team=TeamConfig(
            me="alice@example.com",
            members=(Member("Alice Agent", "alice@example.com", "Alice"), Member("Bob", "bob@example.com")),
        ),
        store=StoreConfig(tmp_path / "store"),
    )
    with Store.open(config.store.path) as store:
        store.upsert_messages(
            [
                meta("m1@customer.test", 0),
                meta("m2@customer.test", 10, refs=("m1@customer.test",)),
                meta(
                    "r1@example.com",
                    20,
                    sender=SUPPORT,
                    refs=("m1@customer.test", "m2@customer.test"),
                    out=True,
                ),
            ]
        )
        store.save_raw("m2@customer.test", raw_mail("m2@customer.test", "Any news?"))
        inbox = Inbox(store, our_addresses=config.our_addresses, me=config.team.me).load()
        outbox = Outbox.open(store)
        [conv] = inbox.conversations()
        yield Desk(config, store, inbox, outbox, conv.id)
        outbox.close()


def sent_text(desk: Desk, entry_id: str) -> str:
    message = message_from_bytes(desk.outbox.raw(entry_id), policy=policy.default)
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def test_a_reply_answers_the_customers_latest_message_and_waits_for_the_undo_window(desk: Desk) -> None:
    entry = desk.composer().reply(desk.conv_id, "It ships today.", now=NOW)
    assert entry.replied_to == "m2@customer.test" and entry.conversation_id == desk.conv_id
    assert entry.state is OutboxState.HELD and entry.release_at == NOW + timedelta(seconds=10)
    assert entry.recipients == ("ann@customer.test",) and entry.mail_from == "support@example.com"
    assert entry.author == "alice@example.com" and entry.body == "It ships today."
    text = sent_text(desk, entry.id)
    assert text.startswith("It ships today.\n\n-- \nAlice\n") and "> Any news?" in text


def test_a_message_id_picks_the_message_to_answer(desk: Desk) -> None:
    entry = desk.composer().reply("<m1@customer.test>", "About your first mail", now=NOW)
    assert entry.replied_to == "m1@customer.test"


def test_the_text_to_quote_is_fetched_when_it_is_not_cached(desk: Desk) -> None:
    asked: list[str] = []

    def fetch(message_id: str) -> bytes:
        asked.append(message_id)
        return raw_mail(message_id, "My first message")

    entry = desk.composer(fetch_raw=fetch).reply("m1@customer.test", "Hi", now=NOW)
    assert asked == ["m1@customer.test"] and "> My first message" in sent_text(desk, entry.id)


def test_send_later_and_no_undo_window(desk: Desk) -> None:
    later = desk.composer().reply(desk.conv_id, "Hi", now=NOW, send_at=NOW + timedelta(days=1))
    assert later.state is OutboxState.HELD and later.release_at == NOW + timedelta(days=1)
    at_once = desk.composer(policy=OutboxPolicy(undo_window=timedelta(0))).reply(desk.conv_id, "Hi", now=NOW)
    assert at_once.state is OutboxState.QUEUED and at_once.due(NOW)
    with pytest.raises(OutboxError, match="time zone"):
        desk.composer().reply(desk.conv_id, "Hi", now=NOW, send_at=datetime(2026, 10, 2, 9, 0))


def test_forward_and_reply_all(desk: Desk) -> None:
    forward = desk.composer().reply(
        desk.conv_id, "FYI", now=NOW, mode="forward", to=[Address("Carrier", "claims@carrier.test")]
    )
    assert forward.recipients == ("claims@carrier.test",) and forward.replied_to is None
    everyone = desk.composer().reply(desk.conv_id, "Hi all", now=NOW, mode="reply_all")
    assert everyone.recipients == ("ann@customer.test",)  # the team is never copied


def test_a_reply_to_exactly_the_given_recipients(desk: Desk) -> None:
    carol, dan = Address("Carol", "carol@partner.test"), Address("Dan", "dan@partner.test")
    entry = desk.composer().reply(desk.conv_id, "Over to you", now=NOW, recipients=([carol], [dan]))
    assert entry.recipients == ("carol@partner.test", "dan@partner.test")
    message = message_from_bytes(desk.outbox.raw(entry.id), policy=policy.default)
    assert message["To"] == "Carol <carol@partner.test>" and message["Cc"] == "Dan <dan@partner.test>"
    assert entry.replied_to == "m2@customer.test"


def test_cc_adds_to_the_people_a_reply_goes_to(desk: Desk) -> None:
    entry = desk.composer().reply(desk.conv_id, "Hi", now=NOW, cc=[Address("Carol", "carol@partner.test")])
    assert entry.recipients == ("ann@customer.test", "carol@partner.test")


def test_a_new_conversation(desk: Desk) -> None:
    entry = desk.composer().new_conversation([ANN], "Your invoice", "Attached.", now=NOW)
    raw = desk.outbox.raw(entry.id)
    header = message_from_bytes(raw, policy=policy.default)["X-Shared-Inbox-Conversation"]
    assert entry.conversation_id == header and entry.replied_to is None and entry.subject == "Your invoice"


def test_unknown_conversation(desk: Desk) -> None:
    with pytest.raises(OutboxError, match="No conversation 'c404'"):
        desk.composer().reply("c404", "Hi", now=NOW)
    assert desk.outbox.entries() == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (raw_mail("x@y", "Plain text"), "Plain text"),
        (b"Content-Type: text/html\r\n\r\n<p>Only <b>HTML</b></p>", "Only HTML"),
        (raw_mail("x@y", "Escapes \x1b[2J gone"), "Escapes  gone"),
    ],
)
def test_quotable_text(raw: bytes, expected: str) -> None:
    assert quotable_text(raw).strip() == expected


def test_html_only_mail_is_quoted_as_text(desk: Desk) -> None:
    html = b"From: Ann <ann@customer.test>\r\nContent-Type: text/html\r\n\r\n<p>Is it <b>shipped</b>?</p>"
    desk.store.save_raw("m1@customer.test", html)
    entry = desk.composer().reply("m1@customer.test", "Yes", now=NOW)
    assert "> Is it shipped?" in sent_text(desk, entry.id)
