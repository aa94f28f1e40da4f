"""The fast FETCH reader: raw server answers in, exactly imapclient's `fetch` shape out."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from imapclient import IMAPClient
from imapclient.datetime_util import parse_to_datetime
from imapclient.exceptions import IMAPClientError, ProtocolError
from imapclient.response_parser import parse_fetch_response
from imapclient.response_types import Envelope

from shared_inbox.imap import fast_fetch
from shared_inbox.imap.fast_fetch import (
    FetchItems,
    InternalDates,
    UnrecognisedResponse,
    fetch_headers,
    parse_fetch_items,
    reference_parse,
)

Records = list[Any]  # imaplib's records; some tests hand over deliberately wrong ones
FIELDS = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"
HEADER = b"From: Ann <ann@customer.test>\r\nSubject: Order 12 (late)\r\n\r\n"
DATE = b"01-Aug-2026 00:26:08 +0000"
TRICKY = b'Subject: ) " {5} NIL\r\n\r\n'


def zone(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


def imapclient_reading(records: Records, normalise_times: bool = False) -> FetchItems:
    return dict(parse_fetch_response(records, normalise_times, True))


# (name, imaplib records, expected result with normalise_times=False)
TABLE = [
    (
        "dovecot order with a header literal",
        [
            (
                b'1 (UID 5 FLAGS (\\Seen) INTERNALDATE "' + DATE + b'" RFC822.SIZE 1267 '
                + FIELDS + b" {%d}" % len(HEADER),
                HEADER,
            ),
            b")",
        ],
        {5: {b"SEQ": 1, b"FLAGS": (b"\\Seen",),
             b"INTERNALDATE": datetime(2026, 8, 1, 0, 26, 8, tzinfo=zone(0)),
             b"RFC822.SIZE": 1267, FIELDS: HEADER}},
    ),
    (
        "weird spacing and tabs",
        [b'7 (  UID\t42   FLAGS (  \\Answered  \\Seen )\tRFC822.SIZE  0 '
         b'INTERNALDATE " 2-Jan-2025 23:59:59 -0830" )'],
        {42: {b"SEQ": 7, b"FLAGS": (b"\\Answered", b"\\Seen"), b"RFC822.SIZE": 0,
              b"INTERNALDATE": datetime(2025, 1, 2, 23, 59, 59, tzinfo=zone(-8, -30))}},
    ),
    (
        "INTERNALDATE sent as a literal",
        [(b"3 (UID 9 INTERNALDATE {26}", b"17-Jul-1996 02:44:25 -0700"), b" FLAGS ())"],
        {9: {b"SEQ": 3, b"INTERNALDATE": datetime(1996, 7, 17, 2, 44, 25, tzinfo=zone(-7)), b"FLAGS": ()}},
    ),
    (
        "empty header block, as a literal and as a quoted string, and NIL",
        [(b"1 (UID 1 " + FIELDS + b" {0}", b""), b")",
         b'2 (UID 2 ' + FIELDS + b' "")',
         b"3 (UID 3 " + FIELDS + b" NIL)"],
        {1: {b"SEQ": 1, FIELDS: b""}, 2: {b"SEQ": 2, FIELDS: b""}, 3: {b"SEQ": 3, FIELDS: None}},
    ),
    (
        "flags with keywords, \\* and a numeric keyword",
        [b"4 (FLAGS (\\Seen $Forwarded Junk \\* $label1 NonJunk 12 0123) UID 11)"],
        {11: {b"SEQ": 4,
              b"FLAGS": (b"\\Seen", b"$Forwarded", b"Junk", b"\\*", b"$label1", b"NonJunk", 12, b"0123")}},
    ),
    (
        "field list echoed in another order and case",
        [(b"1 (UID 8 body[header.fields (subject from)] {%d}" % len(HEADER), HEADER), b")"],
        {8: {b"SEQ": 1, b"BODY[HEADER.FIELDS (SUBJECT FROM)]": HEADER}},
    ),
    (
        "quoted strings with escapes",
        [b'1 (UID 2 ' + FIELDS + rb' "say \"hi\" \\ and \q" X-EXTRA "(not a list)")'],
        {2: {b"SEQ": 1, FIELDS: b'say "hi" \\ and \\q', b"X-EXTRA": b"(not a list)"}},
    ),
    (
        "a header literal holding parentheses, quotes and a literal marker",
        [(b"1 (UID 3 " + FIELDS + b" {%d}" % len(TRICKY), TRICKY), b" RFC822.SIZE 10)"],
        {3: {b"SEQ": 1, FIELDS: TRICKY, b"RFC822.SIZE": 10}},
    ),
    (
        "MODSEQ and several literals in one response",
        [(b"2 (UID 6 MODSEQ (123456789012) " + FIELDS + b" {4}", b"a\r\n\r"),
         (b" X-TWO {2}", b"()"),
         b" FLAGS ())"],
        {6: {b"SEQ": 2, b"MODSEQ": (123456789012,), FIELDS: b"a\r\n\r", b"X-TWO": b"()", b"FLAGS": ()}},
    ),
    (
        "unsolicited flag update for the same message is merged",
        [b"5 (UID 20 FLAGS () RFC822.SIZE 99)", b"5 (UID 20 FLAGS (\\Deleted))"],
        {20: {b"SEQ": 5, b"FLAGS": (b"\\Deleted",), b"RFC822.SIZE": 99}},
    ),
    (
        "unparseable and NIL dates",
        [b'1 (UID 1 INTERNALDATE "31-Feb-2026 10:00:00 +0000")', b"2 (UID 2 INTERNALDATE NIL)"],
        {1: {b"SEQ": 1, b"INTERNALDATE": None}, 2: {b"SEQ": 2, b"INTERNALDATE": None}},
    ),
    ("no FETCH responses at all", [None], {}),
]  # fmt: skip


@pytest.mark.parametrize(("records", "expected"), [c[1:] for c in TABLE], ids=[c[0] for c in TABLE])
def test_table_of_server_answers(records: Records, expected: FetchItems) -> None:
    parsed = parse_fetch_items(records, normalise_times=False)
    assert parsed == expected
    assert parsed == imapclient_reading(records)
    assert [list(item) for item in parsed.values()] == [list(item) for item in expected.values()]


def test_dates_are_naive_local_time_when_normalised(utc_plus_three: None) -> None:
    records = [
        b'1 (UID 1 INTERNALDATE "01-Aug-2026 22:26:08 -0200")',
        b'2 (UID 2 INTERNALDATE "01-Aug-2026 00:00:00 -0000")',
    ]
    parsed = parse_fetch_items(records)
    assert parsed[1][b"INTERNALDATE"] == datetime(2026, 8, 2, 3, 26, 8)
    assert parsed[2][b"INTERNALDATE"] == datetime(2026, 8, 1, 3, 0, 0)  # "-0000" is read as UTC
    assert parsed == imapclient_reading(records, normalise_times=True)


def test_a_response_without_uid_is_skipped() -> None:
    # imapclient would key this by its sequence number, mixing it up with UID 3.
    records = [b"3 (FLAGS (\\Deleted))", b"1 (UID 3 FLAGS ())"]
    assert parse_fetch_items(records) == {3: {b"SEQ": 1, b"FLAGS": ()}}


UNRECOGNISED = [
    ("ENVELOPE", [b'1 (UID 1 ENVELOPE (NIL "hi" NIL NIL NIL NIL NIL NIL NIL NIL))']),
    ("BODYSTRUCTURE", [b'1 (UID 1 BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 0 0))']),
    ("percent sign", [b"1 (UID 1 FLAGS (%))"]),
    ("control character", [b"1 (UID 1 FLAGS (\x01))"]),
    ("quote glued to an atom", [b'1 (UID 1 X-A a"b")']),
    ("unterminated quote", [b'1 (UID 1 X-A "abc)']),
    ("unclosed section", [b"1 (UID 1 BODY[HEADER NIL)"]),
    ("literal length differs", [(b"1 (UID 1 X-A {5}", b"abc"), b")"]),
    ("literal marker mid-line", [b"1 (UID 1 X-A {3} X-B 1)"]),
    ("zero-padded sequence number", [b"01 (UID 1)"]),
    ("quoted UID", [b'1 (UID "5")']),
    ("odd number of items", [b"1 (UID 1 FLAGS)"]),
    ("item name is a number", [b"1 (UID 1 5 6)"]),
    ("unbalanced close", [b"1 (UID 1))"]),
    ("ends inside a message", [b"1 (UID 1 FLAGS (\\Seen"]),
    ("two numbers before the list", [b"1 2 (UID 1)"]),
    ("record of an unknown type", [b"1 (UID 1)", 42]),
    ("number too long for int()", [b"1 (UID 1 RFC822.SIZE " + b"9" * 5000 + b")"]),
]


@pytest.mark.parametrize("records", [c[1] for c in UNRECOGNISED], ids=[c[0] for c in UNRECOGNISED])
def test_unusual_answers_go_to_imapclient(records: Records) -> None:
    with pytest.raises(UnrecognisedResponse):
        parse_fetch_items(records)
    with contextlib.suppress(ProtocolError):  # malformed ones: imapclient's error type, nothing else
        reference_parse(records)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ProtocolError):
        parse_fetch_items([b"1 (UID 1 X-A " + b"(" * 10_000 + b")" * 10_000 + b")"])


def test_deep_nesting_in_imapclient_is_reported_as_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        reference_parse([b"1 (UID 1 X-A " + b"(" * 100_000])


@pytest.mark.parametrize("filler", [b'"\\', b"[", b"a\x01", b'\\"', b" "], ids=repr)
def test_long_hostile_lines_are_read_in_linear_time(filler: bytes) -> None:
    # Quadratic scanning of half a million bytes would not finish within the test timeout.
    line = b"1 (UID 1 X-A " + filler * (500_000 // len(filler))
    with pytest.raises((UnrecognisedResponse, ProtocolError)):
        parse_fetch_items([line])


@given(st.lists(st.one_of(st.binary(max_size=60), st.tuples(st.binary(max_size=40), st.binary(max_size=10)))))
def test_junk_never_raises_anything_but_the_documented_errors(records: Records) -> None:
    for reader in (parse_fetch_items, reference_parse):
        with contextlib.suppress(UnrecognisedResponse, ProtocolError):
            reader(records)


# -- generated well-formed answers: both parsers must agree ------------------------------

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SYSTEM_FLAGS = [b"\\Seen", b"\\Answered", b"\\Flagged", b"\\Deleted", b"\\Draft", b"\\Recent", b"\\*"]
HEADER_NAMES = [b"FROM", b"TO", b"CC", b"SUBJECT", b"DATE", b"MESSAGE-ID", b"REFERENCES", b"IN-REPLY-TO"]


class Literal(bytes):
    """A value the server sends as {n} followed by the bytes."""


@st.composite
def imap_dates(draw: st.DrawFn) -> bytes:
    day = draw(st.integers(1, 31))
    day_text = draw(st.sampled_from([b"%2d", b"%02d", b"%d"])) % day
    month = draw(st.sampled_from(MONTHS)).encode()
    clock = (draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59)))
    sign = draw(st.sampled_from([b"+", b"-"]))
    offset = (draw(st.integers(0, 14)), draw(st.sampled_from([0, 15, 30, 45])))
    year = draw(st.integers(1970, 2100))
    return b"%s-%s-%04d %02d:%02d:%02d %s%02d%02d" % (day_text, month, year, *clock, sign, *offset)


def quoted(content: bytes) -> bytes:
    return b'"' + content.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


printable = st.binary(max_size=30).map(lambda b: bytes(c for c in b if 32 <= c < 127))
keywords = st.from_regex(rb"[A-Za-z$][A-Za-z0-9$_.+-]{0,10}|[1-9][0-9]{0,3}", fullmatch=True)
flag_lists = st.lists(st.one_of(st.sampled_from(SYSTEM_FLAGS), keywords), max_size=6)
# Quoted strings as servers may write them, odd escapes ("\q" keeps its backslash) included.
raw_quoted = st.lists(st.sampled_from([b"a", b" ", b"\\\\", b'\\"', b"\\q", b"(", b")", b"{3}", b"NIL"])).map(
    lambda parts: b'"' + b"".join(parts) + b'"'
)
header_values = st.one_of(
    st.binary(max_size=200).map(Literal),
    printable.map(quoted),
    raw_quoted,
    st.just(b"NIL"),
    st.just(Literal(b"")),
)
date_values = st.one_of(imap_dates().map(quoted), imap_dates().map(Literal), st.just(b"NIL"))


@st.composite
def fetch_responses(draw: st.DrawFn) -> list[bytes]:
    """One untagged FETCH response as pieces: atoms/lists as bytes, literals as Literal."""
    fields = draw(st.permutations(HEADER_NAMES))[: draw(st.integers(1, len(HEADER_NAMES)))]
    items = [(b"UID", b"%d" % draw(st.integers(1, 6)))]
    if draw(st.booleans()):
        items.append((b"FLAGS", b"(" + b" ".join(draw(flag_lists)) + b")"))
    if draw(st.booleans()):
        items.append((b"INTERNALDATE", draw(date_values)))
    if draw(st.booleans()):
        items.append((b"RFC822.SIZE", b"%d" % draw(st.integers(0, 2**40))))
    if draw(st.booleans()):
        items.append((b"BODY[HEADER.FIELDS (" + b" ".join(fields) + b")]", draw(header_values)))
    if draw(st.booleans()):
        items.append((b"MODSEQ", b"(%d)" % draw(st.integers(1, 2**63))))
    items = draw(st.permutations(items))
    space = st.sampled_from([b" ", b" ", b"  ", b"\t"])
    pieces: list[bytes] = [b"%d (" % draw(st.integers(1, 10**6)), draw(st.sampled_from([b"", b" "]))]
    for index, (name, value) in enumerate(items):
        if index:
            pieces.append(draw(space))
        pieces += [name.lower() if draw(st.booleans()) else name, draw(space), value]
    pieces.append(draw(st.sampled_from([b")", b" )"])))
    return pieces


def imaplib_records(responses: list[list[bytes]]) -> Records:
    """Split responses the way imaplib does: a record ends at each literal and each line end."""
    records: Records = []
    for pieces in responses:
        text = b""
        for piece in pieces:
            if isinstance(piece, Literal):
                records.append((text + b"{%d}" % len(piece), bytes(piece)))
                text = b""
            else:
                text += piece
        records.append(text)
    return records


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fetch_responses(), min_size=1, max_size=6), st.booleans())
def test_agrees_with_imapclient_on_well_formed_answers(responses: list[list[bytes]], normalise: bool) -> None:
    records = imaplib_records(responses)
    parsed = parse_fetch_items(records, normalise_times=normalise)
    reference = imapclient_reading(records, normalise_times=normalise)
    assert parsed == reference
    assert [(uid, list(item.items())) for uid, item in parsed.items()] == [
        (uid, list(item.items())) for uid, item in reference.items()
    ]


def wall_and_zone(value: datetime) -> tuple[datetime, timedelta | None]:
    """Comparable even for zones datetime itself refuses to apply (24 hours or more)."""
    return value.replace(tzinfo=None), value.tzinfo.utcoffset(None) if value.tzinfo else None


def reference_date(raw: bytes, normalise: bool) -> object:
    try:
        value = parse_to_datetime(raw, normalise=normalise)
    except ValueError:
        return None
    except OverflowError:  # imapclient itself fails here; the fast reader calls it unreadable
        return None
    return value if normalise else wall_and_zone(value)


@st.composite
def date_like(draw: st.DrawFn) -> bytes:
    """Mostly near the usual form, with out-of-range fields, odd spellings and junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=40))
    day = draw(st.sampled_from([b"%d", b"%02d", b" %d", b"%03d"])) % draw(st.integers(0, 39))
    month = draw(st.sampled_from([*MONTHS, "jan", "JUL", "Sept", "Foo"])).encode()
    year = draw(st.sampled_from([b"%04d", b"%d", b"%02d"])) % draw(st.integers(0, 9999))
    clock = b"%02d:%02d:%02d" % (draw(st.integers(0, 29)), draw(st.integers(0, 69)), draw(st.integers(0, 69)))
    zone_text = draw(st.sampled_from([b"+", b"-"])) + b"%02d%02d" % (
        draw(st.integers(0, 99)),
        draw(st.integers(0, 99)),
    )
    zone_text = draw(st.sampled_from([zone_text, zone_text, b"-0000", b"+0000", b"GMT", b""]))
    return b"%s-%s-%s %s %s" % (day, month, year, clock, zone_text)


@settings(max_examples=500)
@given(date_like(), st.booleans())
@example(b"01-Aug-2026 00:00:00 +2400", True)  # zones of a day or more cannot be applied
@example(b"01-Aug-2026 00:00:00 -2400", True)
@example(b"01-Aug-2026 00:00:00 +2359", True)
@example(b"31-Dec-9999 23:59:59 -2300", True)  # beyond datetime's range once converted
def test_dates_read_exactly_as_imapclient_reads_them(raw: bytes, normalise: bool) -> None:
    value = InternalDates(normalise).read(raw)
    expected = reference_date(raw, normalise)
    if normalise or value is None:
        assert value == expected
    else:
        assert wall_and_zone(value) == expected


# -- the whole command, against a scripted server -----------------------------------------

ITEMS = [b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]"]


class ScriptedServer(threading.Thread):
    """A one-client IMAP server that answers each UID FETCH with the next canned reply."""

    def __init__(self, replies: list[bytes]) -> None:
        super().__init__(daemon=True)
        self.replies = list(replies)
        self.commands: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]

    def run(self) -> None:
        connection, _ = self.listener.accept()
        with connection, connection.makefile("rb") as incoming:
            connection.sendall(b"* OK [CAPABILITY IMAP4rev1] scripted\r\n")
            for line in incoming:
                tag, _, command = line.rstrip(b"\r\n").partition(b" ")
                self.commands.append(command)
                verb = command.split(b" ", 2)[:2]
                if verb == [b"UID", b"FETCH"]:
                    connection.sendall(self.replies.pop(0).replace(b"<tag>", tag))
                elif verb[0] == b"SELECT":
                    connection.sendall(
                        b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n" + tag + b" OK [READ-WRITE] ok\r\n"
                    )
                elif verb[0] == b"LOGOUT":
                    connection.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                    return
                else:
                    connection.sendall(tag + b" OK done\r\n")


Connect = Callable[..., tuple[IMAPClient, ScriptedServer]]


def reply(untagged: bytes, status: bytes = b"OK FETCH done") -> bytes:
    return untagged + b"<tag> " + status + b"\r\n"


@pytest.fixture
def scripted() -> Iterator[Connect]:
    opened: list[tuple[IMAPClient, ScriptedServer]] = []

    def connect(*replies: bytes) -> tuple[IMAPClient, ScriptedServer]:
        server = ScriptedServer(list(replies))
        server.start()
        client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=10)
        client.login("agent", "secret")
        client.select_folder("INBOX")
        opened.append((client, server))
        return client, server

    yield connect
    for client, server in opened:
        client.shutdown()
        server.listener.close()


WIRE = {
    "typical": b'* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE "' + DATE + b'" RFC822.SIZE 1267 '
    + FIELDS + b" {%d}\r\n" % len(HEADER) + HEADER + b")\r\n"
    b"* 2 FETCH (UID 2 FLAGS () INTERNALDATE {26}\r\n" + DATE + b" RFC822.SIZE 5 " + FIELDS + b' "")\r\n',
    "unsolicited updates for other messages": b"* 9 FETCH (UID 99 FLAGS (\\Seen))\r\n"
    b"* 1 FETCH (UID 1 RFC822.SIZE 4)\r\n* 8 FETCH (FLAGS (\\Deleted))\r\n* 3 EXPUNGE\r\n",
    "flag update for a requested message": b"* 1 FETCH (UID 1 RFC822.SIZE 4 FLAGS ())\r\n"
    b"* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n",
    "nothing found": b"",
}  # fmt: skip


@pytest.mark.parametrize("untagged", list(WIRE.values()), ids=list(WIRE))
def test_same_answer_and_same_command_as_imapclient(
    scripted: Connect, monkeypatch: pytest.MonkeyPatch, untagged: bytes
) -> None:
    client, server = scripted(reply(untagged), reply(untagged))
    expected = client.fetch([1, 2], ITEMS)
    monkeypatch.setattr(fast_fetch, "reference_parse", None)  # the fast path alone must read these
    got = fetch_headers(client, [1, 2], ITEMS)
    assert got == expected
    assert server.commands[-1] == server.commands[-2]
    assert all(uid in (1, 2) for uid in got)


def test_imapclient_reads_what_the_fast_parser_does_not(scripted: Connect) -> None:
    envelope = (
        b'* 1 FETCH (UID 1 ENVELOPE ("Tue, 1 Aug 2026 10:00:00 +0000" "Hi" '
        b'NIL NIL NIL NIL NIL NIL NIL "<a@b>"))\r\n'
    )
    client, _ = scripted(reply(envelope), reply(envelope))
    expected = client.fetch([1], [b"ENVELOPE"])
    got = fetch_headers(client, [1], [b"ENVELOPE"])
    assert got == expected
    envelope_item = got[1][b"ENVELOPE"]
    assert isinstance(envelope_item, Envelope)
    assert envelope_item.subject == b"Hi"


@pytest.mark.parametrize("status", [b"NO [SERVERBUG] broken", b"BAD nonsense"])
def test_a_refused_fetch_raises_imapclient_errors(scripted: Connect, status: bytes) -> None:
    client, _ = scripted(reply(b"", status))
    with pytest.raises(IMAPClientError):
        fetch_headers(client, [1], ITEMS)


def test_malformed_answer_raises_protocol_error(scripted: Connect) -> None:
    client, _ = scripted(reply(b"* 1 FETCH (UID 1 X-A ((((\r\n"))
    with pytest.raises(ProtocolError):
        fetch_headers(client, [1], ITEMS)


def test_no_uids_sends_nothing(scripted: Connect) -> None:
    client, server = scripted()
    sent = len(server.commands)
    assert fetch_headers(client, [], ITEMS) == {}
    client.noop()
    assert len(server.commands) == sent + 1
