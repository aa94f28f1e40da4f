"""Turning one batch of FETCH answers into MessageMeta, possibly in a helper process.

Kept apart from the sync engine so a spawned helper imports only what parsing needs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

from shared_inbox.domain.model import SYNCED_FLAGS, Location, MessageMeta
from shared_inbox.mail.headers import parse_header_block

log = logging.getLogger(__name__)


def normalise_flags(raw: Iterable[bytes | str]) -> frozenset[str]:
    """Keep the system flags we track; IMAP flags are case-insensitive."""
    wanted = {f.lower(): f for f in SYNCED_FLAGS}
    out = set()
    for flag in raw:
        text = flag.decode("ascii", "replace") if isinstance(flag, bytes) else flag
        canonical = wanted.get(text.lower())
        if canonical:
            out.add(canonical)
    return frozenset(out)


FetchedRow = tuple[bytes, datetime | None, frozenset[str], int, Location]


def fetched_row(uid: int, item: dict[bytes, object], folder: str, uidvalidity: int) -> FetchedRow:
    """The picklable part of one FETCH answer that header parsing needs."""
    internal = item.get(b"INTERNALDATE")
    internal_date = None
    if isinstance(internal, datetime):
        # imapclient gives naive local time; make it aware, then UTC.
        internal_date = (internal if internal.tzinfo else internal.astimezone()).astimezone(UTC)
    size = item.get(b"RFC822.SIZE")
    flags = normalise_flags(item.get(b"FLAGS") or ())  # type: ignore[arg-type]
    location = Location(folder, uidvalidity, uid)
    return header_block(item), internal_date, flags, size if isinstance(size, int) else 0, location


def parse_rows(rows: Sequence[FetchedRow], our_addresses: frozenset[str], is_sent: bool) -> list[MessageMeta]:
    """Parse a batch of header blocks; module level so a helper process can run it."""
    return [
        parse_header_block(
            header,
            internal_date=internal_date,
            flags=flags,
            size=size,
            location=location,
            our_addresses=our_addresses,
            sent_folder=is_sent,
        )
        for header, internal_date, flags, size, location in rows
    ]


def parser_pool() -> ProcessPoolExecutor | None:
    """One helper process for header parsing; None where processes cannot be started.

    "spawn" rather than fork: the caller may be one thread of a larger program. The helper
    ends itself when its parent is gone, however the parent ended (even by SIGKILL): an
    orphan would hold the parent's stderr open and keep multiprocessing's resource tracker
    alive with it.
    """
    try:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )
    except (OSError, ValueError, NotImplementedError) as exc:
        log.info("parsing headers in-process: %s", exc)
        return None


PARENT_CHECK_SECONDS = 0.2


def die_with_parent(parent: int) -> None:
    """In the helper: exit as soon as `parent` is no longer our parent (it died; we were re-parented).

    Ctrl+C reaches the whole process group; the parent decides what it means, not the helper.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)  # no cleanup to run: the helper holds nothing but work in flight


def header_block(item: dict[bytes, object]) -> bytes:
    """The header bytes of a FETCH item, whatever order the server echoed the field list in."""
    for key, value in item.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return value
    return b""
