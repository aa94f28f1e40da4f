"""Configured folder names on real servers: one rule ('/' between levels, personal namespace)."""

from __future__ import annotations

import pytest

from shared_inbox.store import Store
from tests.integration.support import cli, list_json, write_config
from tests.rig.cyrus import CyrusServer

pytestmark = pytest.mark.integration

MAIL = "From: ann@customer.test\r\nSubject: {subject}\r\nMessage-ID: <{n}@customer.test>\r\n\r\nHello.\r\n"


def mail(n: int, subject: str = "Order") -> bytes:
    return MAIL.format(n=n, subject=subject).encode()


def test_nested_non_ascii_folder_syncs_on_every_server(any_mailbox, tmp_path):
    configured = "Kunden/Bestätigt"  # modified UTF-7 on the wire, '/' or '.' between levels
    with any_mailbox.imap() as client:
        client.create_folder(any_mailbox.folder(configured))
    any_mailbox.append(any_mailbox.folder(configured), mail(1, "Bestellung"))
    config = write_config(tmp_path, any_mailbox, folders=("INBOX", configured))
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "does not exist" not in done.stderr
    assert [c["message_ids"] for c in list_json(config)] == [["1@customer.test"]]
    with Store.open(tmp_path / "store") as store:
        assert store.folder_state(any_mailbox.folder(configured)) is not None


@pytest.mark.parametrize("sent_folder", ["Sent", "INBOX/Sent", "INBOX.Sent"])
def test_every_spelling_of_sent_finds_cyrus_sent_folder(cyrus: CyrusServer, sent_folder, tmp_path):
    box = cyrus.new_mailbox("t")
    box.append("INBOX.Sent", mail(1, "Our answer"), flags=[b"\\Seen"])
    config = write_config(tmp_path, box)
    config.write_text(config.read_text().replace('sent_folder = "Sent"', f'sent_folder = "{sent_folder}"'))
    done = cli(config, "sync", "--once")
    assert done.returncode == 0 and "does not exist" not in done.stderr, done.stderr
    [conv] = list_json(config)
    assert conv["message_kinds"]["agent"] == 1
