"""Reading header blocks into MessageMeta: real samples, byte-level cases, and hostile input."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared_inbox.domain.model import Address, Location, MessageMeta
from shared_inbox.domain.stand_ins import header_only_form
from shared_inbox.mail import headers as headers_module
from shared_inbox.mail.addresses import simple_address_pairs, strict_address_pairs
from shared_inbox.mail.headers import EPOCH, parse_header_block
from shared_inbox.mail.msgid import (
    make_message_id,
    message_text,
    token_from_message_id,
    with_text,
)
from shared_inbox.mail.sanitize import FORBIDDEN_CHARS, clean_line

EML_DIR = Path(__file__).parent.parent / "data" / "eml"
ARRIVAL = datetime(2024, 3, 8, 12, 0, tzinfo=UTC)
OURS = frozenset({"support@example.com"})
SYNTHETIC = "<synthetic>"  # marks an expected Message-ID that must be synthesized
A = Address


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def header_block(raw: bytes) -> bytes:
    """What IMAP BODY.PEEK[HEADER] returns: everything up to and including the blank line."""
    ends = [(raw.find(sep), len(sep)) for sep in (b"\r\n\r\n", b"\n\n")]
    found = [index + length for index, length in ends if index >= 0]
    return raw[: min(found)] if found else raw


def parse(raw: bytes, **kwargs: object) -> MessageMeta:
    kwargs.setdefault("internal_date", ARRIVAL)
    kwargs.setdefault("our_addresses", OURS)
    return parse_header_block(raw, **kwargs)  # type: ignore[arg-type]


def note_subjects(meta: MessageMeta) -> set[str]:
    """Which header each note is about: the text before the first colon."""
    return {note.split(":", 1)[0] for note in meta.header_notes}


@dataclass(frozen=True)
class Expected:
    subject: str
    sender: Address
    message_id: str
    date: datetime
    to: tuple[Address, ...] = (A("", "support@example.com"),)
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    token: str | None = None
    outgoing: bool = False
    has_attachments: bool = False
    notes: frozenset[str] = frozenset()


SAMPLES: dict[str, Expected] = {
    "outlook_reply.eml": Expected(
        subject="AW: Rechnung 2024-0117 fehlt",
        sender=A("Müller, Hans", "hans.mueller@contoso.de"),
        message_id="AM0PR07MB5678D1E4B0E0A2C3F9B7E3C1DAF20@AM0PR07MB5678.eurprd07.prod.outlook.com",
        date=utc(2024, 3, 5, 9, 14, 21),
        to=(A("Support", "support@example.com"),),
        cc=(A("Weber, Anna", "anna.weber@contoso.de"),),
        in_reply_to=("si.k3x9q2.7f3a9c1e@example.com",),
        references=("si.k3x9q2.7f3a9c1e@example.com",),
        has_attachments=True,
    ),
    "gmail_reply.eml": Expected(
        subject="Re: Lieferung überfällig",
        sender=A("Jörg Schmidt", "jorg.schmidt@gmail.com"),
        message_id="CAJk8sQ7vR2+Lm9xP0oN4tB_eW5yZ1uA3cD6fG8hJ0kL2mN4pQ@mail.gmail.com",
        date=utc(2024, 3, 6, 17, 2, 11),
        in_reply_to=("CAHx7Lz+Qm3=abc_def-XYZ123@mail.gmail.com",),
        references=("si.p8m2r7.c41d0b@example.com", "CAHx7Lz+Qm3=abc_def-XYZ123@mail.gmail.com"),
    ),
    "apple_mail.eml": Expected(
        subject="Problème de connexion à mon compte",
        sender=A("Claire Dubois", "claire.dubois@icloud.com"),
        message_id="8F2A41C7-3B9E-4D1A-9C55-0E7B2D6A1F34@icloud.com",
        date=utc(2024, 3, 7, 16, 45, 3),
    ),
    "encoded_subject_utf8_b.eml": Expected(
        subject="📦 Paket für Größe M",
        sender=A("Сергей Иванов", "sergei@example.ru"),
        message_id="20240301070000.4711@mx.example.ru",
        date=utc(2024, 3, 1, 7, 0),
    ),
    "encoded_subject_latin1_q.eml": Expected(
        subject="Réclamation: commande n° 4471",
        sender=A("Renée Lefèvre", "renee@example.fr"),
        message_id="87a5b3c2d1.fsf@example.fr",
        date=utc(2024, 3, 1, 10, 30),
    ),
    "encoded_mixed_charsets.eml": Expected(
        # Whitespace between adjacent encoded words is not part of the text (RFC 2047 6.2).
        subject="“Urgent”Größe and caf\ufffddone",
        sender=A("“Frank” Ocean", "frank@example.org"),
        message_id="mixed.charsets.1@example.org",
        date=utc(2024, 3, 2, 9, 0),
        to=(A("Qapla\ufffd", "worf@example.net"),),
        cc=(A("€ Finance", "finance@example.com"),),
    ),
    "folded_headers.eml": Expected(
        subject="This subject is long enough that the sending client decided to fold it over three lines",
        sender=A("A Very Long Display Name That Someone Folded", "long.name@example.com"),
        message_id="folded.1234@example.com",
        date=utc(2024, 3, 4, 14, 20),
        to=(A("", "first@example.com"), A("", "second@example.com"), A("Third Person", "third@example.com")),
        in_reply_to=("parent.1@example.com",),
        references=("root.0@example.com", "parent.1@example.com"),
    ),
    "missing_message_id.eml": Expected(
        subject="Message without an id",
        sender=A("Old Mailer", "old@legacy.example"),
        message_id=SYNTHETIC,
        date=utc(2024, 3, 4, 8, 0),
        notes=frozenset({"Message-ID"}),
    ),
    "missing_date.eml": Expected(
        subject="Nightly report",
        sender=A("", "script@cron.example"),
        message_id="nightly.20240305@cron.example",
        date=ARRIVAL,
        notes=frozenset({"Date"}),
    ),
    "garbage_date.eml": Expected(
        subject="Contact form submission",
        sender=A("Form Mailer", "noreply@forms.example"),
        message_id="form.77@forms.example",
        date=ARRIVAL,
        notes=frozenset({"Date"}),
    ),
    "duplicate_headers.eml": Expected(
        subject="The first subject",
        sender=A("First Sender", "first@example.com"),
        message_id="dup.first@example.com",
        date=utc(2024, 3, 5, 10, 0),
        to=(A("", "a@example.com"), A("", "b@example.com")),
        notes=frozenset({"From", "Subject", "Date", "Message-ID"}),
    ),
    "hostile_subject_encoded.eml": Expected(
        subject="Invoice OVERDUE pay cod.exe Bcc: victim@example.com [@click=app.quit]Win[/]",
        sender=A("Support Team moc.lapyap", "attacker@evil.example"),
        message_id="hostile.1@evil.example",
        date=utc(2024, 3, 5, 10, 0),
        notes=frozenset({"From", "Subject", "X-Shared-Inbox-Conversation"}),
    ),
    "hostile_raw_controls.eml": Expected(
        subject="Reset here now [bold red]!![/]",
        sender=A("Eve Admin", "eve@evil.example"),
        message_id="hostile.2@evil.example",
        date=utc(2024, 3, 5, 11, 0),
        notes=frozenset({"From", "Subject"}),
    ),
    "addresses_comments_groups.eml": Expected(
        subject="Address forms",
        sender=A("Jane Roe", "jane.roe@example.org"),
        message_id="addresses.1@example.org",
        date=utc(2024, 3, 5, 12, 0),
        to=(A("", "support@example.com"), A("Billing", "billing@example.com")),
        cc=(
            A("Bob the builder Smith", "bob@example.net"),
            A("Quoted, Name", "quoted@example.net"),
            A("", "nodomain"),
        ),
        reply_to=(A("Jane at home", "jane@home.example"),),
        notes=frozenset({"Cc"}),
    ),
    "rfc2231_params.eml": Expected(
        subject="Rechnung März",
        sender=A("Scanner", "scanner@office.example"),
        message_id="scan.2024.03.05.1300@office.example",
        date=utc(2024, 3, 5, 13, 0),
        has_attachments=True,
    ),
    "raw_latin1_headers.eml": Expected(
        subject="Bestellung für Jörg – Größe bitte prüfen",
        sender=A("Jörg Müller", "joerg@example.de"),
        message_id="latin1.raw@example.de",
        date=utc(2024, 3, 5, 13, 0),
        notes=frozenset({"header block"}),
    ),
    "raw_utf8_headers.eml": Expected(
        subject="Заказ №1234 не пришёл",
        sender=A("Дмитрий Соколов", "dmitry@example.ru"),
        message_id="utf8.raw.1@example.ru",
        date=utc(2024, 3, 5, 12, 0),
    ),
    "our_sent_reply.eml": Expected(
        subject="Re: Lieferung überfällig",
        sender=A("Example Support", "support@example.com"),
        message_id="si.p8m2r7.9d8e7f6a5b4c@example.com",
        date=utc(2024, 3, 7, 9, 30),
        to=(A("Jörg Schmidt", "jorg.schmidt@gmail.com"),),
        in_reply_to=("CAJk8sQ7vR2+Lm9xP0oN4tB_eW5yZ1uA3cD6fG8hJ0kL2mN4pQ@mail.gmail.com",),
        references=(
            "si.p8m2r7.c41d0b@example.com",
            "CAHx7Lz+Qm3=abc_def-XYZ123@mail.gmail.com",
            "CAJk8sQ7vR2+Lm9xP0oN4tB_eW5yZ1uA3cD6fG8hJ0kL2mN4pQ@mail.gmail.com",
        ),
        token="p8m2r7",
        outgoing=True,
    ),
    "token_in_message_id.eml": Expected(
        subject="Re: Problème de connexion à mon compte",
        sender=A("Example Support", "support@example.com"),
        message_id="si.q7w3e9.0a1b2c3d@example.com",
        date=utc(2024, 3, 7, 17, 0),
        to=(A("", "claire.dubois@icloud.com"),),
        token="q7w3e9",
        outgoing=True,
    ),
    "references_messy.eml": Expected(
        subject="Re: Re: Fwd: help",
        sender=A("Old Client", "user@oldclient.example"),
        message_id="messy.9@oldclient.example",
        date=utc(2024, 3, 5, 16, 0),
        in_reply_to=("parent.8@example.com",),
        references=(
            "root.1@example.com",
            "bare.2@example.com",
            "parent.8@example.com",
            "two.halves@example.com",
        ),
    ),
}


def sample(name: str) -> bytes:
    return header_block((EML_DIR / name).read_bytes())


def test_every_sample_has_expectations() -> None:
    assert sorted(path.name for path in EML_DIR.glob("*.eml")) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample(name: str) -> None:
    expected = SAMPLES[name]
    meta = parse(sample(name))
    if expected.message_id == SYNTHETIC:
        assert meta.synthetic_id
        assert meta.message_id.startswith("synthetic.") and meta.message_id.endswith("@shared-inbox.invalid")
    else:
        assert not meta.synthetic_id
        assert meta.message_id == expected.message_id
    assert note_subjects(meta) == expected.notes, meta.header_notes
    for field in fields(Expected):
        if field.name not in ("message_id", "notes"):
            assert getattr(meta, field.name) == getattr(expected, field.name), field.name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_line_endings_and_body_do_not_change_the_result(name: str) -> None:
    whole = (EML_DIR / name).read_bytes()
    lf = whole.replace(b"\r\n", b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    results = [
        parse(header_block(lf)),
        parse(header_block(crlf)),
        parse(crlf),
        parse(header_block(lf).rstrip()),
    ]
    assert all(result == results[0] for result in results[1:])


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_string_in_a_sample_result_is_clean(name: str) -> None:
    assert_clean(parse(sample(name)))


def assert_clean(meta: MessageMeta) -> None:
    addresses = (meta.sender, *meta.to, *meta.cc, *meta.reply_to)
    strings = [meta.message_id, meta.subject, *meta.in_reply_to, *meta.references, *meta.header_notes]
    strings += [part for address in addresses for part in (address.name, address.email)]
    for text in strings:
        assert not FORBIDDEN_CHARS.intersection(text), ascii(text)
        assert "\n" not in text and "\r" not in text and "\t" not in text
    for address in addresses:
        assert address.email == address.email.lower()
    for mid in (meta.message_id, *meta.in_reply_to, *meta.references):
        assert mid and not any(ch.isspace() for ch in mid) and "<" not in mid and ">" not in mid
    assert meta.date.tzinfo is UTC


# -- byte-level cases: input bytes -> the fields that matter for that input ------------------

BYTE_CASES: list[tuple[str, bytes, dict[str, object]]] = [
    ("empty block", b"", {"subject": "", "sender": A("", ""), "synthetic_id": True, "date": ARRIVAL}),
    ("only a blank line", b"\r\n", {"synthetic_id": True, "to": ()}),
    ("id without brackets", b"Message-ID: abc.123@example.com\r\n", {"message_id": "abc.123@example.com"}),
    ("id with spaces and comment", b"Message-ID:  < abc@x >  (sent by x)\r\n", {"message_id": "abc@x"}),
    ("id of a bare word is garbage", b"Message-ID: garbage\r\n", {"synthetic_id": True}),
    ("empty brackets are garbage", b"Message-ID: <>\r\n", {"synthetic_id": True}),
    ("second id used when first unusable", b"Message-ID: <>\r\nMessage-ID: <b@x>\r\n", {"message_id": "b@x"}),
    ("id without at-sign in brackets", b"Message-ID: <1234567890>\r\n", {"message_id": "1234567890"}),
    (
        "self reference dropped",
        b"Message-ID: <me@x>\r\nReferences: <a@x> <me@x> <b@x> <a@x>\r\nIn-Reply-To: <me@x>\r\n",
        {"references": ("a@x", "b@x"), "in_reply_to": ()},
    ),
    (
        "in-reply-to junk text",
        b'In-Reply-To: Your message of "Mon, 4 Mar 2024" (ref <x@y>) <p@x>\r\n',
        {"in_reply_to": ("p@x",)},
    ),
    ("reference id too long", b"References: <" + b"a" * 999 + b"@x> <ok@x>\r\n", {"references": ("ok@x",)}),
    (
        "naive date taken as UTC",
        b"Date: Mon, 4 Mar 2024 10:00:00 -0000\r\n",
        {"date": utc(2024, 3, 4, 10, 0)},
    ),
    (
        "unknown zone taken as UTC",
        b"Date: Mon, 4 Mar 2024 10:00:00 XYZ\r\n",
        {"date": utc(2024, 3, 4, 10, 0)},
    ),
    ("zone converted", b"Date: Mon, 4 Mar 2024 23:30:00 -0330\r\n", {"date": utc(2024, 3, 5, 3, 0)}),
    ("iso date tolerated", b"Date: 2024-03-04T10:00:00+01:00\r\n", {"date": utc(2024, 3, 4, 9, 0)}),
    ("date before 1990", b"Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n", {"date": ARRIVAL}),
    ("date far in the future", b"Date: Fri, 1 Jan 2100 00:00:00 +0000\r\n", {"date": ARRIVAL}),
    (
        "date 1 day ahead is fine",
        b"Date: Sat, 9 Mar 2024 12:00:00 +0000\r\n",
        {"date": utc(2024, 3, 9, 12, 0)},
    ),
    ("day out of range", b"Date: Mon, 32 Jan 2024 10:00:00 +0000\r\n", {"date": ARRIVAL}),
    ("offset out of range", b"Date: Mon, 1 Jan 2024 10:00:00 +9999\r\n", {"date": ARRIVAL}),
    ("token header", b"X-Shared-Inbox-Conversation: k3x9q2\r\n", {"token": "k3x9q2"}),
    ("token header with spaces", b"X-Shared-Inbox-Conversation:   k3x9q2  \r\n", {"token": "k3x9q2"}),
    ("token header upper case", b"X-Shared-Inbox-Conversation: K3X9Q2\r\n", {"token": None}),
    ("token header too long", b"X-Shared-Inbox-Conversation: " + b"a" * 33 + b"\r\n", {"token": None}),
    (
        "token header wins over id",
        b"Message-ID: <si.aaaa.1@x>\r\nX-Shared-Inbox-Conversation: bbbb\r\n",
        {"token": "bbbb"},
    ),
    (
        "invalid header falls back to id",
        b"Message-ID: <si.aaaa.1@x>\r\nx-shared-inbox-conversation: !\r\n",
        {"token": "aaaa"},
    ),
    ("token in a reference is not ours", b"References: <si.aaaa.1@x>\r\n", {"token": None}),
    ("multipart/mixed", b"Content-Type: Multipart/Mixed; boundary=x\r\n", {"has_attachments": True}),
    (
        "multipart/alternative",
        b"Content-Type: multipart/alternative; boundary=x\r\n",
        {"has_attachments": False},
    ),
    ("ms attach yes", b"X-MS-Has-Attach: Yes\r\n", {"has_attachments": True}),
    ("ms attach empty", b"X-MS-Has-Attach:\r\nContent-Type: text/plain\r\n", {"has_attachments": False}),
    (
        "disposition attachment",
        b"Content-Disposition: attachment; filename=a.pdf\r\n",
        {"has_attachments": True},
    ),
    ("from missing uses sender", b"Sender: Bot <bot@x>\r\n", {"sender": A("Bot", "bot@x")}),
    (
        "from empty uses return-path",
        b"From: <>\r\nReturn-Path: <bounce@x>\r\n",
        {"sender": A("", "bounce@x")},
    ),
    ("null sender keeps the name", b"From: Mailer Daemon <>\r\n", {"sender": A("Mailer Daemon", "")}),
    ("name equal to address dropped", b"From: a@x.org <A@X.org>\r\n", {"sender": A("", "a@x.org")}),
    ("several from addresses", b"From: a@x, b@y\r\n", {"sender": A("", "a@x")}),
    ("empty group", b"To: undisclosed-recipients:;\r\n", {"to": ()}),
    (
        "duplicates in to and cc",
        b"To: a@x, A@X\r\nCc: b@y\r\nCc: b@y, c@z\r\n",
        {"to": (A("", "a@x"),), "cc": (A("", "b@y"), A("", "c@z"))},
    ),
    (
        "header names are case-insensitive",
        b"SUBJECT: loud\r\nfrom: quiet@x\r\n",
        {"subject": "loud", "sender": A("", "quiet@x")},
    ),
    (
        "mbox From_ line is skipped",
        b"From someone@x Mon Mar  4 10:00:00 2024\r\nSubject: s\r\n",
        {"subject": "s"},
    ),
    ("unknown charset", b"Subject: =?x-unknown?q?caf=E9?=\r\n", {"subject": "caf\ufffd"}),
    ("base64 without padding", b"Subject: =?utf-8?b?QUJ?=\r\n", {"subject": "AB"}),
    ("invalid utf-8 in encoded word", b"Subject: =?utf-8?q?bad=FF?=\r\n", {"subject": "bad\ufffd"}),
    ("nul byte", b"Subject: a\x00b\r\n", {"subject": "ab"}),
    ("raw utf-8 subject", "Subject: Grüße\r\n".encode(), {"subject": "Grüße"}),
    ("continuation before first header", b" folded\r\nSubject: s\r\n", {"subject": "s"}),
    (
        "non-header line ends the block",
        b"Subject: s\r\nthis is not a header\r\nFrom: late@x\r\n",
        {"sender": A("", "")},
    ),
    (
        "flags, size and location passed through",
        b"Subject: s\r\n",
        {"size": 1234, "flags": frozenset({"\\Seen"})},
    ),
    ("sent folder makes it outgoing", b"From: someone@x\r\n", {"outgoing": True}),
]
BYTE_CASE_KWARGS: dict[str, dict[str, object]] = {
    "flags, size and location passed through": {
        "size": 1234,
        "flags": ["\\Seen"],
        "location": Location("INBOX", 7, 42),
    },
    "sent folder makes it outgoing": {"sent_folder": True},
}


@pytest.mark.parametrize(("label", "raw", "expected"), BYTE_CASES, ids=[case[0] for case in BYTE_CASES])
def test_byte_level(label: str, raw: bytes, expected: dict[str, object]) -> None:
    meta = parse(raw, **BYTE_CASE_KWARGS.get(label, {}))
    assert_clean(meta)
    for name, value in expected.items():
        assert getattr(meta, name) == value, name


def test_location_is_recorded() -> None:
    location = Location("INBOX", 7, 42)
    assert parse(b"Subject: s\r\n", location=location).locations == (location,)
    assert parse(b"Subject: s\r\n").locations == ()


def date_notes(meta: MessageMeta) -> list[str]:
    return [note for note in meta.header_notes if note.startswith("Date:")]


def test_notes_explain_date_fallbacks() -> None:
    assert date_notes(parse(b"Subject: s\r\n")) == ["Date: missing; used the server's arrival time"]
    assert date_notes(parse(b"Date: soon\r\n")) == ["Date: unparseable; used the server's arrival time"]
    no_arrival = parse_header_block(b"Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n")
    assert no_arrival.date == EPOCH
    assert date_notes(no_arrival) == ["Date: implausible and no arrival time known; used 1970-01-01"]
    assert date_notes(parse(b"Date: Mon, 4 Mar 2024 10:00:00 +0000\r\n")) == []


def test_date_without_arrival_time_is_kept_even_far_ahead() -> None:
    meta = parse_header_block(b"Date: Fri, 1 Jan 2100 00:00:00 +0000\r\n")
    assert meta.date == utc(2100, 1, 1)


def test_naive_or_foreign_arrival_time_is_normalized_to_utc() -> None:
    naive = parse(b"", internal_date=datetime(2024, 3, 8, 12, 0))
    assert naive.date == ARRIVAL and naive.date.tzinfo is UTC
    berlin = parse(b"", internal_date=datetime(2024, 3, 8, 13, 0, tzinfo=timezone(timedelta(hours=1))))
    assert berlin.date == ARRIVAL and berlin.date.tzinfo is UTC


def test_our_addresses_compare_case_insensitively() -> None:
    raw = b"From: Team <Support@Example.COM>\r\n"
    assert parse(raw, our_addresses=frozenset({"SUPPORT@example.com"})).outgoing
    assert not parse(raw, our_addresses=frozenset({"other@example.com"})).outgoing
    assert not parse(b"From: <>\r\n", our_addresses=frozenset({""})).outgoing


# -- references ---------------------------------------------------------------------------------


def test_long_references_keep_the_root_and_the_latest() -> None:
    ids = [f"<id{i}@x>" for i in range(150)]
    meta = parse(("References: " + "\r\n ".join(ids) + "\r\n").encode())
    assert len(meta.references) == 100
    assert meta.references[0] == "id0@x"
    assert meta.references[1:] == tuple(f"id{i}@x" for i in range(51, 150))
    assert "References" in note_subjects(meta)


def test_references_folded_inside_an_id_are_joined() -> None:
    meta = parse(b"References: <first@x> <sec\r\n ond@x>\r\n")
    assert meta.references == ("first@x", "second@x")


# -- synthetic ids ------------------------------------------------------------------------------

WITHOUT_ID = b"From: a@x\r\nTo: b@y\r\nSubject: hello\r\nDate: Mon, 4 Mar 2024 10:00:00 +0000\r\n"


def test_synthetic_id_is_deterministic_across_copies() -> None:
    inbox = parse(WITHOUT_ID + b"\r\n", location=Location("INBOX", 1, 5))
    sent = parse(
        WITHOUT_ID, location=Location("Sent", 9, 77), sent_folder=True, internal_date=ARRIVAL + timedelta(1)
    )
    assert inbox.synthetic_id and sent.synthetic_id
    assert inbox.message_id == sent.message_id
    assert len(inbox.message_id.split("@")[0]) == len("synthetic.") + 24 + 1 + 16


@pytest.mark.parametrize(
    "changed",
    [
        WITHOUT_ID.replace(b"hello", b"hello!"),
        WITHOUT_ID.replace(b"a@x", b"c@x"),
        WITHOUT_ID.replace(b"b@y", b"d@y"),
        WITHOUT_ID.replace(b"10:00:00", b"10:00:01"),
        WITHOUT_ID + b"X-Other: 1\r\n",
    ],
)
def test_synthetic_id_changes_with_the_headers(changed: bytes) -> None:
    assert parse(changed).message_id != parse(WITHOUT_ID).message_id


WITHOUT_ID_DIR = EML_DIR / "without_message_id"  # CPython's test_email msg_08..msg_12


def test_messages_alike_in_every_header_get_ids_of_their_own() -> None:
    raws = [path.read_bytes() for path in sorted(WITHOUT_ID_DIR.glob("*.eml"))]
    metas = [parse(header_block(raw), size=len(raw)) for raw in raws]
    assert len(raws) == 5 and all(meta.synthetic_id for meta in metas)
    assert len({meta.message_id for meta in metas}) == len(raws)
    texts = {
        with_text(m.message_id, message_text(r), size=len(r), complete=True)
        for m, r in zip(metas, raws, strict=True)
    }
    assert len(texts) == len(raws)


def test_alike_messages_of_one_size_are_told_apart_by_their_text() -> None:
    first, second = (
        WITHOUT_ID + b"\r\nOrder 1001 arrived broken.\r\n",
        WITHOUT_ID + b"\r\nOrder 1002 arrived broken.\r\n",
    )
    one, two = (parse(header_block(raw), size=len(raw)) for raw in (first, second))
    assert one.message_id == two.message_id  # the headers and the size cannot tell them apart
    by_text = {
        with_text(one.message_id, message_text(raw), size=len(raw), complete=True) for raw in (first, second)
    }
    assert len(by_text) == 2


def test_the_text_gives_copies_of_one_message_one_id_whatever_their_trace_headers() -> None:
    text = b"Hello,\r\nmy order did not arrive.\r\n"
    stored = parse(WITHOUT_ID, size=700).message_id
    copy = parse(WITHOUT_ID, size=812, location=Location("Sent", 9, 77), sent_folder=True).message_id
    assert stored != copy  # sizes differ by a Received line the Sent copy lacks
    assert with_text(stored, text, size=700, complete=True) == with_text(
        copy, text.replace(b"\r\n", b"\n"), size=812, complete=True
    )
    assert with_text(stored, text, size=700, complete=False) != with_text(
        copy, text, size=812, complete=False
    )
    assert with_text("m1@example.com", text, size=700, complete=True) == "m1@example.com"


def test_an_id_stored_by_earlier_versions_is_still_known() -> None:
    earlier = (
        "synthetic.c281af9a795e9f65e0b8d7a5@shared-inbox.invalid"  # what WITHOUT_ID got before sizes counted
    )
    for size in (0, 120, 9000):
        meta = parse(WITHOUT_ID, size=size)
        assert header_only_form(meta.message_id) == earlier
        assert header_only_form(with_text(meta.message_id, b"text", size=size, complete=True)) == earlier
    assert header_only_form(earlier) is None and header_only_form("m1@example.com") is None


# -- our Message-ID format -----------------------------------------------------------------------

tokens = st.from_regex(r"[a-z0-9]{1,32}", fullmatch=True)
rands = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
domains = st.sampled_from(["example.com", "mail.example.co.uk", "localhost", "xn--bcher-kva.example"])


@given(tokens, domains, rands)
def test_message_id_round_trip(token: str, domain: str, rand: str) -> None:
    mid = make_message_id(token, domain, rand)
    assert mid == f"si.{token}.{rand}@{domain}"
    assert token_from_message_id(mid) == token
    assert token_from_message_id(f"<{mid}>") == token
    assert parse(f"Message-ID: <{mid}>\r\n".encode()).token == token


@pytest.mark.parametrize(
    ("token", "domain", "rand"),
    [
        ("", "example.com", "r"),
        ("UPPER", "example.com", "r"),
        ("a" * 33, "example.com", "r"),
        ("tok.en", "example.com", "r"),
        ("token", "example.com", ""),
        ("token", "example.com", "a@b"),
        ("token", "example.com", "with space"),
        ("token", "exa mple.com", "r"),
        ("token", "example.com>\r\nBcc: x", "r"),
        ("token", "", "r"),
    ],
)
def test_make_message_id_rejects_parts_that_would_not_round_trip(token: str, domain: str, rand: str) -> None:
    with pytest.raises(ValueError):
        make_message_id(token, domain, rand)


@pytest.mark.parametrize(
    "mid",
    [
        "CAHx7Lz@mail.gmail.com",
        "si.@x",
        "si.token@x",
        "si.TOKEN.r@x",
        "si.tok.r",
        "xsi.tok.r@x",
        "si.tok.r@x@y",
        "",
    ],
)
def test_foreign_message_ids_carry_no_token(mid: str) -> None:
    assert token_from_message_id(mid) is None


# -- the fast paths agree with the strict parser ---------------------------------------------------

name_words = st.text(st.sampled_from("abcXYZ019.'!#&*+-=?^_`{|}~éßЖ\u00a0\x85\u202e"), min_size=1, max_size=6)
addr_atoms = st.text(st.sampled_from("abcXYZ019!#&'*+-/=?^_`{|}~"), min_size=1, max_size=5)
addr_specs = st.builds(lambda a, b, c: f"{a}@{b}.{c}", addr_atoms, addr_atoms, addr_atoms)
blanks = st.sampled_from(["", " ", "  ", "\t"])
mailboxes = st.one_of(
    st.builds(lambda s, a, e: f"{s}{a}{e}", blanks, addr_specs, blanks),
    st.builds(
        lambda s, n, m, a, e: f"{s}{' '.join(n)}{m}<{a}>{e}",
        blanks, st.lists(name_words, max_size=3), blanks, addr_specs, blanks,
    ),
)  # fmt: skip


@given(st.lists(mailboxes, min_size=1, max_size=4).map(",".join))
@settings(max_examples=300)
def test_simple_address_lists_read_like_the_strict_parser(value: str) -> None:
    simple = simple_address_pairs(value)
    if simple is None:
        return
    notes: list[str] = []
    try:
        strict = strict_address_pairs("To", value, notes)
    except Exception:  # a known crash of the strict parser (e.g. a name ending in "."), not our concern
        assume(False)
    assert notes == []
    assert [(clean_line(n), a.lower()) for n, a in simple] == [(clean_line(n), a.lower()) for n, a in strict]


@given(st.text(max_size=60).filter(lambda text: "=?" not in text))
def test_subject_without_encoded_words_reads_like_the_strict_parser(value: str) -> None:
    assert clean_line(str(policy.default.header_factory("subject", value))) == clean_line(value)


def test_simple_address_path_declines_anything_unusual() -> None:
    for value in [
        '"Quoted" <a@x>',
        "a@x (comment)",
        "Group: a@x;",
        "=?utf-8?q?x?= <a@x>",
        "a@[1.2.3.4]",
        "a@x,",
        "",
    ]:
        assert simple_address_pairs(value) is None, value


# -- never raises --------------------------------------------------------------------------------

HEADER_NAMES = [
    b"From", b"To", b"Cc", b"Reply-To", b"Sender", b"Return-Path", b"Subject", b"Date", b"Message-ID",
    b"In-Reply-To", b"References", b"Content-Type", b"Content-Disposition", b"X-MS-Has-Attach",
    b"X-Shared-Inbox-Conversation", b"Received", b"", b"From ",
]  # fmt: skip
VALUE_PIECES = [
    b"<", b">", b"@", b",", b";", b":", b'"', b"(", b")", b"\\", b"=?", b"?=", b"?q?", b"?b?", b"utf-8",
    b"x-bad", b"=FF", b"=0D=0A", b"\r\n", b"\r\n ", b"\n", b"\r", b" ", b"\t", b"\x00", b"\x1b[2J", b"\xe9",
    b"\xc3\xa9", b"\xff\xfe", b"Mon, 4 Mar 2024 10:00:00 +0000", b"a@example.com", b"multipart/mixed",
    b"si.abc.1@x", b"[",
]  # fmt: skip
header_values = st.lists(st.one_of(st.sampled_from(VALUE_PIECES), st.binary(max_size=6)), max_size=12).map(
    b"".join
)
header_lines = st.tuples(st.sampled_from(HEADER_NAMES), header_values).map(
    lambda hv: hv[0] + b": " + hv[1] + b"\r\n"
)
structured_blocks = st.lists(header_lines, max_size=12).map(b"".join)


def check_never_raises(raw: bytes) -> None:
    first = parse(raw)
    assert isinstance(first, MessageMeta)
    assert_clean(first)
    assert "header block could not be parsed" not in " ".join(first.header_notes)
    assert parse(raw) == first


@given(st.binary(max_size=400))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_random_bytes_never_raise(raw: bytes) -> None:
    check_never_raises(raw)


@given(structured_blocks)
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_header_shaped_garbage_never_raises(raw: bytes) -> None:
    check_never_raises(raw)


@given(st.sampled_from(sorted(SAMPLES)), st.randoms(use_true_random=False), st.integers(1, 8))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_samples_never_raise(name: str, rng: random.Random, mutations: int) -> None:
    raw = bytearray(sample(name))
    for _ in range(mutations):
        position = rng.randrange(len(raw) + 1)
        action = rng.choice(["insert", "delete", "replace"])
        piece = rng.choice(VALUE_PIECES + [bytes([rng.randrange(256)])])
        if action == "insert":
            raw[position:position] = piece
        elif action == "delete":
            del raw[position : position + rng.randrange(1, 20)]
        else:
            raw[position : position + len(piece)] = piece
    check_never_raises(bytes(raw))


def test_huge_values_are_bounded() -> None:
    many = ", ".join(f"user{i}@example.com" for i in range(5000))
    raw = f"To: {many}\r\nSubject: {'x' * 50_000}\r\n".encode()
    meta = parse(raw)
    assert len(meta.to) == 200
    assert len(meta.subject) == 1000
    assert {"To", "Subject"} <= note_subjects(meta)


@pytest.mark.parametrize(
    "value",
    [
        b"(" * 20_000 + b"a@b",
        b")" * 20_000,
        b'"a' * 15_000,
        b"," * 30_000,
        b"a " * 20_000 + b"<a@b>",
        b"@" * 40_000,
    ],
)
def test_pathological_address_headers_degrade_gracefully(value: bytes) -> None:
    check_never_raises(b"From: " + value + b"\r\nTo: " + value + b"\r\nCc: x@y, " + value + b"\r\n")


def test_long_address_lists_with_quoted_names_are_read_fully() -> None:
    recipients = ", ".join(f'"Last{i}, First" <user{i}@example.com>' for i in range(60))
    assert len(recipients) > 1024
    meta = parse(f"To: {recipients}\r\n".encode())
    assert meta.to == tuple(A(f"Last{i}, First", f"user{i}@example.com") for i in range(60))
    assert "To" not in note_subjects(meta)


def test_unexpected_failure_still_yields_a_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(raw: bytes) -> object:
        raise RuntimeError("Subject: secret-looking content")

    monkeypatch.setattr(headers_module, "_read_headers", explode)
    raw = b"Subject: secret-looking content\r\n"
    with caplog.at_level(logging.WARNING):
        meta = parse(raw, flags=iter(["\\Seen"]), size=10, location=Location("INBOX", 1, 2))
    assert meta.synthetic_id and meta.message_id == parse(raw, size=10).message_id
    assert meta.date == ARRIVAL
    assert (
        meta.flags == frozenset({"\\Seen"})
        and meta.size == 10
        and meta.locations == (Location("INBOX", 1, 2),)
    )
    assert meta.header_notes == ("header block could not be parsed; only the arrival time is known",)
    assert "secret-looking" not in caplog.text
    assert "RuntimeError" in caplog.text
