"""A faster UID FETCH for header sync: imaplib reads the wire, a small parser reads the answer.

imapclient's response lexer walks the answer one byte at a time and costs about as much
as everything else in a header sync together. The answers a header sync gets are simple
(numbers, flag lists, a quoted date, one literal per message), so a regular expression
can split them into tokens at C speed.

The result has exactly the shape `IMAPClient.fetch` returns, so callers can switch
between the two freely. Anything this parser does not recognise is handed, unchanged, to
imapclient's own parser, which stays the reference for odd but legal answers; malformed
answers end in imapclient's `ProtocolError`, never in an unrelated exception.

One deliberate difference: a FETCH response without a UID (Dovecot reports another
session's flag change that way, by sequence number only) is skipped. imapclient files it
under the sequence number, which after an expunge is some other message's UID.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from imapclient import IMAPClient
from imapclient.datetime_util import parse_to_datetime
from imapclient.exceptions import ProtocolError
from imapclient.fixed_offset import FixedOffset
from imapclient.response_parser import parse_fetch_response

log = logging.getLogger(__name__)

FetchItems = dict[int, dict[bytes, object]]
# What imaplib hands over: response lines, and (line ending in {n}, literal) pairs.
ResponseRecords = Sequence[bytes | tuple[bytes, bytes] | None]

# No FETCH answer a header sync asks for nests this deep; deeper input is hostile.
MAX_NESTING = 32

# One token per match: a quoted string, an atom (which may carry a [...] section, as in
# BODY[HEADER.FIELDS (FROM)]), or a parenthesis. Whatever else starts at a position
# (an unclosed quote or bracket, a quote glued to an atom, '%', control characters)
# swallows the rest of the line and yields an empty token, so a match never fails and the
# scan stays linear on hostile input. Lines are stripped of trailing blanks before scanning.
_TOKEN = re.compile(
    rb'[ \t\r\n]*+(?:("(?:[^"\\]++|\\.)*+"|(?:[^\x00-\x20()%"\[]++|\[[^\]]*+\])++(?!["\[])|[()])|.+)',
    re.DOTALL,
)
_QUOTED_ESCAPE = re.compile(rb'\\([\\"])')
_LITERAL_MARKER = re.compile(rb"\{(\d{1,12})\}")
_BLANKS = b" \t\r\n"
# Items imapclient turns into rich objects; rare in header sync, so left to imapclient.
_CONVERTED_ITEMS = frozenset({b"ENVELOPE", b"BODY", b"BODYSTRUCTURE"})
# What imapclient's parser lets escape on malformed input besides its ProtocolError.
_REFERENCE_FAILURES = (
    ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError, RecursionError
)  # fmt: skip

_MONTHS = {name: number for number, name in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"), start=1
)}  # fmt: skip
_DAY = 24 * 3600
# The form every server sends: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d" or "d").
_IMAP_DATE = re.compile(
    rb" ?(\d\d?)-(" + b"|".join(_MONTHS) + rb")-([1-9]\d\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)


class UnrecognisedResponse(Exception):
    """The answer is outside what the fast parser reads; imapclient's parser takes over."""


def fetch_headers(client: IMAPClient, uids: Sequence[int], items: Sequence[bytes | str]) -> FetchItems:
    """`client.fetch(uids, items)`, with the answer read by the fast parser.

    Messages the server reports but that were not asked for (unsolicited FETCH
    responses) are dropped, as imapclient drops them. NO and BAD raise imapclient's
    `IMAPClientError`, as `client.fetch` does.
    """
    if not uids:
        return {}
    if not client.use_uid:
        return client.fetch(uids, items)  # type: ignore[no-any-return]
    imap = client._imap
    tag = imap._command("UID", "FETCH", _message_set(uids), _item_list(items), None)
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    normalise = bool(client.normalise_times)
    try:
        parsed = parse_fetch_items(data, normalise_times=normalise)
    except UnrecognisedResponse as reason:
        log.debug("FETCH answer read by imapclient's parser: %s", reason)
        parsed = reference_parse(data, normalise_times=normalise)
    return {uid: parsed[uid] for uid in uids if uid in parsed}


def reference_parse(data: ResponseRecords, *, normalise_times: bool = True) -> FetchItems:
    """imapclient's own FETCH parser, with every failure reported as a `ProtocolError`."""
    try:
        return dict(parse_fetch_response(list(data), normalise_times, True))
    except ProtocolError:
        raise
    except _REFERENCE_FAILURES as exc:
        raise ProtocolError(f"unreadable FETCH response ({type(exc).__name__})") from None


def parse_fetch_items(data: ResponseRecords, *, normalise_times: bool = True) -> FetchItems:
    """Read imaplib's untagged FETCH records into imapclient's `fetch` shape, keyed by UID.

    Responses without a UID cannot be placed and are skipped. Raises `UnrecognisedResponse`
    for anything outside the common grammar (see `fetch_headers`), `ProtocolError` for
    input no server may send.
    """
    reader = _Reader(normalise_times)
    if len(data) == 1 and data[0] is None:  # imaplib's "no FETCH responses at all"
        return reader.out
    try:
        for record in data:
            if isinstance(record, bytes):
                reader.feed(record, None)
            elif isinstance(record, tuple) and len(record) == 2 and isinstance(record[1], bytes):
                reader.feed(record[0], record[1])
            else:
                raise UnrecognisedResponse(f"record of type {type(record).__name__}")
    except ValueError as exc:  # a number too long for int()
        raise UnrecognisedResponse(str(exc)) from None
    reader.finish()
    return reader.out


class _Reader:
    """Builds values from the token stream; one FETCH response may span several records."""

    def __init__(self, normalise_times: bool) -> None:
        self.out: FetchItems = {}
        self.dates = InternalDates(normalise_times)
        self.stack: list[list[object]] = []
        self.current: list[object] = []  # the open parenthesis, or the top level

    def feed(self, text: object, literal: bytes | None) -> None:
        if not isinstance(text, bytes):
            raise UnrecognisedResponse("record text is not bytes")
        tokens = _TOKEN.findall(text.rstrip(_BLANKS))
        if literal is not None:
            marker = _LITERAL_MARKER.fullmatch(tokens.pop()) if tokens else None
            if marker is None or int(marker.group(1)) != len(literal):
                raise UnrecognisedResponse("literal without a matching {n} marker")
        stack = self.stack
        current = self.current
        for token in tokens:
            if not token:
                raise UnrecognisedResponse("unusual characters in a response line")
            first = token[0]
            if first == 40:  # (
                if len(stack) >= MAX_NESTING:
                    raise ProtocolError("FETCH response nested too deeply")
                stack.append(current)
                current = []
            elif first == 41:  # )
                if not stack:
                    raise UnrecognisedResponse("unbalanced ')'")
                value = tuple(current)
                current = stack.pop()
                if stack:
                    current.append(value)
                else:
                    self._message(current, value)
                    current = []
            elif first == 34:  # "
                value_bytes = token[1:-1]
                current.append(_QUOTED_ESCAPE.sub(rb"\1", value_bytes) if 92 in value_bytes else value_bytes)
            elif token.isdigit():
                current.append(int(token) if first != 48 or len(token) == 1 else token)
            elif token == b"NIL":
                current.append(None)
            elif first == 123:  # { outside its place at the end of a literal record
                raise UnrecognisedResponse("literal marker in an unexpected place")
            else:
                current.append(token)
        if literal is not None:
            current.append(literal)
        self.current = current

    def finish(self) -> None:
        if self.stack or self.current:
            raise UnrecognisedResponse("response ends inside a message")

    def _message(self, head: list[object], items: tuple[object, ...]) -> None:
        """One `<seq> (<name> <value> ...)` response, merged into what the UID already has."""
        if len(head) != 1 or type(head[0]) is not int or len(items) % 2:
            raise UnrecognisedResponse("not a '<number> (<name> <value> ...)' response")
        message: dict[bytes, object] = {b"SEQ": head[0]}
        uid: int | None = None
        for index in range(0, len(items), 2):
            key = items[index]
            value = items[index + 1]
            if not isinstance(key, bytes):
                raise UnrecognisedResponse("item name is not an atom")
            name = key.upper()
            if name == b"UID":
                if type(value) is not int:
                    raise UnrecognisedResponse("UID is not a number")
                uid = value
            elif name == b"INTERNALDATE":
                if value is not None and not isinstance(value, bytes):
                    raise UnrecognisedResponse("INTERNALDATE is not a string")
                message[name] = None if value is None else self.dates.read(value)
            elif name in _CONVERTED_ITEMS:
                raise UnrecognisedResponse(f"{name.decode('ascii', 'replace')} item")
            else:
                message[name] = value
        if uid is None:
            return  # an unsolicited update keyed by sequence number only: nothing to attach it to
        known = self.out.get(uid)
        if known is None:
            self.out[uid] = message
        else:
            known.update(message)  # imapclient merges repeated responses for one message


class InternalDates:
    """INTERNALDATE values exactly as imapclient's `parse_to_datetime` gives them, read faster.

    The form servers send is read with one regular expression and converted with the
    same arithmetic imapclient uses (local time from the system's current offset when
    normalising); any other form goes to imapclient itself. Unreadable dates become None,
    as in imapclient, including the few out-of-range ones imapclient lets raise.
    """

    def __init__(self, normalise: bool) -> None:
        self.normalise = normalise
        self.local_offset: timedelta = FixedOffset.for_system().utcoffset(None)
        self.zones: dict[int, FixedOffset] = {}
        self.seen: dict[bytes, datetime | None] = {}

    def read(self, raw: bytes) -> datetime | None:
        if raw in self.seen:
            return self.seen[raw]
        try:
            value = self._convert(raw)
        except (ValueError, OverflowError, IndexError, TypeError):
            value = None
        self.seen[raw] = value
        return value

    def _convert(self, raw: bytes) -> datetime | None:
        match = _IMAP_DATE.fullmatch(raw)
        if match is None:  # another spelling: imapclient's reading is the rule
            parsed: datetime = parse_to_datetime(raw, normalise=self.normalise)
            return parsed
        day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
        offset = int(zone_hours) * 3600 + int(zone_minutes) * 60
        if sign == b"-":
            offset = -offset
        if self.normalise:
            if not -_DAY < offset < _DAY:
                return None  # datetime rejects such a zone when converting
            wall = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
            return wall - timedelta(seconds=offset) + self.local_offset
        zone = self.zones.get(offset)
        if zone is None:
            zone = self.zones[offset] = FixedOffset(offset / 60)
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone)


def internal_date(raw: bytes, *, normalise: bool = True) -> datetime | None:
    """One INTERNALDATE string as a datetime, None when it cannot be read."""
    return InternalDates(normalise).read(raw)


def _message_set(uids: Sequence[int]) -> bytes:
    return b",".join(str(int(uid)).encode("ascii") for uid in uids)


def _item_list(items: Sequence[bytes | str]) -> bytes:
    names = (item if isinstance(item, bytes) else item.encode("ascii") for item in items)
    return b"(" + b" ".join(name.upper() for name in names) + b")"
