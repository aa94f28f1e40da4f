"""Special-use folders (RFC 6154) against a Dovecot whose folders are not called "Sent", "Junk"...:
the Sent copy of a reply and the sync find them by their flags, and the config can override them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_inbox.imap.special_use import SpecialFolders, discover
from tests.integration.support import cli, list_json
from tests.integration.test_send import (
    body_file,
    customer_mail,
    folder_messages,
    ok,
    queue_reply,
    send_config,
)
from tests.rig.dovecot import DovecotServer, RigMailbox, find_dovecot
from tests.rig.smtp import SmtpReceiver
from tests.rig.tls import TlsFiles

pytestmark = pytest.mark.integration

LOCALIZED = {
    "Gesendete Elemente": "\\Sent",
    "Entwürfe": "\\Drafts",
    "Spam-Verdacht": "\\Junk",
    "Ablage": "\\Archive",
    "Gelöschte Elemente": "\\Trash",
}


@pytest.fixture(scope="module")
def localized_dovecot(rig_tls: TlsFiles) -> Iterator[DovecotServer]:
    """A Dovecot whose special folders carry German names, flagged by `special_use`."""
    if find_dovecot() is None:
        pytest.skip("Dovecot missing: .ci/run must install it")
    server = DovecotServer(tls=rig_tls, special_folders=LOCALIZED)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def box(localized_dovecot: DovecotServer) -> RigMailbox:
    return localized_dovecot.new_mailbox("su")


def test_special_folders_are_found_by_their_flags(box: RigMailbox) -> None:
    with box.imap() as client:
        assert client.has_capability("SPECIAL-USE")
        found = discover(client)
    assert found == SpecialFolders(
        sent="Gesendete Elemente",
        drafts="Entwürfe",
        junk="Spam-Verdacht",
        archive="Ablage",
        trash="Gelöschte Elemente",
    )


def unnamed_sent(config: Path, sent: str | None = None) -> Path:
    """The config without the Sent folder's name (found by flag), or with `sent` written in."""
    text = config.read_text()
    assert 'sent_folder = "Sent"\n' in text
    config.write_text(text.replace('sent_folder = "Sent"\n', f'sent_folder = "{sent}"\n' if sent else ""))
    return config


def test_the_sent_copy_goes_to_the_flagged_folder_and_is_synced_from_there(
    box: RigMailbox, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = unnamed_sent(send_config(tmp_path, box, smtp_receiver))
    box.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)

    queue_reply(config, conv["id"], body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))

    [mail] = smtp_receiver.wait_for(1)
    [(copy, flags)] = folder_messages(box, "Gesendete Elemente")
    assert copy == mail.raw and b"\\Seen" in flags
    with box.imap() as client:
        assert not client.folder_exists("Sent")  # no second Sent folder made by name
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)
    assert conv["message_count"] == 2


def test_config_check_names_the_special_folders(
    box: RigMailbox, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = unnamed_sent(send_config(tmp_path, box, smtp_receiver))
    text = config.read_text().replace("batch_size", 'junk_folder = "Spam-Verdacht/Alt"\nbatch_size')
    config.write_text(text)

    report = ok(cli(config, "config", "check")).stdout

    assert "imap.sent_folder = the folder the server flags \\Sent (else Sent)  (default)" in report
    assert (
        "special folders: sent = Gesendete Elemente, drafts = Entwürfe, junk = Spam-Verdacht/Alt, "
        "archive = Ablage, trash = Gelöschte Elemente"
    ) in report


def test_a_sent_folder_named_in_the_config_wins_over_the_flag(
    box: RigMailbox, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = unnamed_sent(send_config(tmp_path, box, smtp_receiver), sent="Ablage")
    box.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)

    queue_reply(config, conv["id"], body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))

    [mail] = smtp_receiver.wait_for(1)
    assert [copy for copy, _ in folder_messages(box, "Ablage")] == [mail.raw]
    assert folder_messages(box, "Gesendete Elemente") == []
