"""A server whose IDLE is lazy: Cyrus IMAP without its idled daemon looks for new mail in an
idling mailbox only every 60 s. shared-inbox polls such servers as well, so mail still shows soon."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared_inbox.config import load_config
from shared_inbox.imap.connection import connect_imap
from shared_inbox.imap.idle import LAZY_IDLE_POLL_SECONDS
from shared_inbox.services.session import sync_plan
from shared_inbox.services.syncing import _idle_poll_for
from tests.integration.fault_support import LineReader, mail, start_cli
from tests.integration.support import write_config
from tests.rig.cyrus import CyrusServer
from tests.rig.tls import TlsFiles

pytestmark = pytest.mark.integration


@pytest.fixture
def lazy_cyrus(rig_tls: TlsFiles) -> Iterator[CyrusServer]:
    with CyrusServer(tls=rig_tls, idled=False) as server:
        yield server


def test_sync_watch_sees_new_mail_on_a_lazy_idle_server(lazy_cyrus, tmp_path):
    box = lazy_cyrus.new_mailbox("t")
    box.deliver(mail(1))
    config = write_config(tmp_path, box)
    config.write_text(config.read_text().replace("batch_size = 500", "batch_size = 500\nidle_poll = 1"))
    proc = start_cli(config, "sync", "--watch")
    reader = LineReader(proc)
    try:
        reader.wait_for("[idle] INBOX")
        box.deliver(mail(2))
        reader.wait_for("1 new")  # bounded at 30 s; the server's own IDLE would say so after 60
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_only_servers_known_for_lazy_idle_are_polled_by_default(lazy_cyrus, dovecot, tmp_path):
    for server, expected in ((lazy_cyrus, LAZY_IDLE_POLL_SECONDS), (dovecot, 0)):
        box = server.new_mailbox("t")
        plan = sync_plan(load_config(write_config(tmp_path / server.kind, box), {}))
        client = connect_imap(plan.endpoint)
        try:
            assert _idle_poll_for(plan, client) == expected
        finally:
            client.logout()


@pytest.fixture
def short_idle_cyrus(rig_tls: TlsFiles) -> Iterator[CyrusServer]:
    """A server that ends every IDLE after one minute, as some providers do after about ten."""
    with CyrusServer(tls=rig_tls, idle_timeout_minutes=1) as server:
        yield server


@pytest.mark.slow
def test_idle_renewed_before_the_server_ends_it_keeps_the_connection(short_idle_cyrus, tmp_path):
    box = short_idle_cyrus.new_mailbox("t")
    box.deliver(mail(1))
    config = write_config(tmp_path, box)
    config.write_text(
        config.read_text().replace("batch_size = 500", "batch_size = 500\nidle_renew = 20\nidle_poll = 0")
    )
    proc = start_cli(config, "sync", "--watch")
    reader = LineReader(proc)
    try:
        reader.wait_for("[idle] INBOX")
        # Past the server's limit: a renewed IDLE was never ended, the connection never dropped.
        with pytest.raises(AssertionError):
            reader.wait_for("[offline]", timeout=75)
        box.deliver(mail(2))
        reader.wait_for("1 new")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
