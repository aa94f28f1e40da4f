"""Replies are attributed in reports: sent through shared-inbox, or written in webmail, against Dovecot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from shared_inbox.config import load_config
from shared_inbox.domain.metrics import REPLY_SENT
from shared_inbox.services.session import open_session
from tests.integration.support import SUPPORT_ADDRESS, cli, list_json
from tests.integration.test_send import body_file, customer_mail, ok, queue_reply, send_config
from tests.rig.smtp import SmtpReceiver

pytestmark = pytest.mark.integration


def webmail_reply(sender: str, in_reply_to: str, subject: str) -> bytes:
    """What a teammate's webmail leaves in the mailbox: a plain message from one of our addresses."""
    lines = [
        f"From: {sender}",
        "To: Ann Customer <ann@customer.test>",
        f"Subject: Re: {subject}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: {make_msgid(domain='webmail.example.com')}",
        f"In-Reply-To: <{in_reply_to}>",
        f"References: <{in_reply_to}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Answered from the browser.",
        "",
    ]
    return "\r\n".join(lines).encode()


def conversation_with(config: Path, subject: str) -> str:
    return next(str(c["id"]) for c in list_json(config) if c["subject"] == subject)


def test_replies_are_attributed_to_who_sent_them_wherever_they_were_written(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    mailbox.deliver(customer_mail(1, "Order problem"))
    mailbox.deliver(customer_mail(2, "Invoice question"))
    mailbox.deliver(customer_mail(3, "Password reset"))
    ok(cli(config, "sync", "--once", "--quiet"))

    # Alice (this copy's agent) replies through shared-inbox; the server accepts it.
    order = conversation_with(config, "Order problem")
    queue_reply(config, order, body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))
    assert len(smtp_receiver.wait_for(1)) == 1

    # Bob answers from webmail, which files its copy in Sent under the team's address and his name;
    # someone else's answer, signed only as the team, lands in INBOX (a copy to the team).
    bob = webmail_reply(f"Bob Agent <{SUPPORT_ADDRESS}>", "m2@customer.test", "Invoice question")
    mailbox.append("Sent", bob, flags=[b"\\Seen"])
    team = webmail_reply(f"Acme Support <{SUPPORT_ADDRESS}>", "m3@customer.test", "Password reset")
    mailbox.append("INBOX", team)
    ok(cli(config, "sync", "--once", "--quiet"))

    doc = json.loads(ok(cli(config, "report", "--last", "1d", "--hours", "calendar", "--json")).stdout)
    assert doc["volume"]["replies"] == 3
    assert doc["first_response"]["count"] == 3
    agents = {row["agent"]: row["replies"] for row in doc["agents"]}
    assert agents == {"alice@example.com": 1, "bob@example.com": 1, "unattributed": 1}
    # Alice's reply is recorded as a team event naming her; the webmail replies have none.
    with open_session(load_config(config, {})) as session:
        recorded = [e for e in session.inbox.events if e.kind == REPLY_SENT]
    assert [(e.author, e.anchor) for e in recorded] == [("alice@example.com", "m1@customer.test")]


def rating_mail(subject: str, in_reply_to: str, text: str = "") -> bytes:
    lines = [
        "From: Ann Customer <ann@customer.test>",
        f"To: Acme Support <{SUPPORT_ADDRESS}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: {make_msgid(domain='customer.test')}",
        *([f"In-Reply-To: {in_reply_to}"] if in_reply_to else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
        "",
    ]
    return "\r\n".join(lines).encode()


def test_a_rating_sent_back_by_mail_is_recorded_on_its_conversation(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    config.write_text(config.read_text() + "\n[satisfaction]\nenabled = true\n")
    mailbox.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    order = conversation_with(config, "Order problem")
    queue_reply(config, order, body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))
    [sent] = smtp_receiver.wait_for(1)
    text = message_from_bytes(sent.raw, policy=policy.default).get_body(("plain",)).get_content()
    link = next(line for line in text.splitlines() if "Great: mailto:" in line)
    subject = unquote(link.split("subject=", 1)[1])
    assert subject == f"Rating: great [{order}]"

    # The customer clicks "great": their mail client sends a new message with that subject only.
    mailbox.deliver(rating_mail(subject, in_reply_to=""))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = [c for c in list_json(config) if c["id"] == order]
    assert conv["message_count"] == 3 and conv["status"] == "pending"  # joined, and not reopened
    doc = json.loads(ok(cli(config, "report", "--last", "1d", "--json")).stdout)
    satisfaction = doc["satisfaction"]
    assert (satisfaction["ratings"], satisfaction["score"], satisfaction["requests"]) == (1, 100.0, 1)
    assert doc["volume"]["customer_messages"] == 1  # the rating is not the customer writing
