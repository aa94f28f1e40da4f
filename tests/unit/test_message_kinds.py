"""Mail from machines in a conversation: joins it, never reopens it, never makes a customer wait."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.conversations import assemble_one, waiting_since
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.message_kinds import kind_of, makes_customer_wait, summarise
from shared_inbox.domain.model import Address, DeliveryFailure, MessageKind, MessageMeta, Status
from shared_inbox.domain.threading import ThreadIndex

T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
OURS = frozenset({"support@acme.example"})
ANN = Address("Ann Lee", "ann@customer.example")
AGENT = Address("Acme Support", "support@acme.example")
DAEMON = Address("Mail Delivery System", "mailer-daemon@mx.acme.example")
FAILURE = DeliveryFailure("ann@customer.example", True, "550 5.1.1 user unknown")


def msg(
    mid: str, hour: float, sender: Address, *, kind: MessageKind = MessageKind.CUSTOMER, **more: object
) -> MessageMeta:
    meta = MessageMeta(
        message_id=mid,
        subject="Order problem",
        sender=sender,
        to=(AGENT,) if sender != AGENT else (ANN,),
        cc=(),
        date=T0 + timedelta(hours=hour),
        outgoing=sender == AGENT,
        kind=kind,
    )
    return replace(meta, **more)  # type: ignore[arg-type]


def pending_at(hour: float) -> Event:
    at = T0 + timedelta(hours=hour)
    return Event(
        id="e-pending",
        kind=EventKind.STATUS,
        anchor="q1",
        author="cy@acme.example",
        at=at,
        clock=Hlc(int(at.timestamp() * 1000), 0, "cy@acme.example"),
        data={"status": Status.PENDING.value},
    )


def conversation(*metas: MessageMeta, bulk_counts: bool = False) -> tuple[Status, datetime | None, int]:
    conv = assemble_one("c1", metas, [pending_at(1.5)], OURS, bulk_counts=bulk_counts)
    return conv.state.status, conv.last_customer_message, conv.unread


def base() -> list[MessageMeta]:
    return [msg("q1", 0, ANN, flags=frozenset({"\\Seen"})), msg("a1", 1, AGENT, references=("q1",))]


def test_a_customer_reply_reopens_a_pending_conversation() -> None:
    status, last, unread = conversation(*base(), msg("q2", 2, ANN, references=("q1", "a1")))
    assert (status, last, unread) == (Status.ACTIVE, T0 + timedelta(hours=2), 1)


@pytest.mark.parametrize("kind", [MessageKind.AUTO_REPLY, MessageKind.BOUNCE, MessageKind.BULK])
def test_machine_mail_leaves_a_pending_conversation_pending(kind: MessageKind) -> None:
    status, last, _ = conversation(*base(), msg("m1", 2, ANN, kind=kind, references=("q1", "a1")))
    assert status is Status.PENDING
    assert last == T0  # not the customer's reply


def test_auto_replies_are_not_unread_work_but_bounces_are() -> None:
    assert conversation(*base(), msg("m1", 2, ANN, kind=MessageKind.AUTO_REPLY))[2] == 0
    assert conversation(*base(), msg("m1", 2, DAEMON, kind=MessageKind.BOUNCE))[2] == 1


def test_bulk_mail_counts_when_the_team_wants_it_to() -> None:
    status, last, _ = conversation(*base(), msg("n1", 2, ANN, kind=MessageKind.BULK), bulk_counts=True)
    assert (status, last) == (Status.ACTIVE, T0 + timedelta(hours=2))
    assert makes_customer_wait(msg("n1", 2, ANN, kind=MessageKind.BULK), bulk_counts=True)
    assert not makes_customer_wait(msg("n1", 2, ANN, kind=MessageKind.BULK), bulk_counts=False)


def test_an_auto_reply_to_the_customers_mail_does_not_keep_the_customer_waiting_longer() -> None:
    conv = assemble_one("c1", [msg("q1", 0, ANN), msg("r1", 1, ANN, kind=MessageKind.AUTO_REPLY)], [], OURS)
    assert waiting_since(conv) == T0
    assert conv.last_customer_message == T0


def test_a_bounce_of_our_conversation_start_does_not_become_the_customer() -> None:
    ours = msg("a1", 0, AGENT)
    bounce = msg("b1", 1, DAEMON, kind=MessageKind.BOUNCE, bounced_message_id="a1")
    conv = assemble_one("c1", [ours, bounce], [], OURS)
    assert conv.customer is not None and conv.customer.email == "ann@customer.example"


def test_a_bounce_joins_the_conversation_of_the_message_it_returns() -> None:
    index = ThreadIndex()
    index.add_many(base())
    index.add(msg("x9", 0.5, Address("", "someone@else.example")))
    index.add(msg("b1", 3, DAEMON, kind=MessageKind.BOUNCE, bounced_message_id="a1"))
    assert index.conversation_of("b1") == index.conversation_of("q1")
    assert index.conversation_of("x9") != index.conversation_of("q1")


def test_a_bounce_of_our_tokened_mail_joins_its_conversation_even_before_that_mail_is_synced() -> None:
    index = ThreadIndex()
    index.add(msg("q1", 0, ANN, token="k3x9q2"))
    index.add(
        msg("b1", 3, DAEMON, kind=MessageKind.BOUNCE, bounced_message_id="si.k3x9q2.7f3a9c1e@acme.example")
    )
    assert index.conversation_of("b1") == index.conversation_of("q1")


def test_kind_of_our_own_mail_is_agent_whatever_its_headers_say() -> None:
    assert kind_of(msg("a1", 0, AGENT, kind=MessageKind.AUTO_REPLY), OURS) is MessageKind.AGENT
    assert kind_of(msg("q1", 0, ANN), OURS) is MessageKind.CUSTOMER


def test_summary_counts_every_kind_and_lists_failures_once() -> None:
    metas = [
        *base(),
        msg("r1", 2, ANN, kind=MessageKind.AUTO_REPLY),
        msg("b1", 3, DAEMON, kind=MessageKind.BOUNCE, delivery_failures=(FAILURE,)),
        msg("b2", 4, DAEMON, kind=MessageKind.BOUNCE, delivery_failures=(FAILURE,)),
    ]
    summary = summarise(metas, OURS)
    assert summary.counts == {"customer": 1, "agent": 1, "auto_reply": 1, "bounce": 2, "bulk": 0}
    assert summary.delivery_failures == (FAILURE,)
    assert FAILURE.describe() == "delivery failed to ann@customer.example: 550 5.1.1 user unknown"
