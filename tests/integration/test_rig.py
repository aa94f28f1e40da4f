"""The test servers behave like the real ones the product will meet."""

from __future__ import annotations

import email
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from shared_inbox.corpus import generate
from tests.rig.dovecot import DovecotServer, RigMailbox
from tests.rig.smtp import OnwardDelivery, SmtpReceiver
from tests.rig.tls import TlsFiles, make_tls_files

pytestmark = pytest.mark.integration

StartReceiver = Callable[..., SmtpReceiver]

START = datetime(2026, 6, 1, tzinfo=UTC)


def note(n: int, subject: str = "Order problem", date: str = "Mon, 01 Jun 2026 09:00:00 +0000") -> bytes:
    return (
        f"From: Ann Customer <ann@customer.test>\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Date: {date}\r\nMessage-ID: <n{n}@customer.test>\r\n\r\nHello number {n}\r\n"
    ).encode()


def verified_context(mailbox: RigMailbox) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(mailbox.ca_file))


def message_ids(client: IMAPClient, folder: str = "INBOX") -> list[str]:
    client.select_folder(folder, readonly=True)
    uids = sorted(client.search("ALL"))
    fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    headers = [fetched[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"] for uid in uids]
    return [email.message_from_bytes(h, policy=policy.default)["Message-ID"] or "" for h in headers]


def test_starttls_login_verifies_the_rig_ca_and_offers_sync_extensions(mailbox: RigMailbox) -> None:
    with IMAPClient("localhost", port=mailbox.port, ssl=False, timeout=30) as client:
        client.starttls(verified_context(mailbox))
        client.login(mailbox.user, mailbox.password)
        capabilities = set(client.capabilities())
    assert {b"IDLE", b"CONDSTORE", b"QRESYNC", b"UIDPLUS", b"MOVE", b"SPECIAL-USE"} <= capabilities


def test_implicit_tls_login_lists_the_special_use_folders(mailbox: RigMailbox) -> None:
    with IMAPClient(
        "127.0.0.1", port=mailbox.tls_port, ssl=True, ssl_context=verified_context(mailbox)
    ) as client:
        client.login(mailbox.user, mailbox.password)
        special = {name: flags for flags, _, name in client.list_folders()}
    assert b"\\Sent" in special["Sent"] and b"\\Archive" in special["Archive"]
    assert {"INBOX", "Drafts", "Trash", "Junk"} <= special.keys()


def test_a_client_without_the_rig_ca_refuses_the_certificate(mailbox: RigMailbox) -> None:
    untrusting = ssl.create_default_context(cadata=_unrelated_ca_pem())
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient("127.0.0.1", port=mailbox.tls_port, ssl=True, ssl_context=untrusting, timeout=30)


def test_wrong_password_is_refused(mailbox: RigMailbox) -> None:
    with (
        IMAPClient("127.0.0.1", port=mailbox.port, ssl=False, timeout=30) as client,
        pytest.raises(LoginError),
    ):
        client.login(mailbox.user, mailbox.password + "x")


def test_fixed_users_can_log_in(dovecot: DovecotServer) -> None:
    for user, password in (("support", "support-pass"), ("alice", "alice-pass"), ("bob", "bob-pass")):
        with dovecot.imap(user, password) as client:
            assert client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]


def test_lmtp_delivery_lands_in_the_inbox_of_that_user_only(
    dovecot: DovecotServer, mailbox: RigMailbox
) -> None:
    other = dovecot.new_mailbox("other")
    mailbox.deliver(note(1))
    with mailbox.imap() as client:
        assert message_ids(client) == ["<n1@customer.test>"]
    with other.imap() as client:
        assert message_ids(client) == []


def test_append_keeps_flags_and_internal_date(mailbox: RigMailbox) -> None:
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    uid = mailbox.append("Sent", note(7), flags=[b"\\Seen"], internal_date=when)
    with mailbox.imap() as client:
        client.select_folder("Sent", readonly=True)
        fetched = client.fetch([uid], ["FLAGS", "INTERNALDATE"])[uid]
    assert b"\\Seen" in fetched[b"FLAGS"]
    assert fetched[b"INTERNALDATE"].astimezone(UTC) == when


def test_bulk_seed_of_2000_corpus_messages_is_visible_in_order(mailbox: RigMailbox) -> None:
    corpus = [raw for _, raw in generate(2000, seed=3, start=START)]
    assert mailbox.bulk_seed(corpus) == 2000
    with mailbox.imap() as client:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        assert len(uids) == 2000
        first_last = client.fetch([uids[0], uids[-1]], ["RFC822.SIZE", "BODY.PEEK[]"])
    assert first_last[uids[0]][b"BODY[]"] == corpus[0]
    assert first_last[uids[-1]][b"BODY[]"] == corpus[-1]
    assert first_last[uids[-1]][b"RFC822.SIZE"] == len(corpus[-1])


def test_bulk_seed_sets_internal_date_from_the_date_header_and_flags(mailbox: RigMailbox) -> None:
    mailbox.bulk_seed([note(1, date="Tue, 02 Jun 2026 10:30:00 +0200")], "Archive", flags=["\\Seen"])
    with mailbox.imap() as client:
        client.select_folder("Archive", readonly=True)
        fetched = client.fetch(client.search("ALL"), ["INTERNALDATE", "FLAGS"])
    (only,) = fetched.values()
    assert set(only[b"FLAGS"]) - {b"\\Recent"} == {b"\\Seen"}
    assert only[b"INTERNALDATE"].astimezone(UTC) == datetime(2026, 6, 2, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("folder", ["Sent", "Projects/Acme"])
def test_bulk_seed_into_a_folder_of_a_user_who_never_logged_in(mailbox: RigMailbox, folder: str) -> None:
    assert mailbox.bulk_seed([note(1), note(2)], folder) == 2
    with mailbox.imap() as client:
        assert message_ids(client, folder) == ["<n1@customer.test>", "<n2@customer.test>"]
        assert message_ids(client, "INBOX") == []


def test_bulk_seed_while_a_client_is_selected_shows_up_on_noop(mailbox: RigMailbox) -> None:
    mailbox.deliver(note(1))
    with mailbox.imap() as client:
        client.select_folder("INBOX")
        mailbox.bulk_seed(note(n) for n in range(2, 12))
        client.noop()
        assert len(client.search("ALL")) == 11
    with mailbox.imap() as client:
        assert message_ids(client) == [f"<n{n}@customer.test>" for n in range(1, 12)]


def test_reset_uidvalidity_changes_uidvalidity_and_uids_but_keeps_mail_and_flags(
    dovecot: DovecotServer, mailbox: RigMailbox
) -> None:
    for n in range(3):
        mailbox.deliver(note(n))
    with mailbox.imap() as client:
        before = client.select_folder("INBOX")
        old_uids = sorted(client.search("ALL"))
        client.add_flags(old_uids[:1], [b"\\Flagged"])
    new_validity = dovecot.reset_uidvalidity(mailbox.user, "INBOX")
    with mailbox.imap() as client:
        after = client.select_folder("INBOX", readonly=True)
        new_uids = sorted(client.search("ALL"))
        flags = client.get_flags(new_uids)
        assert message_ids(client) == ["<n0@customer.test>", "<n1@customer.test>", "<n2@customer.test>"]
    assert after[b"UIDVALIDITY"] == new_validity != before[b"UIDVALIDITY"]
    assert set(new_uids).isdisjoint(old_uids)
    assert b"\\Flagged" in flags[new_uids[0]] and b"\\Flagged" not in flags[new_uids[1]]


def test_kick_drops_the_users_connections(dovecot: DovecotServer, mailbox: RigMailbox) -> None:
    client = mailbox.imap()
    client.select_folder("INBOX")
    assert dovecot.kick(mailbox.user)
    with pytest.raises((IMAPClient.AbortError, OSError)):
        client.noop()
    assert not dovecot.kick(mailbox.user)  # nobody left to kick


def test_kill_connections_drops_every_user(dovecot: DovecotServer, mailbox: RigMailbox) -> None:
    other = dovecot.new_mailbox("other")
    clients = [mailbox.imap(), other.imap()]
    assert dovecot.kill_connections()
    for client in clients:
        with pytest.raises((IMAPClient.AbortError, OSError)):
            client.noop()


def test_restart_keeps_ports_and_mail_and_drops_clients(dovecot: DovecotServer, mailbox: RigMailbox) -> None:
    mailbox.deliver(note(1))
    client = mailbox.imap()
    client.select_folder("INBOX")
    port = dovecot.port
    dovecot.restart()
    with pytest.raises((IMAPClient.AbortError, OSError)):
        client.noop()
    assert dovecot.port == port
    with mailbox.imap() as fresh:
        assert message_ids(fresh) == ["<n1@customer.test>"]


def test_smtp_receiver_takes_mail_over_starttls_with_auth(smtp_receiver_factory: StartReceiver) -> None:
    receiver = smtp_receiver_factory(tls=True, auth=True)
    assert receiver.tls is not None
    with smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client:
        client.starttls(context=receiver.tls.client_context())
        client.login(receiver.user, receiver.password)
        client.sendmail("support@example.com", ["ann@customer.test"], note(1))
    (mail,) = receiver.wait_for(1)
    assert mail.mail_from == "support@example.com" and mail.rcpt_tos == ("ann@customer.test",)
    assert mail.raw == note(1)
    assert mail.authenticated_as == receiver.user and mail.over_tls


def test_smtp_receiver_with_auth_refuses_anonymous_and_wrong_password(
    smtp_receiver_factory: StartReceiver,
) -> None:
    receiver = smtp_receiver_factory(tls=True, auth=True)
    assert receiver.tls is not None
    with smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client:
        client.starttls(context=receiver.tls.client_context())
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.sendmail("support@example.com", ["ann@customer.test"], note(1))
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(receiver.user, "wrong")
    assert receiver.received == []


def test_smtp_receiver_can_drop_the_connection_after_accepting(smtp_receiver_factory: StartReceiver) -> None:
    receiver = smtp_receiver_factory(drop_after_data=True)
    with (
        smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client,
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        client.sendmail("support@example.com", ["ann@customer.test"], note(1))
    assert [m.raw for m in receiver.received] == [note(1)]


def test_smtp_receiver_goes_down_and_comes_back_on_the_same_port(smtp_receiver: SmtpReceiver) -> None:
    port = smtp_receiver.port
    smtp_receiver.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(smtp_receiver.host, port, timeout=30)
    smtp_receiver.start()
    with smtplib.SMTP(smtp_receiver.host, port, timeout=30) as client:
        client.sendmail("support@example.com", ["ann@customer.test"], note(2))
    assert len(smtp_receiver.wait_for(1)) == 1


def test_smtp_receiver_delivers_onward_into_a_mailbox(
    smtp_receiver_factory: StartReceiver, mailbox: RigMailbox
) -> None:
    receiver = smtp_receiver_factory(onward=OnwardDelivery(mailbox.server, mailbox.user))
    with smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client:
        client.sendmail("support@example.com", [mailbox.user], note(5))
    receiver.wait_for(1)
    with mailbox.imap() as client:
        assert message_ids(client) == ["<n5@customer.test>"]


def _unrelated_ca_pem() -> str:
    """A freshly made CA that did not sign the rig's server certificate."""
    with tempfile.TemporaryDirectory() as directory:
        return make_tls_files(Path(directory)).ca_file.read_text()


def test_a_private_server_seeded_before_start_indexes_the_mail_at_first_login(rig_tls: TlsFiles) -> None:
    with DovecotServer(tls=rig_tls) as server:
        server.add_user("late", "late-pass")
        server.stop()
        assert server.bulk_seed("late", (note(n) for n in range(50)), "Archive") == 50
        server.start()
        with server.imap("late", "late-pass") as client:
            assert message_ids(client, "Archive") == [f"<n{n}@customer.test>" for n in range(50)]
    assert not server.running
