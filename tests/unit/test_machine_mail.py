"""Recognising mail from machines: real-world header sets, read the way a sync reads them.

Every sample goes through the header-only path a sync uses (only the fields the sync
fetches, then ``parse_header_block``), and bounces through the delivery report reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared_inbox.domain.model import DeliveryFailure, MessageKind
from shared_inbox.mail.dsn import read_delivery_report, with_delivery_report
from shared_inbox.mail.headers import WANTED_HEADERS, parse_header_block
from shared_inbox.mail.machine_mail import classify

MACHINES = Path(__file__).parent.parent / "data" / "eml" / "machines"
OURS = frozenset({"support@example.com"})
K = MessageKind


def fetched_headers(raw: bytes) -> bytes:
    """What ``BODY.PEEK[HEADER.FIELDS (...)]`` with the sync's field list returns."""
    block = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    wanted = {name.lower().encode() for name in WANTED_HEADERS}
    kept: list[bytes] = []
    keep = False
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        keep = line.partition(b":")[0].strip().lower() in wanted
        if keep:
            kept.append(line)
    return b"\n".join(kept) + b"\n\n"


def sample(name: str) -> bytes:
    return (MACHINES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("exchange_automatic_reply.eml", K.AUTO_REPLY),
        ("gmail_vacation.eml", K.AUTO_REPLY),
        ("sieve_reponse_automatique.eml", K.AUTO_REPLY),
        ("abwesenheitsnotiz_subject_only.eml", K.AUTO_REPLY),
        ("x_autorespond.eml", K.AUTO_REPLY),
        ("precedence_auto_reply.eml", K.AUTO_REPLY),
        ("forwarded_auto_reply.eml", K.CUSTOMER),
        ("human_out_of_office_question.eml", K.CUSTOMER),
        ("auto_submitted_no.eml", K.CUSTOMER),
        ("postfix_dsn.eml", K.BOUNCE),
        ("postfix_delayed.eml", K.BOUNCE),
        ("exim_bounce.eml", K.BOUNCE),
        ("gmail_dsn.eml", K.BOUNCE),
        ("exchange_ndr.eml", K.BOUNCE),
        ("mailing_list.eml", K.BULK),
        ("newsletter.eml", K.BULK),
        ("noreply_notification.eml", K.BULK),
    ],
)
def test_kind_from_the_headers_a_sync_fetches(name: str, kind: MessageKind) -> None:
    meta = parse_header_block(fetched_headers(sample(name)), our_addresses=OURS)
    assert meta.kind is kind
    # The whole header block says the same: nothing the sync leaves out matters.
    assert parse_header_block(sample(name), our_addresses=OURS).kind is kind


@pytest.mark.parametrize(
    ("headers", "sender", "subject", "kind"),
    [
        ({}, "ann@customer.example", "Automatic reply: Hello", K.CUSTOMER),  # subject alone is not enough
        ({"return-path": "<>"}, "ann@customer.example", "Automatic reply: Hello", K.AUTO_REPLY),
        ({"return-path": "<>"}, "ann@customer.example", "Fwd: Automatic reply: Hello", K.CUSTOMER),
        ({"return-path": "<>"}, "ann@customer.example", "Re: Out of office", K.CUSTOMER),
        ({"precedence": "junk"}, "ann@customer.example", "Out of Office: back Monday", K.AUTO_REPLY),
        ({"auto-submitted": "auto-generated"}, "ann@customer.example", "Hello", K.AUTO_REPLY),
        ({"auto-submitted": "No (comment)"}, "ann@customer.example", "Hello", K.CUSTOMER),
        ({"auto-submitted": "auto-notified"}, "ann@customer.example", "Hello", K.AUTO_REPLY),
        ({"x-autoreply": "no"}, "ann@customer.example", "Hello", K.CUSTOMER),
        (
            {"content-type": "multipart/report; report-type=disposition-notification"},
            "a@b.example",
            "Read: x",
            K.AUTO_REPLY,
        ),
        ({"content-type": 'multipart/report; report-type="delivery-status"'}, "a@b.example", "x", K.BOUNCE),
        ({"content-type": "multipart/mixed; report-type=delivery-status"}, "a@b.example", "x", K.CUSTOMER),
        ({}, "postmaster@customer.example", "Your SPF record", K.CUSTOMER),  # a person who is postmaster
        ({}, "postmaster@customer.example", "Undeliverable: Your invoice", K.BOUNCE),
        ({}, "MAILER-DAEMON@relay.example", "Warning: message delayed", K.BOUNCE),
        ({"precedence": "bulk"}, "news@x.example", "Weekly", K.BULK),
        ({}, "donotreply@x.example", "Your code", K.BULK),
        ({}, "noreply+billing@x.example", "Receipt", K.BULK),
        ({}, "noreen@x.example", "Hello", K.CUSTOMER),
        ({"auto-submitted": "auto-replied", "precedence": "bulk"}, "a@b.example", "Away", K.AUTO_REPLY),
    ],
)
def test_classification_table(headers: dict[str, str], sender: str, subject: str, kind: MessageKind) -> None:
    assert classify(headers.get, sender, subject) is kind


@pytest.mark.parametrize(
    ("name", "failures", "original"),
    [
        (
            "postfix_dsn.eml",
            [DeliveryFailure("ann@customer.example", True,
                             "550 5.1.1 <ann@customer.example>: Recipient address rejected: "
                             "User unknown in virtual mailbox table")],
            "si.t4k8m1.6c2f9a0b@example.com",
        ),
        (
            "postfix_delayed.eml",
            [DeliveryFailure("bo@slow.example", False,
                             "connect to mx.slow.example[198.51.100.3]:25: Connection timed out")],
            "si.q1w2e3.5a5b5c5d@example.com",
        ),
        (
            "exim_bounce.eml",
            [DeliveryFailure("kai@gone.example", True, "550 5.1.1 <kai@gone.example>: mailbox unavailable")],
            "si.r5t6y7.8e9f0a1b@example.com",
        ),
        (
            "gmail_dsn.eml",
            [DeliveryFailure("no.such.user@gmail.com", True,
                             "550-5.1.1 The email account that you tried to reach does not exist. Please try "
                             "550-5.1.1 double-checking the recipient's email address for typos or "
                             "550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser")],
            "si.g7h8j9.2b3c4d5e@example.com",
        ),
        (
            "exchange_ndr.eml",
            [DeliveryFailure("pat@contoso.de", True,
                             "550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
                             "Recipient not found by SMTP address lookup")],
            "si.e4r5t6.9a8b7c6d@example.com",
        ),
    ],
)  # fmt: skip
def test_delivery_reports(name: str, failures: list[DeliveryFailure], original: str) -> None:
    raw = sample(name)
    report = read_delivery_report(raw)
    assert list(report.failures) == failures
    assert report.original_message_id == original
    meta = with_delivery_report(parse_header_block(fetched_headers(raw), our_addresses=OURS), raw)
    assert meta.kind is MessageKind.BOUNCE
    assert list(meta.delivery_failures) == failures
    assert meta.bounced_message_id == original


def test_a_report_cut_short_still_names_the_failed_recipient() -> None:
    raw = sample("postfix_dsn.eml")
    cut = raw[: raw.index(b"Content-Description: Undelivered Message")]
    report = read_delivery_report(cut)
    assert [failure.recipient for failure in report.failures] == ["ann@customer.example"]
    assert report.original_message_id is None


def test_the_remote_servers_words_are_one_clean_line() -> None:
    raw = sample("postfix_dsn.eml").replace(
        b"Recipient address\n    rejected", b"Recipient \x1b[31maddress\n    rejected [bold]x[/bold]"
    )
    (failure,) = read_delivery_report(raw).failures
    assert "\x1b" not in failure.diagnostic and "\n" not in failure.diagnostic
    assert "[bold]x[/bold]" in failure.diagnostic  # kept as text; the UI never reads it as markup


@pytest.mark.parametrize(
    "raw", [b"", b"\xff\xfe garbage", b"Content-Type: multipart/report; boundary=x\n\n--x"]
)
def test_unreadable_reports_give_no_details_and_never_raise(raw: bytes) -> None:
    report = read_delivery_report(raw)
    assert report.failures == ()
    assert report.original_message_id is None


def test_mail_that_is_not_a_bounce_is_left_alone() -> None:
    raw = sample("exim_bounce.eml")
    meta = parse_header_block(fetched_headers(sample("gmail_vacation.eml")), our_addresses=OURS)
    assert with_delivery_report(meta, raw) == meta
