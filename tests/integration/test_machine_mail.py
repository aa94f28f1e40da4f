"""Out-of-office replies and bounces synced from a real Dovecot, seen through the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.integration.support import cli, list_json, write_config

pytestmark = pytest.mark.integration

MACHINES = Path(__file__).parent.parent / "data" / "eml" / "machines"
SLA = """
[[sla]]
name = "standard"
first_response = "2h"
next_response = "2h"
business_hours = false
"""


def _when(minutes_ago: int) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago))


def customer_mail(n: int, sender: str, *, reply_to: str | None = None, extra: str = "") -> bytes:
    subject = f"Re: Question {n}" if reply_to else f"Question {n}"
    threading = (
        f"In-Reply-To: <{reply_to}>\r\nReferences: <q{n}@customer.test> <{reply_to}>\r\n" if reply_to else ""
    )
    return (
        f"From: Customer <{sender}>\r\nTo: Acme Support <support@example.com>\r\nSubject: {subject}\r\n"
        f"Date: {_when(1)}\r\nMessage-ID: <{'x' if reply_to else 'q'}{n}@customer.test>\r\n{threading}{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
    ).encode()


def our_reply(n: int, to: str) -> bytes:
    return (
        f"From: Acme Support <support@example.com>\r\nTo: <{to}>\r\nSubject: Re: Question {n}\r\n"
        f"Date: {_when(30)}\r\nMessage-ID: <r{n}@example.com>\r\nIn-Reply-To: <q{n}@customer.test>\r\n"
        f"References: <q{n}@customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nDone.\r\n"
    ).encode()


def synced(tmp_path: Path, mailbox: object, *, headers_only: bool = False) -> Path:
    config = write_config(tmp_path, mailbox, folders=("INBOX", "Sent"), extra=SLA)
    sync(config, headers_only=headers_only)
    return config


def sync(config: Path, *, headers_only: bool = False) -> None:
    done = cli(config, "sync", "--headers-only" if headers_only else "--once")
    assert done.returncode == 0, done.stderr


def only(rows: list[dict[str, object]], message_id: str) -> dict[str, object]:
    (row,) = [row for row in rows if message_id in row["message_ids"]]  # type: ignore[operator]
    return row


def test_an_out_of_office_reply_leaves_a_pending_conversation_pending(mailbox, tmp_path):
    # Arrived minutes ago: a message from the very second of the status change would reopen it, by design.
    arrived = datetime.now(UTC) - timedelta(minutes=5)
    mailbox.append("INBOX", customer_mail(1, "ann@customer.test"), internal_date=arrived)
    mailbox.append("Sent", our_reply(1, "ann@customer.test"))
    config = synced(tmp_path, mailbox)
    conv = only(list_json(config), "q1@customer.test")
    assert cli(config, "set", str(conv["id"]), "--status", "pending").returncode == 0
    before = only(list_json(config), "q1@customer.test")

    auto = customer_mail(
        1,
        "ann@customer.test",
        reply_to="r1@example.com",
        extra="Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n",
    ).replace(b"Subject: Re: Question 1", b"Subject: Automatic reply: Question 1")
    mailbox.deliver(auto)
    sync(config)
    after = only(list_json(config), "q1@customer.test")
    assert "x1@customer.test" in after["message_ids"]  # it joined the conversation
    assert after["status"] == "pending"
    assert after["sla"] == before["sla"]
    assert after["last_customer_message"] == before["last_customer_message"]
    assert after["message_kinds"] == {"customer": 1, "agent": 1, "auto_reply": 1, "bounce": 0, "bulk": 0}
    assert after["delivery_failures"] == []

    # The customer writing for real does reopen it: the auto-reply was told apart, not ignored by chance.
    mailbox.deliver(customer_mail(1, "ann@customer.test", reply_to="r1@example.com").replace(b"x1@", b"y1@"))
    sync(config)
    assert only(list_json(config), "q1@customer.test")["status"] == "active"


@pytest.mark.parametrize("headers_only", [False, True])
def test_a_bounce_raises_the_failure_on_the_conversation_of_the_mail_it_returns(
    mailbox, tmp_path, headers_only
):
    for n, who in ((1, "ann@customer.test"), (2, "bob@customer.test")):
        mailbox.deliver(customer_mail(n, who))
        mailbox.append("Sent", our_reply(n, who))
    bounce = (
        (MACHINES / "postfix_dsn.eml")
        .read_bytes()
        .replace(b"si.t4k8m1.6c2f9a0b@example.com", b"r2@example.com")
        .replace(b"ann@customer.example", b"bob@customer.test")
    )
    mailbox.deliver(bounce)
    config = synced(tmp_path, mailbox, headers_only=headers_only)
    rows = list_json(config)
    bob = only(rows, "r2@example.com")
    assert "20240314093108.4TqR7c0SVhz9sW@mx.example.com" in bob["message_ids"]
    assert bob["delivery_failures"] == [
        {
            "recipient": "bob@customer.test",
            "permanent": True,
            "diagnostic": "550 5.1.1 <bob@customer.test>: Recipient address rejected: "
            "User unknown in virtual mailbox table",
        }
    ]
    assert bob["message_kinds"]["bounce"] == 1
    assert bob["customer"]["email"] == "bob@customer.test"  # not the mail system
    ann = only(rows, "r1@example.com")
    assert ann["delivery_failures"] == [] and ann["message_kinds"]["bounce"] == 0
    assert len(rows) == 2
