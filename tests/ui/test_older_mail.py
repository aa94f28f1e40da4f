"""H in the reader: a customer's mail older than the local window comes from the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from textual.pilot import Pilot

from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.integration.test_sync import mail
from tests.rig.smtp import SmtpReceiver
from tests.ui.test_app import until
from tests.ui.test_end_to_end import app_config, inbox_screen, notifications, run_app

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def test_h_brings_the_customers_older_conversation_from_the_server(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    with IMAPClient("127.0.0.1", port=mailbox.port, ssl=False) as client:
        client.login(mailbox.user, mailbox.password)
        client.append("INBOX", mail(1, "Last year's order"), msg_time=NOW - timedelta(days=300))
        client.append("INBOX", mail(2, "Broken again"), msg_time=NOW - timedelta(days=1))
    config = app_config(tmp_path, mailbox, smtp_receiver)
    config.write_text(config.read_text().replace("[imap]\n", '[imap]\nsync_since = "90d"\n', 1))

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_screen(app)
        await until(pilot, lambda: "idle" in app.status_line and len(screen.conversation_list.rows) == 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await pilot.press("H")
        await until(pilot, lambda: any("1 older message fetched" in n for n in notifications(app)))
        subjects = {c.subject for c in app.session.inbox.conversations()}
        assert subjects == {"Last year's order", "Broken again"}

    run_app(config, scenario)
