"""The TUI against a real Dovecot mailbox and a real SMTP receiver, driven as an agent would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from shared_inbox.config import load_config
from shared_inbox.domain.model import Status
from shared_inbox.services.session import open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from tests.integration.support import SUPPORT_ADDRESS, write_config
from tests.rig.smtp import SmtpReceiver
from tests.ui.test_app import until

pytestmark = pytest.mark.integration

ME = "alice@example.com"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
CUSTOMERS = (
    ("Ann Oldest", "ann@customer.test"),
    ("Ben Middle", "ben@customer.test"),
    ("Cy New", "cy@shop.test"),
)


def customer_mail(n: int, name: str, address: str, subject: str, *, hours: float) -> bytes:
    lines = [
        f"From: {name} <{address}>",
        f"To: Acme Support <{SUPPORT_ADDRESS}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(START + timedelta(hours=hours))}",
        f"Message-ID: <e2e-{n}@customer.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, this is {name}. Where is my order?",
        "",
    ]
    return "\r\n".join(lines).encode()


def app_config(directory: Path, mailbox: Any, receiver: SmtpReceiver) -> Path:
    """The rig mailbox, SMTP pointed at `receiver`, and a one-second undo window."""
    path = write_config(directory, mailbox, extra="[outbox]\nundo_seconds = 1\n")
    text = path.read_text().replace("port = 2525", f"port = {receiver.port}")
    path.write_text(text)
    return path


def run_app(config_path: Path, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    config = load_config(config_path, {})

    async def run() -> None:
        with open_session(config) as session:
            app = InboxApp(session, sync=True)
            async with app.run_test(size=(160, 40)) as pilot:
                await pilot.pause()
                await scenario(pilot)

    asyncio.run(run())


def inbox_screen(app: InboxApp) -> InboxScreen:
    [screen] = [s for s in app.screen_stack if isinstance(s, InboxScreen)]
    return screen


def notifications(app: InboxApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def test_reply_to_the_oldest_unassigned_conversation_reaches_the_customer(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    for n, (name, address) in enumerate(CUSTOMERS):
        # Arrival times an hour apart, as if they came in over the morning: waiting time counts from arrival.
        arrived = START + timedelta(hours=n)
        mailbox.append(
            "INBOX", customer_mail(n, name, address, f"Order {n} missing", hours=n), internal_date=arrived
        )
    config_path = app_config(tmp_path, mailbox, smtp_receiver)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_screen(app)
        await until(pilot, lambda: app.last_sync is not None and len(screen.conversation_list.rows) == 3)
        await pilot.press("1")  # the Unassigned view
        assert screen.view_id == "unassigned"
        oldest = screen.conversation_list.current
        assert oldest is not None and oldest.customer is not None
        assert oldest.customer.email == "ann@customer.test"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen)
        for character in "Your parcel left today.":
            await pilot.press("space" if character == " " else character)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await until(pilot, lambda: len(smtp_receiver.received) == 1, rounds=900)
        [mail] = smtp_receiver.received
        assert mail.rcpt_tos == ("ann@customer.test",)
        sent = message_from_bytes(mail.raw, policy=policy.default)
        assert "Your parcel left today." in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        conv_id = oldest.id
        await until(pilot, lambda: len(app.session.inbox.conversation(conv_id).message_ids) == 2)  # type: ignore[union-attr]
        updated = app.session.inbox.conversation(conv_id)
        assert updated is not None
        assert updated.state.assignee == ME
        assert updated.state.status is Status.PENDING
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.conversation.id == conv_id
        await until(pilot, lambda: len(list(reader.query(MessageView))) == 2)  # the reply shows up in place
        assert "pending" in str(reader.query_one("#reader-header").visual)
        await pilot.press("q")
        await pilot.pause()
        assert conv_id not in {c.id for c in screen.conversation_list.rows}  # no longer unassigned
        await pilot.press("4")  # Pending
        await until(pilot, lambda: conv_id in {c.id for c in screen.conversation_list.rows})
        screen.conversation_list.move_cursor([c.id for c in screen.conversation_list.rows].index(conv_id))
        await pilot.press("enter")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        views = list(reader.query(MessageView))
        assert len(views) == 2 and views[-1].meta.outgoing

    run_app(config_path, scenario)


def test_new_mail_arrives_with_a_notification_and_flags_follow_the_server(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    mailbox.deliver(customer_mail(10, "Ann Oldest", "ann@customer.test", "First question", hours=0))
    config_path = app_config(tmp_path, mailbox, smtp_receiver)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_screen(app)
        await until(pilot, lambda: "idle" in app.status_line and len(screen.conversation_list.rows) == 1)
        assert not any("New mail" in n for n in notifications(app))  # the backlog is not announced
        mailbox.deliver(customer_mail(11, "Cy New", "cy@shop.test", "Refund please", hours=1))
        # The list hears of the mail from the store; the round's end then announces it.
        await until(pilot, lambda: len(screen.conversation_list.rows) == 2)
        await until(
            pilot,
            lambda: any(
                "New mail" in n and "Cy New" in n and "Refund please" in n for n in notifications(app)
            ),
        )
        first = next(c for c in screen.conversation_list.rows if c.subject == "First question")
        assert first.unread
        with mailbox.imap() as client:  # another mail client reads the message
            client.select_folder("INBOX")
            client.add_flags(client.search(["SUBJECT", "First question"]), [b"\\Seen"])

        def read_here() -> bool:
            conv = app.session.inbox.conversation(first.id)
            shown = next(c for c in screen.conversation_list.rows if c.id == first.id)
            return conv is not None and not conv.unread and not shown.unread

        await until(pilot, read_here)

    run_app(config_path, scenario)
