"""The Cyrus IMAP server of the rig: Debian's stock namespace, delivery, and the events tests need."""

from __future__ import annotations

import pytest
from imapclient.exceptions import IMAPClientError

from tests.rig.cyrus import CyrusServer

pytestmark = pytest.mark.integration

MAIL = b"From: ann@customer.test\r\nSubject: hello\r\nMessage-ID: <c1@customer.test>\r\n\r\nHi.\r\n"


def test_personal_folders_live_under_inbox_dot_as_on_debian(cyrus: CyrusServer) -> None:
    box = cyrus.new_mailbox("rig")
    with box.imap() as client:
        personal = client.namespace().personal
        assert tuple(personal[0]) == ("INBOX.", ".")
        with pytest.raises(IMAPClientError, match="Permission denied"):
            client.create_folder("Elsewhere")
        names = {name for _, _, name in client.list_folders()}
    assert {"INBOX", "INBOX.Sent", "INBOX.Drafts", "INBOX.Trash", "INBOX.Junk"} <= names
    assert box.folder("A/B") == "INBOX.A.B"


def test_lmtp_delivery_and_a_new_uidvalidity_keep_the_mail(cyrus: CyrusServer) -> None:
    box = cyrus.new_mailbox("rig")
    box.deliver(MAIL)
    with box.imap() as client:
        before = client.select_folder("INBOX")[b"UIDVALIDITY"]
        client.add_flags(client.search("ALL"), [b"\\Flagged"])
    after = cyrus.reset_uidvalidity(box.user, "INBOX")
    assert after != before
    with box.imap() as client:
        client.select_folder("INBOX", readonly=True)
        [(_, data)] = client.fetch(
            client.search("ALL"), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
        ).items()
    assert b"\\Flagged" in data[b"FLAGS"] and b"c1@customer.test" in data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]


def test_a_wrong_password_is_refused(cyrus: CyrusServer) -> None:
    box = cyrus.new_mailbox("rig")
    with pytest.raises(IMAPClientError):
        cyrus.imap(box.user, box.password + "x")


def test_kick_drops_an_idling_client(cyrus: CyrusServer) -> None:
    box = cyrus.new_mailbox("rig")
    client = box.imap()
    client.select_folder("INBOX")
    client.idle()
    assert cyrus.kick(box.user)
    with pytest.raises((OSError, IMAPClientError, EOFError)):
        client.idle_check(5)
        client.idle_done()
    client.shutdown()
