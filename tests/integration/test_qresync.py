"""Quick resynchronisation (RFC 7162) against a real Dovecot: changes come with the SELECT."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from shared_inbox.imap.connection import enable_condstore
from shared_inbox.imap.sync import FolderSync
from shared_inbox.store import Store
from tests.integration.test_sync import mail

pytestmark = pytest.mark.integration


def _login(mailbox) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=mailbox.port, ssl=False)
    client.login(mailbox.user, mailbox.password)
    return client


class _Recorder:
    """Notes every command name and argument the connection sends."""

    def __init__(self, client: IMAPClient) -> None:
        self.sent: list[str] = []
        imap = client._imap
        original = imap._command

        def command(name, *args):
            words = [a.decode() if isinstance(a, bytes) else str(a) for a in args if a is not None]
            self.sent.append(" ".join([name, *words]))
            return original(name, *args)

        imap._command = command


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    with Store.open(tmp_path / "store") as opened:
        yield opened


def _sync(mailbox, store: Store, recorder: bool = False):
    client = _login(mailbox)
    enable_condstore(client)
    seen = _Recorder(client) if recorder else None
    engine = FolderSync(client, store, our_addresses=frozenset({"support@example.com"}), sent_folder="Sent")
    try:
        report = engine.sync_folder("INBOX")
    finally:
        engine.close()
        client.logout()
    return report, seen, client


def test_expunges_and_flag_changes_arrive_with_the_select(mailbox, store):
    for n in range(1, 13):
        mailbox.deliver(mail(n, f"Topic {n}"))
    first, _, client = _sync(mailbox, store)
    assert first.new == 12 and client.qresync_enabled
    with _login(mailbox) as other:
        other.select_folder("INBOX")
        uids = sorted(other.search("ALL"))
        other.add_flags(uids[0:2], [b"\\Flagged"])
        other.delete_messages(uids[5:8])
        other.expunge()
    mailbox.deliver(mail(13, "Topic 13"))

    report, seen, _ = _sync(mailbox, store, recorder=True)

    assert report.expunged == 3 and report.new == 1
    assert sorted(report.flagged_ids) == ["m1@customer.test", "m2@customer.test"]
    assert store.message("m1@customer.test").flags == {"\\Flagged"}
    remaining = sorted(store.uid_map("INBOX").values())
    assert "m6@customer.test" not in remaining and len(remaining) == 10
    selects = [c for c in seen.sent if c.startswith("SELECT")]
    assert len(selects) == 1 and "QRESYNC" in selects[0]
    assert not any(c.startswith("SEARCH") and c.endswith("ALL") for c in seen.sent), seen.sent
    assert not any(c.startswith("UID FETCH") and "FLAGS" in c and "CHANGEDSINCE" in c for c in seen.sent)


def test_without_changes_nothing_but_the_status_is_asked(mailbox, store):
    for n in range(1, 4):
        mailbox.deliver(mail(n, f"Topic {n}"))
    _sync(mailbox, store)
    report, seen, _ = _sync(mailbox, store, recorder=True)
    assert report.unchanged
    assert not any(c.startswith("SELECT") for c in seen.sent)


def test_a_changed_uidvalidity_still_rereads_the_folder(dovecot, mailbox, store):
    for n in range(1, 4):
        mailbox.deliver(mail(n, f"Topic {n}"))
    _sync(mailbox, store)
    with _login(mailbox) as other:
        other.select_folder("INBOX")
        other.add_flags(sorted(other.search("ALL"))[:1], [b"\\Seen"])  # so the STATUS check cannot skip
    dovecot.reset_uidvalidity(mailbox.user, "INBOX")
    report, _, _ = _sync(mailbox, store)
    assert report.uidvalidity_reset
    assert len(store.uid_map("INBOX")) == 3
