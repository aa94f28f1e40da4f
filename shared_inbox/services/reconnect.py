"""Keeping a mail connection up: connect, use it until it breaks, reconnect with growing backoff.

The sync loop and the team-events watcher both run this one loop. A refused login ends it
(retrying would only lock the account); anything else is reported as "offline" with the
wait before the next attempt, and the wait doubles until a connection proves itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from shared_inbox.imap.connection import close_quietly
from shared_inbox.net.errors import AuthError, MailServerError

BACKOFF_START = 1.0
BACKOFF_MAX = 120.0

StateCallback = Callable[[str, str], None]


class Backoff:
    """Waits of 1, 2, 4 ... seconds up to a ceiling; `reset` after something worked."""

    def __init__(self, start: float = BACKOFF_START, ceiling: float = BACKOFF_MAX) -> None:
        self.start = start
        self.ceiling = ceiling
        self._next = start

    def next_wait(self) -> float:
        wait = self._next
        self._next = min(self._next * 2, self.ceiling)
        return wait

    def reset(self) -> None:
        self._next = self.start


def keep_connected(
    connect: Callable[[], IMAPClient],
    use: Callable[[IMAPClient, Callable[[], None]], None],
    stop: threading.Event,
    on_state: StateCallback,
    describe: Callable[[BaseException], str],
    *,
    label: str = "",
    announce: str | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Run `use(client, healthy)` on a fresh connection until `stop` is set.

    `use` calls `healthy()` once the connection did real work (the backoff starts over) and
    returns when `stop` is set. `describe` words an unexpected IMAP or socket failure;
    `label` prefixes every state detail ("team events: "); with `announce`, each attempt is
    first reported as ("connecting", announce).
    """
    backoff = backoff or Backoff()
    while not stop.is_set():
        if announce is not None:
            on_state("connecting", announce)
        problem: str | None
        try:
            client = connect()
        except AuthError as exc:
            on_state("auth-failed", f"{label}{exc}")
            return
        except MailServerError as exc:
            problem = str(exc)
        else:
            problem = _use(client, use, backoff.reset, describe)
        if problem is None or stop.is_set():
            continue
        wait = backoff.next_wait()
        on_state("offline", f"{label}{problem} Retrying in {wait:.0f} s.")
        stop.wait(wait)


def _use(
    client: IMAPClient,
    use: Callable[[IMAPClient, Callable[[], None]], None],
    healthy: Callable[[], None],
    describe: Callable[[BaseException], str],
) -> str | None:
    """None when `use` returned (stop was set), else the sentence for what broke."""
    try:
        use(client, healthy)
        return None
    except MailServerError as exc:
        return str(exc)
    except (OSError, EOFError, IMAPClientError) as exc:
        return describe(exc)
    finally:
        close_quietly(client)
