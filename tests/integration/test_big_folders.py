"""Folders whose UID lists outgrow one IMAP response line, on a real Dovecot.

imaplib refuses a line longer than `imaplib._MAXLINE` (1 MB, about 90,000 UIDs); the
limit is lowered here so about a thousand messages stand for a mailbox of hundreds of thousands.
"""

from __future__ import annotations

import imaplib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from imapclient import IMAPClient

from shared_inbox.imap.connection import enable_condstore
from shared_inbox.imap.sync import FolderSync
from shared_inbox.store import Store

pytestmark = pytest.mark.integration

COUNT = 1200
OLD = 200  # outside a 30-day window
LINE_LIMIT = 4000  # a SEARCH naming 1,000 four-digit UIDs is about 5,000 bytes


def _raw(n: int, when: datetime) -> bytes:
    return (
        f"From: Customer {n} <c{n}@customer.test>\r\nTo: support@example.com\r\nSubject: Order {n}\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: <big{n}@customer.test>\r\n\r\nHello\r\n"
    ).encode()


def _login(mailbox) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=mailbox.port, ssl=False)
    client.login(mailbox.user, mailbox.password)
    return client


def _sync(mailbox, store: Store, since_days: int | None):
    client = _login(mailbox)
    enable_condstore(client)
    engine = FolderSync(
        client,
        store,
        our_addresses=frozenset({"support@example.com"}),
        sent_folder="Sent",
        since_days=since_days,
    )
    engine.qresync = False  # expunges are then found by searching the whole folder
    try:
        return engine.sync_folder("INBOX")
    finally:
        engine.close()
        client.logout()


@pytest.mark.parametrize("since_days", [None, 30], ids=["everything", "window"])
def test_a_folder_bigger_than_one_answer_line_is_mirrored_and_follows_expunges(
    mailbox, tmp_path, monkeypatch, since_days
):
    now = datetime.now(UTC)
    old = [_raw(n, now - timedelta(days=60, minutes=n)) for n in range(OLD)]
    recent = [_raw(n, now - timedelta(minutes=COUNT - n)) for n in range(OLD, COUNT)]
    mailbox.bulk_seed(old + recent)
    monkeypatch.setattr(imaplib, "_MAXLINE", LINE_LIMIT)
    expected = COUNT if since_days is None else COUNT - OLD
    with Store.open(tmp_path / "store") as store:
        first = _sync(mailbox, store, since_days)
        assert first.new == expected
        mirrored = set(store.uid_map("INBOX"))
        assert len(mirrored) == expected

        with _login(mailbox) as other:  # a teammate deletes every tenth message
            other.select_folder("INBOX")
            deleted = list(range(1, COUNT + 1, 10))  # a fresh folder numbers its mail from 1
            other.delete_messages(deleted)
            other.expunge()

        again = _sync(mailbox, store, since_days)
        assert set(store.uid_map("INBOX")) == mirrored - set(deleted)
        assert again.expunged == len(mirrored & set(deleted))


def test_older_mail_asked_of_a_big_archive_comes_in_slices(mailbox, tmp_path, monkeypatch):
    now = datetime.now(UTC)
    old = [_raw(n, now - timedelta(days=60, minutes=n)) for n in range(OLD)]
    recent = [_raw(n, now - timedelta(minutes=COUNT - n)) for n in range(OLD, OLD + 20)]
    mailbox.bulk_seed(old + recent)
    with Store.open(tmp_path / "store") as store:
        assert _sync(mailbox, store, 30).new == 20
        monkeypatch.setattr(imaplib, "_MAXLINE", 600)  # a search naming 200 UIDs is about 700 bytes
        client = _login(mailbox)
        engine = FolderSync(
            client, store, our_addresses=frozenset({"support@example.com"}), sent_folder="Sent", since_days=30
        )
        try:
            fetched = engine.fetch_older("INBOX", ["FROM", "customer.test"], 500)
        finally:
            engine.close()
            client.logout()
        assert len(fetched) == OLD
        assert len(store.uid_map("INBOX")) == OLD + 20
