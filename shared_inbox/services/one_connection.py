"""One IMAP connection per agent: INBOX idles, and team events ride on the same connection.

Providers cap simultaneous connections per account (Gmail: 15), and two per agent
(INBOX and the team events folder each idling) runs out at seven agents. With
`[imap] connections = 1` no team watcher is started: the INBOX connection exchanges
team events on every wake-up, ends its IDLE at least every TEAM_EVERY seconds so that
teammates' changes still arrive, and ends it at once when a local change wants shipping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from shared_inbox.services.team_states import TEAM_OFF, TEAM_ON

TEAM_EVERY = 30.0  # seconds: the longest a teammate's change waits with one connection


class StopOrNudge(threading.Event):
    """Seen as set when the owner stops the loop or a local change wants shipping now.

    wait_for_change only asks is_set() between its one-second slices, so a nudge ends
    the IDLE within about a second.
    """

    def __init__(self, stop: threading.Event, nudged: threading.Event) -> None:
        super().__init__()
        self._stop, self._nudged = stop, nudged

    def is_set(self) -> bool:
        return self._stop.is_set() or self._nudged.is_set()


def shares_connection(connections: int, team: object | None) -> bool:
    """Whether the team exchange rides on the INBOX connection instead of its own."""
    return team is not None and connections == 1


def idle_wait(wait: float, team_every: float | None) -> float:
    """How long one IDLE may last: short enough for teammates' changes when the team shares it."""
    return min(wait, team_every) if team_every is not None else wait


class SharingStates:
    """Team sharing's own states from the exchanges on the shared connection: off (why) once, on when back."""

    def __init__(self, on_state: Callable[[str, str], None]) -> None:
        self._on_state = on_state
        self._off: str | None = None

    def after(self, error: str | None) -> None:
        """Report an exchange's outcome: None when it went through, else why it did not."""
        if error is not None and error != self._off:
            self._on_state(TEAM_OFF, f"team sharing off: {error}")
        elif error is None and self._off is not None:
            self._on_state(TEAM_ON, "team sharing on")
        self._off = error
