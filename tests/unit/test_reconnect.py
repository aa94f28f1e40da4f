"""The one reconnect loop shared by the mail sync and the team watcher."""

from __future__ import annotations

import threading
from typing import Any

from shared_inbox.net.errors import AuthError, ConnectionLost
from shared_inbox.services.reconnect import Backoff, keep_connected


def test_backoff_doubles_up_to_its_ceiling_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(start=1.0, ceiling=8.0)
    assert [backoff.next_wait() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_wait() == 1.0


class FakeClient:
    def logout(self) -> None:
        pass


def run_loop(outcomes: list[Any], *, healthy_after: set[int] = frozenset()) -> list[tuple[str, str]]:
    """Each outcome is what one connection attempt does: an exception to raise, or "use"."""
    states: list[tuple[str, str]] = []
    stop = threading.Event()
    attempt = {"n": 0}

    def connect() -> Any:
        outcome = outcomes[attempt["n"]]
        attempt["n"] += 1
        if isinstance(outcome, Exception):
            raise outcome
        return FakeClient()

    def use(client: Any, healthy: Any) -> None:
        if attempt["n"] in healthy_after:
            healthy()
        if attempt["n"] >= len(outcomes):
            stop.set()
            return
        raise ConnectionError("dropped")

    keep_connected(
        connect,
        use,
        stop,
        lambda state, detail: states.append((state, detail)),
        lambda exc: "The connection was lost.",
        announce="mail.example",
        backoff=Backoff(start=0.001, ceiling=0.004),
    )
    return states


def test_failures_wait_longer_each_time_until_a_connection_works() -> None:
    lost = ConnectionLost("The connection to the IMAP server was lost before it greeted.")
    states = run_loop([lost, lost, lost, "use"])
    offline = [detail for state, detail in states if state == "offline"]
    assert len(offline) == 3 and all(d.startswith(str(lost)) for d in offline)
    assert [s for s, _ in states].count("connecting") == 4


def test_a_connection_that_did_work_starts_the_backoff_over() -> None:
    states = run_loop(["use", "use", "use"], healthy_after={1, 2})
    assert [state for state, _ in states if state == "offline"] == ["offline", "offline"]
    assert all(
        detail == "The connection was lost. Retrying in 0 s." for s, detail in states if s == "offline"
    )


def test_a_refused_login_ends_the_loop() -> None:
    states = run_loop([AuthError("IMAP login failed for user x: wrong password")])
    assert states == [
        ("connecting", "mail.example"),
        ("auth-failed", "IMAP login failed for user x: wrong password"),
    ]
