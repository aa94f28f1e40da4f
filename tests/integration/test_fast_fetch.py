"""The fast FETCH path against a real Dovecot: the same answers imapclient's fetch gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from shared_inbox.corpus import generate
from shared_inbox.imap import fast_fetch
from shared_inbox.imap.fast_fetch import FetchItems, ResponseRecords, fetch_headers
from shared_inbox.imap.sync import HEADER_ITEMS
from tests.rig.dovecot import RigMailbox

pytestmark = pytest.mark.integration

START = datetime(2026, 8, 1, tzinfo=UTC)
EML_DIR = Path(__file__).parent.parent / "data" / "eml"
BATCH = 64
KEYWORDS = [
    b"\\Seen",
    b"\\Answered",
    b"\\Flagged",
    b"$Forwarded",
    b"Junk",
    b"$label1",
    b"shared-inbox.assigned",
]
UNUSUAL = [
    b"X-Nothing-Wanted: 1\r\n\r\nno header the sync asks for\r\n",  # empty header block
    b'Subject: =?utf-8?q?caf=C3=A9?= \xc3\xa9 raw "quoted" (parens) {5}\r\nFrom: a@b.test\r\n\r\nx\r\n',
    b"From: b@c.test\r\nSubject: long" + b"\r\n long" * 3000 + b"\r\n\r\nx\r\n",  # a big literal
]


@pytest.fixture
def client(mailbox: RigMailbox) -> Iterator[IMAPClient]:
    """A few hundred varied corpus messages in INBOX and Sent, plus odd ones, with flags set."""
    by_folder: dict[str, list[bytes]] = {}
    for folder, raw in generate(300, seed=5, start=START):
        by_folder.setdefault(folder, []).append(raw)
    for folder, raws in by_folder.items():
        mailbox.bulk_seed(raws, folder)
    for path in sorted(EML_DIR.glob("*.eml")):
        mailbox.append("INBOX", path.read_bytes(), flags=[b"\\Seen"], internal_date=START - timedelta(days=3))
    for raw in UNUSUAL:
        mailbox.deliver(raw)
    connection = mailbox.imap()
    try:
        for folder in ("INBOX", "Sent"):
            connection.select_folder(folder)
            uids = connection.search("ALL")
            for index, keyword in enumerate(KEYWORDS):
                connection.add_flags(uids[index :: len(KEYWORDS) + 1], [keyword], silent=True)
        yield connection
    finally:
        connection.logout()


@pytest.fixture
def fast_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if any answer had to be read by imapclient's parser instead of the fast one."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast parser gave up on a Dovecot answer")

    monkeypatch.setattr(fast_fetch, "reference_parse", refuse)


def batches(uids: list[int]) -> list[list[int]]:
    return [uids[start : start + BATCH] for start in range(0, len(uids), BATCH)]


@pytest.mark.parametrize("normalise_times", [True, False])
def test_header_batches_match_imapclient(
    client: IMAPClient, fast_path_only: None, utc_plus_three: None, normalise_times: bool
) -> None:
    client.normalise_times = normalise_times
    compared = 0
    for folder in ("INBOX", "Sent"):
        client.select_folder(folder, readonly=True)
        for batch in batches(client.search("ALL")):
            fast = fetch_headers(client, batch, HEADER_ITEMS)
            assert fast == client.fetch(batch, HEADER_ITEMS)
            assert sorted(fast) == batch
            compared += len(fast)
    assert compared > 300


def test_other_item_lists_match_imapclient(client: IMAPClient, fast_path_only: None) -> None:
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    for items in ([b"FLAGS"], [b"BODY.PEEK[HEADER]", b"UID", b"RFC822.SIZE"], [b"INTERNALDATE", b"FLAGS"]):
        for batch in batches(uids):
            assert fetch_headers(client, batch, items) == client.fetch(batch, items)


def test_modseq_is_included_once_condstore_is_enabled(mailbox: RigMailbox, fast_path_only: None) -> None:
    mailbox.bulk_seed([raw for _, raw in generate(40, seed=9, start=START)])
    with mailbox.imap() as connection:
        connection.enable("CONDSTORE")
        connection.select_folder("INBOX")
        uids = connection.search("ALL")
        connection.add_flags(uids[::3], [b"$Forwarded"])
        items = [*HEADER_ITEMS, b"MODSEQ"]
        fast = fetch_headers(connection, uids, items)
        assert fast == connection.fetch(uids, items)
        assert all(isinstance(item[b"MODSEQ"], tuple) for item in fast.values())


def test_flag_updates_pushed_for_other_messages_are_not_mixed_in(
    mailbox: RigMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dovecot reports another session's flag change by sequence number alone, mid-FETCH.

    After an expunge, sequence number 15 is UID 25 while UID 15 is sequence number 5:
    the update must not land on UID 15.
    """
    for n in range(30):
        mailbox.deliver(b"From: c%d@customer.test\r\nSubject: order %d\r\n\r\nhello\r\n" % (n, n))
    seen: list[ResponseRecords] = []
    reader = fast_fetch.parse_fetch_items

    def recording(data: ResponseRecords, **options: bool) -> FetchItems:
        seen.append(data)
        return reader(data, **options)

    monkeypatch.setattr(fast_fetch, "parse_fetch_items", recording)
    with mailbox.imap() as ours, mailbox.imap() as theirs:
        ours.select_folder("INBOX")
        ours.delete_messages(list(range(1, 11)))
        ours.expunge()
        theirs.select_folder("INBOX")
        theirs.add_flags([25], [b"\\Flagged"])
        fast = fetch_headers(ours, [15], HEADER_ITEMS)
        assert any(isinstance(record, bytes) and b"UID" not in record for record in seen[0])
        flags = fast[15][b"FLAGS"]
        assert isinstance(flags, tuple)
        assert b"\\Flagged" not in flags  # UID 25's new flag
        assert fast[15][b"SEQ"] == 5
        assert fast == ours.fetch([15], HEADER_ITEMS)  # now that nothing is pending
