"""An acknowledgement is marked as automatic, and is no answer: clocks run on, the customer still waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from shared_inbox.config import ConfigError, parse_config
from shared_inbox.config.model import AccountConfig, Member
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.conversations import waiting_since
from shared_inbox.domain.model import Address, MessageKind, MessageMeta
from shared_inbox.domain.sla import SlaPolicy
from shared_inbox.mail.compose import compose_reply, message_bytes
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.deadlines import DeadlineTracker
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.reply_variables import due_phrase
from shared_inbox.store import Store
from tests.unit.test_config import build

T0 = datetime(2026, 11, 23, 10, tzinfo=UTC)  # a Monday
ANN = Address("Ann Lee", "ann@globex.test")
SUPPORT = Address("Acme Support", "support@example.com")
ACCOUNT = AccountConfig(name="Acme Support", address=SUPPORT.email)
ALICE = Member(name="Alice Agent", email="alice@example.com")
FAST = SlaPolicy("fast", first_response=timedelta(hours=2), business_hours=False)


def question() -> MessageMeta:
    return MessageMeta(
        message_id="q1@globex.test", subject="Refund", sender=ANN, to=(SUPPORT,), cc=(), date=T0
    )


def sent_reply(*, automatic: bool, minutes: int = 1) -> bytes:
    message = compose_reply(
        question(),
        "",
        body="We got your message.",
        agent=ALICE,
        account=ACCOUNT,
        conversation_id="c1",
        date=T0 + timedelta(minutes=minutes),
        automatic=automatic,
    )
    return message_bytes(message)


def as_synced(raw: bytes, minutes: int = 1) -> MessageMeta:
    """The sent message as the Sent folder gives it back to every copy of the team."""
    return parse_header_block(
        raw,
        internal_date=T0 + timedelta(minutes=minutes),
        our_addresses=frozenset({SUPPORT.email}),
        sent_folder=True,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store") as opened:
        opened.upsert_messages([question()])
        yield opened


def test_an_automatic_reply_says_so_in_rfc_3834_headers_and_a_reply_by_hand_does_not() -> None:
    automatic = message_from_bytes(sent_reply(automatic=True), policy=policy.default)
    assert automatic["Auto-Submitted"] == "auto-replied"
    assert automatic["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert automatic["In-Reply-To"] == "<q1@globex.test>"
    by_hand = message_from_bytes(sent_reply(automatic=False), policy=policy.default)
    assert by_hand["Auto-Submitted"] is None and by_hand["X-Auto-Response-Suppress"] is None
    assert as_synced(sent_reply(automatic=True)).kind is MessageKind.AUTO_REPLY
    assert as_synced(sent_reply(automatic=False)).kind is MessageKind.CUSTOMER


def test_an_acknowledgement_does_not_stop_the_first_response_clock_but_a_reply_does(store: Store) -> None:
    store.upsert_messages([as_synced(sent_reply(automatic=True))])
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me=ALICE.email).load()
    tracker = DeadlineTracker(inbox, (FAST,), BusinessCalendar.weekdays("UTC"))
    [clock] = tracker.of(inbox.conversations()[0], T0 + timedelta(hours=3)).clocks
    assert (clock.text, clock.state, clock.outstanding) == ("first_response", "broken", True)
    store.upsert_messages([as_synced(sent_reply(automatic=False, minutes=30), minutes=30)])
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me=ALICE.email).load()
    tracker = DeadlineTracker(inbox, (FAST,), BusinessCalendar.weekdays("UTC"))
    [clock] = tracker.of(inbox.conversations()[0], T0 + timedelta(hours=3)).clocks
    assert (clock.state, clock.outstanding) == ("kept", False)


def test_after_an_acknowledgement_the_customer_is_still_waiting(store: Store) -> None:
    store.upsert_messages([as_synced(sent_reply(automatic=True))])
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me=ALICE.email).load()
    [conv] = inbox.conversations()
    assert waiting_since(conv) == T0 and conv.last_activity == T0


def test_the_window_is_configured_in_automation_and_mistakes_are_named() -> None:
    env = {"HOME": "/home/ann"}
    assert parse_config(build(), env=env).automation.auto_reply_window == timedelta(hours=24)
    config = parse_config(build(extra='[automation]\nauto_reply_window = "2h30m"\n'), env=env)
    assert config.automation.auto_reply_window == timedelta(hours=2, minutes=30)
    for extra, expected in [
        ('[automation]\nauto_reply_windw = "2h"\n', "auto_reply_window"),
        ('[automation]\nauto_reply_window = "soon"\n', "not a duration"),
        ('[automation]\nauto_reply_window = "90d"\n', "longer than 30 days"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_config(build(extra=extra), env=env)
        found = [f"{p.message} {p.hint or ''}" for p in caught.value.problems]
        assert any(expected in line for line in found), found


def test_the_due_time_reads_as_a_customer_expects_it() -> None:
    calendar = BusinessCalendar.weekdays("Europe/Berlin")
    assert due_phrase(T0 + timedelta(hours=4), calendar.zone) == "Monday 23 November, 15:00 CET"
