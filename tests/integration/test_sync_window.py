"""`[imap] sync_since`: a big mailbox mirrored as a working set of recent mail, on a real Dovecot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from imapclient import IMAPClient

from shared_inbox.imap.connection import enable_condstore
from shared_inbox.imap.sync import FolderSync
from shared_inbox.store import Store
from tests.integration.support import cli, list_json, write_config
from tests.integration.test_sync import mail

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def _login(mailbox) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=mailbox.port, ssl=False)
    client.login(mailbox.user, mailbox.password)
    return client


def _append(mailbox, n: int, days_ago: int) -> None:
    with _login(mailbox) as client:
        client.append("INBOX", mail(n, f"Topic {n}"), msg_time=NOW - timedelta(days=days_ago))


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    with Store.open(tmp_path / "store") as opened:
        yield opened


def _sync(mailbox, store: Store, *, qresync: bool):
    client = _login(mailbox)
    enable_condstore(client)
    engine = FolderSync(
        client, store, our_addresses=frozenset({"support@example.com"}), sent_folder="Sent", since_days=30
    )
    engine.qresync = qresync
    try:
        return engine.sync_folder("INBOX")
    finally:
        engine.close()
        client.logout()


def _stored(store: Store) -> list[str]:
    return sorted(store.uid_map("INBOX").values())


@pytest.mark.parametrize("qresync", [True, False], ids=["qresync", "plain"])
def test_only_the_window_is_mirrored_and_it_follows_changes(mailbox, store, qresync):
    for n, days_ago in [(1, 400), (2, 200), (3, 31), (4, 20), (5, 2), (6, 1)]:
        _append(mailbox, n, days_ago)
    first = _sync(mailbox, store, qresync=qresync)
    assert first.new == 3
    assert _stored(store) == ["m4@customer.test", "m5@customer.test", "m6@customer.test"]

    with _login(mailbox) as other:  # a teammate deletes a recent message and an old one
        other.select_folder("INBOX")
        by_id = {
            data[b"ENVELOPE"].message_id.decode().strip("<>"): uid
            for uid, data in other.fetch(other.search("ALL"), [b"ENVELOPE"]).items()
        }
        other.delete_messages([by_id["m5@customer.test"], by_id["m2@customer.test"]])
        other.expunge()
    _append(mailbox, 7, 0)

    again = _sync(mailbox, store, qresync=qresync)
    assert again.new == 1 and again.expunged == 1
    assert _stored(store) == ["m4@customer.test", "m6@customer.test", "m7@customer.test"]

    quiet = _sync(mailbox, store, qresync=qresync)  # nothing moved: no message fetched again
    assert quiet.new == 0 and quiet.expunged == 0


def test_the_command_line_keeps_the_working_set(mailbox, tmp_path):
    for n, days_ago in [(1, 400), (2, 3)]:
        _append(mailbox, n, days_ago)
    config = write_config(tmp_path, mailbox)
    text = config.read_text().replace("[imap]\n", '[imap]\nsync_since = "30d"\n', 1)
    config.write_text(text)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    assert [c["message_ids"] for c in list_json(config)] == [["m2@customer.test"]]
    checked = cli(config, "config", "check")
    assert "mail of the last 30 days kept locally" in checked.stdout


def test_a_customers_older_mail_comes_from_the_server_on_demand(mailbox, tmp_path):
    for n, days_ago, sender in [
        (1, 400, "ann@customer.test"),
        (2, 300, "bob@other.test"),
        (3, 3, "ann@customer.test"),
    ]:
        with _login(mailbox) as client:
            client.append("INBOX", mail(n, f"Topic {n}", sender), msg_time=NOW - timedelta(days=days_ago))
    config = write_config(tmp_path, mailbox)
    config.write_text(config.read_text().replace("[imap]\n", '[imap]\nsync_since = "30d"\n', 1))
    assert cli(config, "sync", "--once").returncode == 0
    assert [c["message_ids"] for c in list_json(config)] == [["m3@customer.test"]]

    fetched = cli(config, "history", "ann@customer.test")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.strip() == "1 older message fetched from the server."
    ids = sorted(mid for c in list_json(config) for mid in c["message_ids"])
    assert ids == ["m1@customer.test", "m3@customer.test"]  # Bob's old mail stays on the server

    again = cli(config, "sync", "--once")  # the window's floor holds: nothing else is pulled in
    assert again.returncode == 0, again.stderr
    assert sorted(mid for c in list_json(config) for mid in c["message_ids"]) == ids
    assert cli(config, "history", "ann@customer.test").stdout.strip() == (
        "The server holds no older mail of this customer."
    )


def test_a_search_asks_the_server_for_older_mail_that_answers_it(mailbox, tmp_path):
    for n, days_ago, subject, sender in [
        (1, 400, "Refund for order 12", "ann@customer.test"),
        (2, 300, "Where is my parcel", "bob@other.test"),
        (3, 200, "Réclamation: remboursement", "chloé@client.test"),
        (4, 250, "Refund please", "dan@other.test"),
        (5, 3, "Password reset", "ann@customer.test"),
    ]:
        with _login(mailbox) as client:
            client.append("INBOX", mail(n, subject, sender), msg_time=NOW - timedelta(days=days_ago))
    config = write_config(tmp_path, mailbox)
    config.write_text(config.read_text().replace("[imap]\n", '[imap]\nsync_since = "30d"\n', 1))
    assert cli(config, "sync", "--once").returncode == 0
    assert list_json(config, "refund") == []

    # Only what the server can answer is asked of it; the local search applies the rest.
    fetched = cli(config, "history", "--search", "refund from:ann@customer.test -tag:vip")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.strip() == "1 older message fetched from the server."
    assert [c["message_ids"] for c in list_json(config, "refund")] == [["m1@customer.test"]]

    accented = cli(config, "history", "--search", "réclamation")  # not ASCII: searched as UTF-8
    assert accented.stdout.strip() == "1 older message fetched from the server.", accented.stderr
    assert cli(config, "history", "--search", "refund from:ann@customer.test").stdout.strip() == (
        "The server holds no older mail for this search."
    )
    local_only = cli(config, "history", "--search", "tag:vip is:unread")
    assert local_only.returncode == 1
    assert local_only.stderr.strip().startswith("Nothing in this search can be asked of the server")
    assert cli(config, "history").returncode == 2
    stored = sorted(mid for c in list_json(config) for mid in c["message_ids"])
    assert stored == ["m1@customer.test", "m3@customer.test", "m5@customer.test"]  # not Bob's, not Dan's
