"""Bodies the sync has not downloaded are fetched through the service, from a real Dovecot."""

from __future__ import annotations

import logging
import socket

import pytest

from shared_inbox.config import load_config
from shared_inbox.services.bodies import cached_body, fetch_bodies
from shared_inbox.services.session import open_session
from tests.integration.support import write_config
from tests.integration.test_sync import mail

pytestmark = pytest.mark.integration


def test_a_body_the_sync_skipped_is_fetched_and_cached(mailbox, tmp_path):
    mailbox.deliver(mail(1, "Where is my parcel?", body="Order 4711 never came."))
    config = load_config(write_config(tmp_path, mailbox))
    with open_session(config) as session:
        session.sync_service(fetch_bodies=False).sync_once()
        assert cached_body(session, "m1@customer.test") is None
        raws = fetch_bodies(session, ["m1@customer.test", "nowhere@customer.test"])
        assert raws["nowhere@customer.test"] is None
        assert b"Order 4711 never came." in (raws["m1@customer.test"] or b"")
        assert cached_body(session, "m1@customer.test") == raws["m1@customer.test"]


def test_an_unreachable_server_means_no_body_and_one_logged_sentence(mailbox, tmp_path, caplog):
    mailbox.deliver(mail(1, "Where is my parcel?"))
    with open_session(load_config(write_config(tmp_path, mailbox))) as session:
        session.sync_service(fetch_bodies=False).sync_once()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = load_config(write_config(tmp_path, mailbox, port=closed_port))
    with (
        open_session(config) as session,
        caplog.at_level(logging.INFO, logger="shared_inbox.services.bodies"),
    ):
        assert fetch_bodies(session, ["m1@customer.test"]) == {"m1@customer.test": None}
    assert [record.getMessage() for record in caplog.records] == [
        f"message bodies not fetched: The IMAP server 127.0.0.1:{closed_port} refused the connection; "
        "is it running and is the port right?"
    ]
