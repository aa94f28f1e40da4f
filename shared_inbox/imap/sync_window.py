"""A working set for big mailboxes: only recent mail is mirrored (`[imap] sync_since`).

The window is a UID floor: the lowest UID the store holds of a folder. The first sync
takes the messages whose arrival date lies inside the window (``SEARCH SINCE``); from
then on every message above the floor is mirrored as before, so new mail, flags and
expunges work unchanged, and nothing below the floor is ever listed or fetched in full.
Older mail stays on the server (the archive) and comes on demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from imapclient import IMAPClient


def window_start(days: int | None, now: datetime) -> date | None:
    """The first day inside a window of `days` days ending today (UTC); None: no window."""
    if days is None:
        return None
    return (now - timedelta(days=days)).date()


def uids_since(client: IMAPClient, since: date) -> list[int]:
    """UIDs of the selected folder's messages that arrived on or after `since`."""
    return sorted(client.search(["SINCE", since]))


def count_from(client: IMAPClient, floor: int, exists: int) -> int | None:
    """How many messages of the selected folder have a UID >= `floor`, in one short FETCH.

    Messages are numbered in UID order, so the floor message's sequence number says how
    many lie below it. None when the floor message is gone (the caller searches instead).
    """
    answer: Mapping[int, Mapping[bytes, object]] = client.fetch([floor], [b"UID"])
    seq = answer.get(floor, {}).get(b"SEQ")
    return exists - seq + 1 if isinstance(seq, int) else None


def uids_from(client: IMAPClient, floor: int) -> set[int]:
    """Every UID >= `floor` in the selected folder."""
    return set(client.search(["UID", f"{floor}:*"]))
