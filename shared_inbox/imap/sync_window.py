"""A working set for big mailboxes: only recent mail is mirrored (`[imap] sync_since`).

The window is a UID floor per folder, set by the first sync after the window is configured:
that sync takes the messages whose arrival date lies inside the window (``SEARCH SINCE``)
and the lowest of them is the floor. From then on every message above the floor is
mirrored as before, so new mail, flags and expunges work unchanged, and nothing below the
floor is ever listed. Older mail stays on the server (the archive); what is fetched of it
on demand lies below the floor and is kept as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from imapclient import IMAPClient

from shared_inbox.imap.uid_search import search_uids
from shared_inbox.store import Store

FLOORS_KEY = "sync.window_floors"  # {folder: [uidvalidity, lowest UID mirrored in full]}


class WindowFloors:
    """Where each folder's window begins, kept in the store so it survives restarts."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _all(self) -> dict[str, list[int]]:
        value = self.store.get_setting(FLOORS_KEY, {})
        return dict(value) if isinstance(value, dict) else {}

    def get(self, folder: str, uidvalidity: int) -> int | None:
        entry = self._all().get(folder)
        if (
            isinstance(entry, list)
            and len(entry) == 2
            and entry[0] == uidvalidity
            and isinstance(entry[1], int)
        ):
            return entry[1]
        return None  # never set, or the folder was renumbered (UIDVALIDITY changed)

    def any(self) -> bool:
        """Whether any folder was ever given a window."""
        return bool(self._all())

    def put(self, folder: str, uidvalidity: int, floor: int) -> None:
        floors = self._all()
        floors[folder] = [uidvalidity, max(1, floor)]
        self.store.set_setting(FLOORS_KEY, floors)


def window_start(days: int | None, now: datetime) -> date | None:
    """The first day inside a window of `days` days ending today (UTC); None: no window."""
    if days is None:
        return None
    return (now - timedelta(days=days)).date()


def uids_since(client: IMAPClient, since: date, exists: int) -> list[int]:
    """UIDs of the selected folder's messages that arrived on or after `since`."""
    return sorted(search_uids(client, ["SINCE", since], exists))


def count_from(client: IMAPClient, floor: int, exists: int) -> int | None:
    """How many messages of the selected folder have a UID >= `floor`, in one short FETCH.

    Messages are numbered in UID order, so the floor message's sequence number says how
    many lie below it. None when the floor message is gone (the caller searches instead).
    """
    answer: Mapping[int, Mapping[bytes, object]] = client.fetch([floor], [b"UID"])
    seq = answer.get(floor, {}).get(b"SEQ")
    return exists - seq + 1 if isinstance(seq, int) else None


def uids_from(client: IMAPClient, floor: int, exists: int) -> set[int]:
    """Every UID >= `floor` in the selected folder (of `exists` messages)."""
    return set(search_uids(client, ["UID", f"{floor}:*"], exists))


def window_floor(
    client: IMAPClient,
    floors: WindowFloors,
    where: tuple[str, int, int, int],
    known: Mapping[int, str],
    since: date | None,
) -> int | list[int]:
    """The lowest UID of `where` (folder, UIDVALIDITY, UIDNEXT, EXISTS) mirrored in full: 1 without a
    window. On the first sync of a window, the UIDs inside it instead (their lowest is the floor)."""
    if since is None:
        return 1
    folder, uidvalidity, uidnext, exists = where
    floor = floors.get(folder, uidvalidity)
    if floor is not None:
        return floor
    if known:  # a store that mirrored more before the window was set keeps it all
        floors.put(folder, uidvalidity, min(known))
        return min(known)
    uids = uids_since(client, since, exists)
    floors.put(folder, uidvalidity, min(uids, default=uidnext))
    return uids
