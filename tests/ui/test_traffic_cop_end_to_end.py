"""The Traffic Cop against Dovecot and a real SMTP receiver: a stale reply waits for the agent's word."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from shared_inbox.outbox import OutboxState
from shared_inbox.services.traffic_cop import HeldReplies
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.screens.traffic_cop import TrafficCopScreen
from tests.integration.support import SUPPORT_ADDRESS
from tests.rig.smtp import SmtpReceiver
from tests.ui.test_end_to_end import START, app_config, customer_mail, inbox_screen, run_app, until

pytestmark = pytest.mark.integration


def follow_up(text: str) -> bytes:
    """The customer writes again in the same thread."""
    lines = [
        "From: Ann Oldest <ann@customer.test>",
        f"To: Acme Support <{SUPPORT_ADDRESS}>",
        "Subject: Re: Order 0 missing",
        f"Date: {format_datetime(START + timedelta(hours=5))}",
        "Message-ID: <e2e-follow@customer.test>",
        "In-Reply-To: <e2e-0@customer.test>",
        "References: <e2e-0@customer.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
        "",
    ]
    return "\r\n".join(lines).encode()


def test_a_stale_reply_is_held_until_confirmed_and_then_sent_once(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    mailbox.deliver(customer_mail(0, "Ann Oldest", "ann@customer.test", "Order 0 missing", hours=0))
    config_path = app_config(tmp_path, mailbox, smtp_receiver)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_screen(app)
        await until(pilot, lambda: "idle" in app.status_line and len(screen.conversation_list.rows) == 1)
        conv_id = screen.conversation_list.rows[0].id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press(*"Shipped")
        mailbox.deliver(follow_up("Never mind, I found it at the neighbours."))

        def follow_up_synced() -> bool:
            conv = app.session.inbox.conversation(conv_id)
            return conv is not None and len(conv.message_ids) == 2

        await until(pilot, follow_up_synced)
        await pilot.press("ctrl+s")
        await pilot.pause()
        cop = app.screen
        assert isinstance(cop, TrafficCopScreen)
        news = "\n".join(str(s.visual) for s in cop.query(".traffic-item").results(Static))
        assert "New message from Ann Oldest" in news
        # Several outbox checks pass while the agent reads: nothing is queued, nothing leaves.
        await pilot.pause(4.0)
        assert app.replies.outbox.entries() == []
        assert smtp_receiver.received == []
        assert conv_id in HeldReplies(app.session.store).conversation_ids()
        await pilot.press("s")  # send anyway
        await pilot.pause()
        await until(pilot, lambda: len(smtp_receiver.received) == 1, rounds=900)
        [entry] = app.replies.outbox.entries()
        await until(pilot, lambda: app.replies.outbox.get(entry.id).state is OutboxState.SENT, rounds=900)

        def reply_synced() -> bool:
            conv = app.session.inbox.conversation(conv_id)
            return conv is not None and len(conv.message_ids) == 3

        await until(pilot, reply_synced)
        await pilot.pause(4.0)  # more outbox checks: the confirmed reply is not sent again
        assert len(smtp_receiver.received) == 1
        [mail] = smtp_receiver.received
        assert mail.rcpt_tos == ("ann@customer.test",)
        assert b"Shipped" in mail.raw
        assert HeldReplies(app.session.store).conversation_ids() == frozenset()

    run_app(config_path, scenario)
