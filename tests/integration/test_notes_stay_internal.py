"""Internal notes and customer profiles never leave as mail: not over SMTP, not into any IMAP folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared_inbox.config import load_config
from shared_inbox.services.notes import conversation_notes, customer_record
from shared_inbox.services.session import open_session
from tests.integration.support import cli
from tests.integration.test_send import (
    CUSTOMER,
    folder_messages,
    ok,
    outbox_json,
    send_config,
    synced_conversation,
)
from tests.rig.smtp import SmtpReceiver

pytestmark = pytest.mark.integration

FOLDERS = ("INBOX", "Sent")


def server_contents(mailbox: Any) -> dict[str, list[tuple[bytes, tuple[bytes, ...]]]]:
    return {folder: sorted(folder_messages(mailbox, folder)) for folder in FOLDERS}


def test_notes_are_never_sent_or_stored_on_the_server(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config_path = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config_path, mailbox)
    before = server_contents(mailbox)

    with open_session(load_config(config_path)) as session:
        commands = session.commands
        note = commands.add_note(conv_id, "@bob the customer is upset, call her", ["bob@example.com"])
        commands.edit_note(conv_id, str(note.data["note"]), "@bob call her before noon", ["bob@example.com"])
        commands.add_note(conv_id, "Refund of 20 EUR approved")
        commands.set_customer_field(conv_id, CUSTOMER, "company", "Initech")
        commands.add_customer_note(conv_id, CUSTOMER, "Prefers phone calls")

    ok(cli(config_path, "outbox", "--flush"))
    ok(cli(config_path, "sync", "--once", "--quiet"))
    ok(cli(config_path, "outbox", "--flush"))

    assert smtp_receiver.received == []
    assert outbox_json(config_path) == []
    assert server_contents(mailbox) == before
    with open_session(load_config(config_path)) as session:  # still there for the team, after a sync
        texts = [n.text for n in conversation_notes(session.inbox, conv_id)]
        assert texts == ["@bob call her before noon", "Refund of 20 EUR approved"]
        assert customer_record(session.inbox, CUSTOMER).value("company") == "Initech"
