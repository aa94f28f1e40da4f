"""UID searches of big folders, asked in slices so no answer outgrows imaplib's line limit.

imaplib refuses a response line longer than `imaplib._MAXLINE` (1 MB), and a SEARCH
answer is one line: a search naming every UID of a folder of about 90,000 messages or
more (UIDs of up to ten digits) would end the sync. Each slice is a range of message
sequence numbers, so its answer holds at most that many UIDs. The last slice is open
(`n:*`), so mail that arrived after the SELECT is found as before.
"""

from __future__ import annotations

import imaplib

from imapclient import IMAPClient

_UID_BYTES = 11  # ten digits and a space
_LINE_OVERHEAD = 64  # "* SEARCH", a MODSEQ item, the line end


def slice_size() -> int:
    """How many UIDs one answer may hold under the current line limit."""
    limit = int(getattr(imaplib, "_MAXLINE", 1_000_000))
    return max(1, (limit - _LINE_OVERHEAD) // _UID_BYTES)


def search_uids(
    client: IMAPClient, criteria: list[object], exists: int, charset: str | None = None
) -> list[int]:
    """UIDs of the selected folder (of `exists` messages when selected) that match `criteria`."""
    step = slice_size()
    if exists <= step:
        return list(client.search(criteria, charset=charset))
    found: list[int] = []
    for low in range(1, exists + 1, step):
        high = "*" if low + step > exists else str(low + step - 1)
        found.extend(client.search([f"{low}:{high}", *criteria], charset=charset))
    return found
