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

from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from imapclient.response_parser import parse_fetch_response


@dataclass(frozen=True, slots=True)
class QuickSelect:
    """What a QRESYNC SELECT told us about a folder."""

    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None
    vanished: frozenset[int] = frozenset()
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


def select_quickly(client: IMAPClient, folder: str, uidvalidity: int, modseq: int) -> QuickSelect:
    """SELECT `folder` with QRESYNC parameters (the UIDVALIDITY and HIGHESTMODSEQ last synced).

    When the folder's UIDVALIDITY differs the server sends no VANISHED or FETCH (RFC 7162),
    and the caller sees the new UIDVALIDITY and starts over as with a plain SELECT.
    """
    imap = client._imap
    imap.untagged_responses = {}
    imap.is_readonly = False
    mailbox = client._normalise_folder(folder)
    typ, data = imap._simple_command("SELECT", mailbox, f"(QRESYNC ({uidvalidity} {modseq}))")
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


def parse_uid_set(text: bytes) -> set[int]:
    """``1:3,7,9:8`` -> {1, 2, 3, 7, 8, 9}; ranges may be written either way round (RFC 3501)."""
    uids: set[int] = set()
    for part in text.split(b","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition(b":")
        first = int(low)
        last = int(high) if high else first
        if first > last:
            first, last = last, first
        uids.update(range(first, last + 1))
    return uids


def _vanished(lines: list[bytes]) -> frozenset[int]:
    uids: set[int] = set()
    for line in lines:
        text = line if isinstance(line, bytes) else str(line).encode()
        text = text.strip()
        if text.upper().startswith(b"(EARLIER)"):
            text = text[len(b"(EARLIER)") :]
        uids |= parse_uid_set(text.strip())
    return frozenset(uids)


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
