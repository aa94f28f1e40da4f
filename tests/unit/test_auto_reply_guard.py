"""When an automatic reply may answer a message (RFC 3834), decided on plain data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from shared_inbox.domain.auto_reply import (
    AutoReplyCase,
    is_automatic_answer,
    is_unanswerable_address,
    refusal,
    reply_for,
)
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import Address, MessageKind, MessageMeta

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
OURS = frozenset({"support@acme.example", "ann@acme.example"})
ANN = Address("Ann Lee", "ann@customer.example")


def incoming(sender: Address = ANN, kind: MessageKind = MessageKind.CUSTOMER, **more: object) -> MessageMeta:
    meta = MessageMeta(
        message_id="q1@customer.example",
        subject="Order problem",
        sender=sender,
        to=(Address("Acme Support", "support@acme.example"),),
        cc=(),
        date=NOW - timedelta(minutes=1),
        kind=kind,
    )
    return replace(meta, **more)  # type: ignore[arg-type]


def case(
    answered: MessageMeta | None = None,
    recipients: tuple[Address, ...] = (ANN,),
    earlier: tuple[tuple[str, datetime], ...] = (),
    window: timedelta = timedelta(hours=24),
) -> AutoReplyCase:
    return AutoReplyCase(
        answered=answered or incoming(),
        recipients=recipients,
        ours=OURS,
        earlier=earlier,
        now=NOW,
        window=window,
    )


@pytest.mark.parametrize(
    ("situation", "why"),
    [
        (case(), None),
        (case(incoming(kind=MessageKind.AUTO_REPLY)), "it is an automatic reply"),
        (case(incoming(kind=MessageKind.BOUNCE)), "it is a delivery failure report"),
        (case(incoming(kind=MessageKind.BULK)), "it is list or bulk mail"),
        (case(incoming(outgoing=True)), "the message is the team's own"),
        (case(incoming(Address("Ann Agent", "ANN@acme.example"))), "the message is the team's own"),
        (case(incoming(Address("", ""))), "the message has no sender address"),
        (
            case(incoming(Address("Shop", "noreply@shop.example"))),
            "noreply@shop.example is not an address that takes replies",
        ),
        (case(recipients=()), "there is nobody to write to"),
        (
            case(recipients=(Address("", "do-not-reply@forms.example"),)),
            "do-not-reply@forms.example is not an address that takes replies",
        ),
        (
            case(recipients=(Address("", "support@acme.example"),)),
            "support@acme.example is the team's own address",
        ),
        (
            case(earlier=((ANN.email.upper(), NOW - timedelta(hours=3)),)),
            "ann@customer.example already had an automatic reply at 2026-11-23T07:00+00:00",
        ),
        (case(earlier=((ANN.email, NOW - timedelta(hours=25)),)), None),
        (case(earlier=((ANN.email, NOW - timedelta(hours=3)),), window=timedelta(hours=2)), None),
        (case(earlier=(("bob@customer.example", NOW - timedelta(minutes=5)),)), None),
    ],
)
def test_refusal(situation: AutoReplyCase, why: str | None) -> None:
    assert refusal(situation) == why


@pytest.mark.parametrize(
    "address",
    [
        "noreply@x.example",
        "no-reply@x.example",
        "No_Reply+orders@x.example",
        "donotreply@x.example",
        "do-not-reply@x.example",
        "MAILER-DAEMON@mx.example",
        "postmaster@x.example",
        "owner-announce@lists.example",
        "announce-request@lists.example",
        "dev-bounces@lists.example",
        "listserv@lists.example",
        "majordomo@lists.example",
        "bounce+123@mail.example",
        "not an address",
        "@x.example",
    ],
)
def test_machine_and_no_reply_addresses_are_never_written_to(address: str) -> None:
    assert is_unanswerable_address(address)


@pytest.mark.parametrize(
    "address", ["ann@customer.example", "noreen@x.example", "replyall@x.example", "postmaster-ann@x.example"]
)
def test_people_are_written_to(address: str) -> None:
    assert not is_unanswerable_address(address)


def test_only_our_own_automatic_mail_is_an_automatic_answer() -> None:
    ours = incoming(Address("Acme", "support@acme.example"), outgoing=True)
    assert not is_automatic_answer(ours)
    assert is_automatic_answer(replace(ours, kind=MessageKind.AUTO_REPLY))
    assert not is_automatic_answer(incoming(kind=MessageKind.AUTO_REPLY))


BERLIN = BusinessCalendar(
    "Europe/Berlin", {day: [("09:00", "17:00")] for day in range(5)}, [date(2026, 12, 24)]
)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 23, 9, 0), "Acknowledgement"),  # Monday, opening time
        (datetime(2026, 11, 23, 16, 59), "Acknowledgement"),
        (datetime(2026, 11, 23, 17, 0), "Closed"),  # closing time
        (datetime(2026, 11, 24, 7, 30), "Closed"),  # before opening
        (datetime(2026, 11, 28, 11, 0), "Closed"),  # Saturday
        (datetime(2026, 12, 24, 11, 0), "Closed"),  # a holiday on a Thursday
    ],
)
def test_outside_business_hours_the_other_reply_is_chosen(local: datetime, expected: str) -> None:
    moment = local.replace(tzinfo=BERLIN.zone).astimezone(UTC)
    assert reply_for("Acknowledgement", "Closed", BERLIN, moment) == expected
    assert reply_for("Acknowledgement", None, BERLIN, moment) == "Acknowledgement"
