"""H in the reader: a customer's mail older than the local window comes from the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from textual.pilot import Pilot
from textual.widgets import OptionList

from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.widgets.customer_panel import CustomerPanel
from tests.integration.test_sync import mail
from tests.rig.smtp import SmtpReceiver
from tests.ui.test_app import until
from tests.ui.test_end_to_end import app_config, inbox_screen, notifications, run_app

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def windowed_mailbox(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver, mails: dict[str, int]
) -> Path:
    """The mailbox holding `mails` (subject -> days ago) and an app config keeping 90 days of it."""
    with IMAPClient("127.0.0.1", port=mailbox.port, ssl=False) as client:
        client.login(mailbox.user, mailbox.password)
        for n, (subject, days) in enumerate(mails.items(), start=1):
            client.append("INBOX", mail(n, subject), msg_time=NOW - timedelta(days=days))
    config = app_config(tmp_path, mailbox, smtp_receiver)
    config.write_text(config.read_text().replace("[imap]\n", '[imap]\nsync_since = "90d"\n', 1))
    return config


async def until_synced(pilot: Pilot[None], rows: int) -> tuple[InboxApp, Any]:
    """The app and its inbox screen, once the first sync shows `rows` conversations."""
    app = pilot.app
    assert isinstance(app, InboxApp)
    screen = inbox_screen(app)
    await until(pilot, lambda: "idle" in app.status_line and len(screen.conversation_list.rows) == rows)
    return app, screen


def test_h_brings_the_customers_older_conversation_from_the_server(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    config = windowed_mailbox(tmp_path, mailbox, smtp_receiver, {"Last year's order": 300, "Broken again": 1})

    async def scenario(pilot: Pilot[None]) -> None:
        app, screen = await until_synced(pilot, 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await pilot.press("H")
        await until(pilot, lambda: any("1 older message fetched" in n for n in notifications(app)))
        subjects = {c.subject for c in app.session.inbox.conversations()}
        assert subjects == {"Last year's order", "Broken again"}
        await pilot.press("escape")  # history is not work: the list still shows the one conversation
        await until(pilot, lambda: isinstance(app.screen, type(screen)))
        assert [c.subject for c in screen.conversation_list.rows] == ["Broken again"]
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(app.screen, ReaderScreen) and bool(app.screen.query(CustomerPanel))
        )
        (option,) = app.screen.query_one(CustomerPanel).query_one(OptionList).options
        assert "Last year's order" in str(option.prompt)
        assert str(option.prompt).endswith(" · from the server")

    run_app(config, scenario)


def test_h_in_a_search_asks_the_server_and_the_search_line_counts_its_share(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    mails = {"Refund for last year's order": 300, "Refund again": 1, "Old password question": 200}
    config = windowed_mailbox(tmp_path, mailbox, smtp_receiver, mails)

    async def scenario(pilot: Pilot[None]) -> None:
        app, screen = await until_synced(pilot, 1)
        await pilot.press("H")
        await until(pilot, lambda: any("Search first (/)" in n for n in notifications(app)))
        await pilot.press("slash", *"refund", "enter")
        await until(pilot, lambda: screen.search_query == "refund")
        line = str(screen.query_one("#search-line").render())
        assert "1 found  ·  H searches older mail on the server" in line
        await pilot.press("H")
        await until(pilot, lambda: any("1 older message fetched" in n for n in notifications(app)))
        await until(pilot, lambda: len(screen.conversation_list.rows) == 2)
        assert {c.subject for c in screen.conversation_list.rows} == {
            "Refund for last year's order",
            "Refund again",
        }
        assert "2 found  ·  1 message from the server" in str(screen.query_one("#search-line").render())
        # History is found by search; it is not work, however long it waited for an answer.
        assert screen.counts["open"] == screen.counts["unassigned"] == 1
        await pilot.press("escape")
        await until(pilot, lambda: not screen.search_query)
        assert [c.subject for c in screen.conversation_list.rows] == ["Refund again"]

    run_app(config, scenario)
