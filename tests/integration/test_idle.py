"""Waiting for new mail with IDLE, against real Dovecot and Cyrus servers, over every connection security."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from shared_inbox.imap.connection import Endpoint, connect_imap
from shared_inbox.imap.idle import wait_for_change
from tests.rig.dovecot import RigMailbox

pytestmark = pytest.mark.integration

MAIL = "From: ann@customer.test\r\nSubject: order {n}\r\nMessage-ID: <m{n}@customer.test>\r\n\r\nHello.\r\n"
NO_PUSH_FOR = 10.0  # far longer than the server needs to report a change it already knows of


def mail(n: int) -> bytes:
    return MAIL.format(n=n).encode()


@pytest.fixture(params=["none", "starttls", "tls"])
def client(request: pytest.FixtureRequest, any_mailbox: RigMailbox) -> Iterator[IMAPClient]:
    security = request.param
    port = any_mailbox.tls_port if security == "tls" else any_mailbox.port
    endpoint = Endpoint(
        any_mailbox.host, port, security, any_mailbox.user, any_mailbox.password, any_mailbox.ca_file
    )
    connected = connect_imap(endpoint)
    try:
        yield connected
    finally:
        connected.logout()


def synced(client: IMAPClient) -> tuple[int, int | None]:
    """What a sync of INBOX leaves behind: its UIDNEXT and HIGHESTMODSEQ."""
    selected: dict[bytes, Any] = client.select_folder("INBOX", readonly=True)
    return selected[b"UIDNEXT"], selected.get(b"HIGHESTMODSEQ")


def test_mail_arriving_between_select_and_idle_ends_the_wait(
    any_mailbox: RigMailbox, client: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    any_mailbox.deliver(mail(1))
    since = synced(client)
    select = client.select_folder

    def select_then_mail_arrives(*args: Any, **kwargs: Any) -> Any:
        selected = select(*args, **kwargs)
        any_mailbox.deliver(mail(2))  # the server reports it right behind IDLE's continuation line
        return selected

    monkeypatch.setattr(client, "select_folder", select_then_mail_arrives)
    assert wait_for_change(client, "INBOX", NO_PUSH_FOR, threading.Event(), since=since)
    monkeypatch.undo()
    assert len(client.search("ALL")) == 2  # IDLE ended cleanly: the connection reads on


def test_a_quiet_mailbox_times_out_and_stays_usable(any_mailbox: RigMailbox, client: IMAPClient) -> None:
    any_mailbox.deliver(mail(1))
    since = synced(client)
    assert not wait_for_change(client, "INBOX", 1.5, threading.Event(), since=since)
    assert len(client.search("ALL")) == 1


def test_idle_is_renewed_on_time_and_still_hears_new_mail(
    any_mailbox: RigMailbox, client: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renewed every second here (every 8 minutes by default): before a server that limits IDLE ends it."""
    since = synced(client)
    issued = threading.Semaphore(0)
    idle = client.idle

    def counted_idle() -> Any:
        answer = idle()
        issued.release()
        return answer

    monkeypatch.setattr(client, "idle", counted_idle)

    def deliver_after_two_renewals() -> None:
        for _ in range(3):
            assert issued.acquire(timeout=NO_PUSH_FOR)
        any_mailbox.deliver(mail(1))

    delivery = threading.Thread(target=deliver_after_two_renewals)
    delivery.start()
    try:
        assert wait_for_change(client, "INBOX", 3 * NO_PUSH_FOR, threading.Event(), since=since, renew=1.0)
    finally:
        delivery.join()
    monkeypatch.undo()
    assert len(client.search("ALL")) == 1
