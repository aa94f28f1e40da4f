"""Waiting for new mail with IMAP IDLE (RFC 2177).

imapclient's idle_check() returns an empty list both when nothing happened and
when the server closed the socket, so a closed connection is recognised by
idle_check returning early and empty several times in a row.

idle_check() also only reads once the socket itself has data, while imaplib reads through
a buffer: a change the server reports right behind IDLE's continuation line (mail that
arrived between SELECT and IDLE) is already in that buffer, and would wait there for the
next push. So IDLE also ends as soon as that buffer holds anything, and the responses
that ending reads are looked at too.
"""

from __future__ import annotations

import threading
import time

from imapclient import IMAPClient

# RFC 2177 lets servers end an IDLE after 30 minutes, and some providers (and the NAT boxes
# on the way) end it after about 10: renew before, by default every 8 minutes.
IDLE_RENEW_SECONDS = 8 * 60
# Servers whose IDLE may only look for changes now and then: Cyrus IMAP without its idled
# daemon rechecks an idling mailbox every 60 s (imapidlepoll), so it is also polled.
LAZY_IDLE_SERVERS = (b"Cyrus IMAP",)
LAZY_IDLE_POLL_SECONDS = 15
_SLICE = 1.0
CHANGE_WORDS = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"RECENT"})


class IdleConnectionLost(ConnectionError):
    """The server went away while we were idling."""


def _moved_on(selected: dict[bytes, object], since: tuple[int, int | None]) -> bool:
    uidnext, modseq = since
    now_uidnext = selected.get(b"UIDNEXT")
    if isinstance(now_uidnext, int) and now_uidnext != uidnext:
        return True
    now_modseq = selected.get(b"HIGHESTMODSEQ")
    return modseq is not None and isinstance(now_modseq, int) and now_modseq != modseq


def is_change(response: tuple[object, ...]) -> bool:
    return any(isinstance(part, bytes) and part.upper() in CHANGE_WORDS for part in response)


def wait_for_change(
    client: IMAPClient,
    folder: str,
    timeout: float,
    stop: threading.Event,
    *,
    since: tuple[int, int | None] | None = None,
    renew: float = IDLE_RENEW_SECONDS,
) -> bool:
    """Idle on `folder` until it changes (True), or until timeout/stop (False).

    `since` is the (UIDNEXT, HIGHESTMODSEQ) the caller last synced: mail that arrived
    between that sync and the start of IDLE is only visible in the SELECT answer, and
    must not wait for the next push. The IDLE is ended and issued again every `renew`
    seconds, before a server that limits its length ends it.
    """
    selected = client.select_folder(folder, readonly=True)
    if since is not None and _moved_on(selected, since):
        return True
    client.idle()
    changed = False
    early_empty = 0
    now = time.monotonic()
    deadline, renew_at = now + timeout, now + renew
    while not stop.is_set() and not _already_received(client):
        now = time.monotonic()
        if deadline - now <= 0:
            break
        if now >= renew_at:
            _text, ending = client.idle_done()
            if any(is_change(r) for r in ending):
                return True
            client.idle()
            renew_at = time.monotonic() + renew
            continue
        slice_ = min(_SLICE, deadline - now, renew_at - now)
        started = time.monotonic()
        responses = client.idle_check(timeout=slice_)
        if any(is_change(r) for r in responses):
            changed = True
            break
        if not responses and slice_ >= _SLICE / 2 and time.monotonic() - started < slice_ / 2:
            early_empty += 1
            if early_empty >= 3:
                raise IdleConnectionLost("the server closed the connection while idling")
        else:
            early_empty = 0
    _text, last_responses = client.idle_done()
    return changed or any(is_change(r) for r in last_responses)


def lazy_idle(client: IMAPClient) -> bool:
    """Whether the server's IDLE may report changes only at its own polling interval."""
    welcome = getattr(client, "welcome", b"") or b""
    return isinstance(welcome, bytes) and any(name in welcome for name in LAZY_IDLE_SERVERS)


def _already_received(client: IMAPClient) -> bool:
    """Whether server data already waits in imaplib's read buffer, where polling cannot see it."""
    sock = client.socket()
    timeout = sock.gettimeout()
    sock.settimeout(0.0)  # look without waiting: an empty buffer must not block on the socket
    try:
        return bool(client._imap.file.peek())
    except OSError:  # nothing there: TLS reports that as "want read"
        return False
    finally:
        sock.settimeout(timeout)
