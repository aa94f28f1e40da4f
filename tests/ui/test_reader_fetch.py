"""The reader fills in a body the sync has not downloaded, through the body service, from a real Dovecot."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from shared_inbox.config import load_config
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.reader import UNAVAILABLE, MessageView, ReaderScreen
from tests.integration.support import write_config
from tests.integration.test_sync import mail
from tests.ui.test_app import drive, until

pytestmark = pytest.mark.integration


def body_text(view: MessageView) -> str:
    return "\n".join(str(static.visual) for static in view.query(".message-body Static").results(Static))


def read_missing_body(session: Session) -> tuple[bool, str]:
    """Open the one conversation in an app that syncs; once its body is settled, whether it is
    the message itself and the text shown."""
    conv = session.inbox.conversations()[0]
    app = InboxApp(session, sync=False)
    seen: list[tuple[bool, str]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        app.sync_enabled = True  # as a syncing app: missing bodies are fetched, no sync loop runs
        reader = ReaderScreen(session, conv)
        await app.push_screen(reader)
        view = reader.query_one(MessageView)
        await until(pilot, lambda: view.has_body or body_text(view) == UNAVAILABLE)
        seen.append((view.has_body, body_text(view)))

    drive(app, scenario)
    return seen[0]


def test_a_body_the_sync_skipped_is_fetched_when_the_conversation_opens(tmp_path: Path, mailbox: Any) -> None:
    mailbox.deliver(mail(1, "Where is my parcel?", body="Order 4711 never came."))
    config = load_config(write_config(tmp_path, mailbox))
    with open_session(config) as session:
        session.sync_service(fetch_bodies=False).sync_once()
    with open_session(config) as session:
        assert session.store.load_raw("m1@customer.test") is None
        has_body, text = read_missing_body(session)
        assert has_body and "Order 4711 never came." in text


def test_an_unreachable_server_leaves_a_sentence_not_an_error(tmp_path: Path, mailbox: Any) -> None:
    mailbox.deliver(mail(1, "Where is my parcel?", body="Order 4711 never came."))
    with open_session(load_config(write_config(tmp_path, mailbox))) as session:
        session.sync_service(fetch_bodies=False).sync_once()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with open_session(load_config(write_config(tmp_path, mailbox, port=closed_port))) as session:
        has_body, text = read_missing_body(session)
        assert not has_body and text == UNAVAILABLE
