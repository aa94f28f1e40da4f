"""Closing a session while its sync loops run: they finish their writes first, nothing writes after."""

from __future__ import annotations

import threading

import pytest

from shared_inbox.services.syncing import SyncRound
from tests.integration.team_support import customer_mail, make_agent

pytestmark = pytest.mark.integration


def test_close_waits_for_the_watch_and_its_team_thread(mailbox, tmp_path):
    mailbox.deliver(customer_mail(1))
    agent = make_agent(tmp_path / "bob", mailbox, "bob@example.com")
    service = agent.session.sync_service(fetch_bodies=False)
    service.team = agent.team
    stop = threading.Event()
    idling = threading.Event()
    errors: list[BaseException] = []

    def state(name: str, _detail: str) -> None:
        if name == "idle":
            idling.set()

    def rounds(_result: SyncRound) -> None:
        pass

    def run() -> None:
        try:
            service.watch(stop, rounds, state)
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever escaped
            errors.append(exc)

    previous_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # the team thread's own failures
    try:
        watcher = threading.Thread(target=run, name="watch")
        watcher.start()
        assert idling.wait(30)
        teams = [t for t in threading.enumerate() if t.name == "team-events"]
        assert teams, "the team watch runs beside the inbox watch"
        stop.set()
        agent.close()
        assert not watcher.is_alive() and not any(t.is_alive() for t in teams)
        watcher.join()
    finally:
        threading.excepthook = previous_hook
    assert errors == []
