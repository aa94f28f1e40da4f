"""Special-use folders (RFC 6154): Sent, Drafts, Junk, Archive and Trash found by the flag the
server puts on them, not by name: "[Gmail]/Sent Mail", "Sent Items", "Gesendete Elemente".

Servers with SPECIAL-USE are asked with `LIST "" "*" RETURN (SPECIAL-USE)`; Gmail's older
XLIST is the fallback; otherwise the flags of a plain LIST are used where a server sends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from imapclient.imap_utf7 import decode
from imapclient.response_parser import parse_response
from imapclient.util import chunk

USES = ("sent", "drafts", "junk", "archive", "trash")
_FLAGS = {
    b"\\SENT": "sent",
    b"\\DRAFTS": "drafts",
    b"\\JUNK": "junk",
    b"\\SPAM": "junk",  # XLIST's name for it
    b"\\ARCHIVE": "archive",
    b"\\TRASH": "trash",
}


@dataclass(frozen=True)
class SpecialFolders:
    """The folder for each special use, or None where the server flags none."""

    sent: str | None = None
    drafts: str | None = None
    junk: str | None = None
    archive: str | None = None
    trash: str | None = None

    def overridden(self, configured: Mapping[str, str]) -> SpecialFolders:
        """These folders, with every use the config names (use -> folder) taken from it."""
        return replace(self, **{use: name for use, name in configured.items() if use in USES})

    def named(self) -> list[tuple[str, str]]:
        return [(use, name) for use in USES if (name := getattr(self, use)) is not None]


Listing = Iterable[tuple[Sequence[bytes], Any, str]]  # (flags, delimiter, name), as imapclient lists


def from_listing(listing: Listing) -> SpecialFolders:
    """The first folder carrying each special-use flag."""
    found: dict[str, str] = {}
    for flags, _, name in listing:
        for flag in flags:
            use = _FLAGS.get(bytes(flag).upper())
            if use is not None and use not in found:
                found[use] = str(name)
    return SpecialFolders(**found)


def parse_list_lines(lines: Sequence[bytes]) -> list[tuple[tuple[bytes, ...], bytes | None, str]]:
    """The untagged LIST / XLIST answer lines (without "* LIST ") as (flags, delimiter, name)."""
    parsed = parse_response([line for line in lines if line])
    folders = []
    for flags, delimiter, name in chunk(parsed, size=3):
        folder = str(decode(name)) if isinstance(name, bytes) else str(name)  # modified UTF-7
        folders.append((tuple(flags), delimiter, folder))
    return folders


def discover(client: IMAPClient) -> SpecialFolders:
    """Ask the server which folders are special. A server that refuses the question has none;
    a dropped connection raises as any other command would (OSError, IMAPClientAbortError)."""
    try:
        if client.has_capability("SPECIAL-USE"):
            return from_listing(_list_special_use(client))
        if client.has_capability("XLIST"):
            return from_listing(client.xlist_folders())
        return from_listing(client.list_folders())
    except IMAPClientAbortError:
        raise
    except IMAPClientError:
        return SpecialFolders()


def _list_special_use(client: IMAPClient) -> Listing:
    """`LIST "" "*" RETURN (SPECIAL-USE)` (RFC 6154 section 5.1); imapclient has no call for it."""
    imap = client._imap
    typ, data = imap._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
    if typ != "OK":
        raise IMAPClientError(f"LIST RETURN (SPECIAL-USE) failed: {data}")
    typ, data = imap._untagged_response(typ, data, "LIST")
    return parse_list_lines([line for line in data if isinstance(line, bytes)])
