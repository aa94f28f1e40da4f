"""Fixtures for tests that talk to real servers: Dovecot, Cyrus IMAP and an SMTP receiver.

One Dovecot runs for the whole test session; every test that asks for `mailbox` gets
its own fresh user, so tests never see each other's mail. The core cases ask for
`any_mailbox` instead and run once on Dovecot and once on Cyrus (started on first use).
A missing server fails the tests that need it, with the command that installs it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.rig.cyrus import CyrusServer, find_cyrus
from tests.rig.dovecot import DovecotServer, RigMailbox, find_dovecot
from tests.rig.faultproxy import FaultProxy
from tests.rig.oauth import OAuthServer
from tests.rig.setup import install_command
from tests.rig.smtp import SmtpReceiver
from tests.rig.tls import TlsFiles, make_tls_files

# Property tests check what is true, not how fast: on a busy two-core machine a sub-millisecond
# example can take hundreds of milliseconds, and Hypothesis's default deadline would call that a failure.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

SERVER_FIXTURES = frozenset(
    {
        "dovecot",
        "mailbox",
        "cyrus",
        "imap_server",
        "any_mailbox",
        "smtp_receiver",
        "smtp_receiver_factory",
        "oauth_server",
        "oauth_dovecot",
        "imap_proxy",
        "fault_proxy_factory",
    }
)

# The fixed users of the shared server, for tests that want well-known names.
FIXED_USERS = {"support": "support-pass", "alice": "alice-pass", "bob": "bob-pass"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a real server is an integration test, marked or not."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def rig_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """One test CA and server certificate (localhost, 127.0.0.1) for every rig server."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def dovecot(rig_tls: TlsFiles) -> Iterator[DovecotServer]:
    """A running Dovecot with users support/support-pass, alice/alice-pass, bob/bob-pass."""
    if find_dovecot() is None:
        pytest.fail(f"Dovecot is not installed; run: {install_command()}")
    server = DovecotServer(tls=rig_tls)
    for name, password in FIXED_USERS.items():
        server.add_user(name, password)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def cyrus(rig_tls: TlsFiles) -> Iterator[CyrusServer]:
    """A running Cyrus IMAP with Debian's stock layout: personal folders under `INBOX.`."""
    if find_cyrus() is None:
        pytest.fail(f"Cyrus IMAP is not unpacked; run: {install_command()}")
    server = CyrusServer(tls=rig_tls)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(params=["dovecot", "cyrus"])
def imap_server(request: pytest.FixtureRequest) -> DovecotServer | CyrusServer:
    """Each real IMAP server of the rig in turn (the core cases run on both)."""
    server: DovecotServer | CyrusServer = request.getfixturevalue(request.param)
    if not server.running:
        server.start()  # an earlier test stopped the shared server
    return server


@pytest.fixture
def any_mailbox(imap_server: DovecotServer | CyrusServer) -> Iterator[RigMailbox]:
    """A fresh, empty user on each real IMAP server in turn."""
    box = imap_server.new_mailbox("t")
    yield box
    if isinstance(imap_server, DovecotServer):
        shutil.rmtree(box.home / "Maildir", ignore_errors=True)


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    """A local OAuth2 server on a free loopback port: issues access tokens and introspects them."""
    with OAuthServer() as server:
        yield server


@pytest.fixture(scope="session")
def oauth_dovecot(rig_tls: TlsFiles, oauth_server: OAuthServer) -> Iterator[DovecotServer]:
    """A second Dovecot whose users sign in with XOAUTH2/OAUTHBEARER tokens from `oauth_server`."""
    if find_dovecot() is None:
        pytest.fail(f"Dovecot is not installed; run: {install_command()}")
    server = DovecotServer(tls=rig_tls, introspection_url=oauth_server.introspection_url)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> Iterator[RigMailbox]:
    """A fresh, empty user on the shared server (host, port, tls_port, user, password, ca_file)."""
    if not dovecot.running:
        dovecot.start()  # an earlier test stopped the shared server
    box = dovecot.new_mailbox("t")
    yield box
    shutil.rmtree(box.home / "Maildir", ignore_errors=True)


@pytest.fixture
def smtp_receiver_factory(rig_tls: TlsFiles) -> Iterator[Callable[..., SmtpReceiver]]:
    """Start SMTP receivers with options (tls=True, auth=True, onward=..., drop_after_data=True)."""
    started: list[SmtpReceiver] = []

    def start(*, tls: bool = False, **options: Any) -> SmtpReceiver:
        receiver = SmtpReceiver(tls=rig_tls if tls else None, **options)
        receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def smtp_receiver(smtp_receiver_factory: Callable[..., SmtpReceiver]) -> SmtpReceiver:
    """A plain SMTP receiver (no TLS, no AUTH) on a free loopback port."""
    return smtp_receiver_factory()


@pytest.fixture
def fault_proxy_factory() -> Iterator[Callable[[int, str], FaultProxy]]:
    """Start fault-injection proxies in front of rig servers: factory(port, "imap" | "smtp")."""
    started: list[FaultProxy] = []

    def start(upstream_port: int, protocol: str) -> FaultProxy:
        proxy = FaultProxy(upstream_port, protocol).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture
def imap_proxy(dovecot: DovecotServer, fault_proxy_factory: Callable[[int, str], FaultProxy]) -> FaultProxy:
    """A fault-injection proxy in front of the shared Dovecot's plaintext (STARTTLS) port."""
    if not dovecot.running:
        dovecot.start()
    return fault_proxy_factory(dovecot.port, "imap")


@pytest.fixture
def rig_ca_file(rig_tls: TlsFiles) -> Path:
    """The CA file clients must trust to verify any rig server."""
    return rig_tls.ca_file


@pytest.fixture
def utc_plus_three() -> Iterator[None]:
    """The process runs three hours east of UTC, without daylight saving."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "TEST-3"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
