"""Quick mailbox resynchronisation (QRESYNC, RFC 7162 section 3.2).

With QRESYNC the SELECT itself names what changed since the last sync: expunged
UIDs come back as ``VANISHED (EARLIER)`` and changed flags as untagged FETCH
responses. That replaces a ``UID SEARCH ALL`` over the whole folder (to find
expunges) and a flag FETCH over every known UID with one round trip whose answer
is as large as the change, not as the folder.

imapclient has no call for a SELECT with parameters, so the raw command is sent
through imaplib here, in this one place, with the bookkeeping imaplib's own
``select`` does (clearing old untagged responses, entering the SELECTED state).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from imapclient.response_parser import parse_fetch_response

# Servers cap a command line at about 8 KB (RFC 7162 asks for at least 8192 octets).
MAX_KNOWN_TEXT = 4000


@dataclass(frozen=True, slots=True)
class UidRanges:
    """A set of UIDs as the server wrote it (``1:400000`` stays two numbers, not 400,000)."""

    ranges: tuple[tuple[int, int], ...] = ()

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and any(low <= uid <= high for low, high in self.ranges)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def among(self, uids: Iterable[int]) -> set[int]:
        """Which of `uids` lie in the set: a bisect per range, not a scan of every range per UID
        (50k known UIDs against a few hundred ranges would otherwise take a second)."""
        ordered = sorted(uids)
        found: set[int] = set()
        for low, high in self.ranges:
            start = bisect.bisect_left(ordered, low)
            end = bisect.bisect_right(ordered, high)
            found.update(ordered[start:end])
        return found


@dataclass(frozen=True, slots=True)
class QuickSelect:
    """What a QRESYNC SELECT told us about a folder."""

    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None
    vanished: UidRanges = UidRanges()
    # uid -> flags, for messages whose flags changed since the modseq we gave
    changed_flags: dict[int, tuple[bytes, ...]] = field(default_factory=dict)


def enable_qresync(client: IMAPClient) -> bool:
    """ENABLE QRESYNC (which implies CONDSTORE) when the server offers it; must precede SELECT."""
    if not client.has_capability("QRESYNC"):
        return False
    try:
        enabled = client.enable("QRESYNC")
    except IMAPClientAbortError:
        raise  # the connection is gone: the caller says so
    except IMAPClientError:
        return False
    return any(_word(item) == b"QRESYNC" for item in enabled)


def select_quickly(
    client: IMAPClient, folder: str, uidvalidity: int, modseq: int, known: list[int] | None = None
) -> QuickSelect:
    """SELECT `folder` with QRESYNC parameters (the UIDVALIDITY and HIGHESTMODSEQ last synced).

    `known` (the UIDs we hold) limits VANISHED to messages we know, when it is short enough to
    send; a server may otherwise report every UID ever expunged since `modseq`.

    When the folder's UIDVALIDITY differs the server sends no VANISHED or FETCH (RFC 7162),
    and the caller sees the new UIDVALIDITY and starts over as with a plain SELECT.
    """
    imap = client._imap
    imap.untagged_responses = {}
    imap.is_readonly = False
    mailbox = client._normalise_folder(folder)
    known_text = uid_set_text(known) if known else ""
    if len(known_text) > MAX_KNOWN_TEXT:
        known_text = f"1:{max(known or [1])}"  # still bounds the answer to UIDs we could hold
    extra = f" {known_text}" if known_text else ""
    typ, data = imap._simple_command("SELECT", mailbox, f"(QRESYNC ({uidvalidity} {modseq}{extra}))")
    if typ != "OK":
        imap.state = "AUTH"
        raise IMAPClientError(f"select failed: {_text(data)}")
    imap.state = "SELECTED"
    untagged = imap.untagged_responses
    vanished = _vanished(untagged.pop("VANISHED", []))
    fetched = untagged.pop("FETCH", [])
    selected = client._process_select_response(untagged)
    return QuickSelect(
        uidvalidity=int(selected[b"UIDVALIDITY"]),
        uidnext=int(selected.get(b"UIDNEXT", 0)),
        exists=int(selected.get(b"EXISTS", 0)),
        highestmodseq=_int_or_none(selected.get(b"HIGHESTMODSEQ")),
        vanished=vanished,
        changed_flags=_flags_by_uid(fetched),
    )


def parse_uid_set(text: bytes) -> UidRanges:
    """``1:3,7,9:8`` -> the ranges 1-3, 7-7, 8-9; either end may come first (RFC 3501)."""
    ranges: list[tuple[int, int]] = []
    for part in text.split(b","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition(b":")
        first = int(low)
        last = int(high) if high else first
        ranges.append((min(first, last), max(first, last)))
    return UidRanges(tuple(ranges))


def uid_set_text(uids: list[int]) -> str:
    """Sorted UIDs in the compact form a command takes: [1, 2, 3, 7] -> ``1:3,7``."""
    parts: list[str] = []
    start = previous = None
    for uid in sorted(uids):
        if previous is not None and uid == previous + 1:
            previous = uid
            continue
        if start is not None:
            parts.append(f"{start}:{previous}" if previous != start else str(start))
        start = previous = uid
    if start is not None:
        parts.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(parts)


def _vanished(lines: list[bytes]) -> UidRanges:
    ranges: list[tuple[int, int]] = []
    for line in lines:
        text = line if isinstance(line, bytes) else str(line).encode()
        text = text.strip()
        if text.upper().startswith(b"(EARLIER)"):
            text = text[len(b"(EARLIER)") :]
        ranges.extend(parse_uid_set(text.strip()).ranges)
    return UidRanges(tuple(ranges))


def _flags_by_uid(lines: list[object]) -> dict[int, tuple[bytes, ...]]:
    if not lines:
        return {}
    parsed = parse_fetch_response(lines, normalise_times=True, uid_is_key=True)
    out: dict[int, tuple[bytes, ...]] = {}
    for uid, items in parsed.items():
        flags = items.get(b"FLAGS")
        if isinstance(uid, int) and isinstance(flags, tuple):
            out[uid] = flags
    return out


def _word(item: object) -> bytes:
    return (item if isinstance(item, bytes) else str(item).encode()).upper()


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | bytes | str) else None


def _text(data: object) -> str:
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)
