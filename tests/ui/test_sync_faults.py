"""The app's sync worker against a real Dovecot behind a FaultProxy, one IMAP stage cut at a
time: the worker reports the lost connection in one sentence, waits longer after each failed
attempt, and syncs again by itself once the server answers properly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot

from shared_inbox.config import load_config
from shared_inbox.services.session import open_session
from shared_inbox.ui import app as app_module
from shared_inbox.ui.app import InboxApp, SyncStateChanged
from tests.integration.fault_support import RETRY, mail, proxied_config
from tests.rig.faultproxy import Fault
from tests.ui.test_app import drive, until

WATCH_STAGES = ["greeting", "capability", "starttls", "login", "select", "fetch-literal", "idle"]


class WatchedApp(InboxApp):
    """The real app, keeping the sync states it was told about, in order."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.states: list[tuple[str, str]] = []

    def on_sync_state_changed(self, event: SyncStateChanged) -> None:
        self.states.append((event.state, event.detail))
        super().on_sync_state_changed(event)


def mail_sync_waits(app: WatchedApp) -> list[int]:
    return [
        int(match.group(1))
        for state, detail in app.states
        if state == "offline" and not detail.startswith("team events") and (match := RETRY.search(detail))
    ]


@pytest.mark.parametrize("stage", WATCH_STAGES)
def test_the_sync_worker_backs_off_then_recovers(stage, mailbox, imap_proxy, tmp_path) -> None:
    mailbox.deliver(mail(1))
    config = load_config(proxied_config(tmp_path, mailbox, imap_proxy, stage), os.environ)
    imap_proxy.inject(Fault("cut", stage=stage, times=None))

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WatchedApp)
        await until(pilot, lambda: mail_sync_waits(app)[:2] == [1, 2], rounds=1200)
        imap_proxy.clear()
        seen = len(app.states)
        await until(pilot, lambda: ("idle", "INBOX") in app.states[seen:], rounds=1200)
        assert app.connection == "idle"
        assert [list(c.message_ids) for c in app.session.inbox.conversations()] == [["m1@customer.test"]]

    with open_session(config) as session:
        app = WatchedApp(session, sync=True)
        drive(app, scenario)
    offline = [detail for state, detail in app.states if state == "offline"]
    assert offline and all("was lost" in detail and "Retrying in" in detail for detail in offline), offline
    assert not any("=>" in detail or "socket error" in detail for detail in offline)
