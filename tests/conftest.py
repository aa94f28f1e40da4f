"""Fixtures for tests that talk to real servers: Dovecot and an SMTP receiver.

One Dovecot runs for the whole test session; every test that asks for `mailbox` gets
its own fresh user, so tests never see each other's mail.
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

from tests.rig.dovecot import DovecotServer, RigMailbox, find_dovecot
from tests.rig.oauth import OAuthServer
from tests.rig.smtp import SmtpReceiver
from tests.rig.tls import TlsFiles, make_tls_files

# Property tests check what is true, not how fast: on a busy two-core machine a sub-millisecond
# example can take hundreds of milliseconds, and Hypothesis's default deadline would call that a failure.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

SERVER_FIXTURES = frozenset(
    {"dovecot", "mailbox", "smtp_receiver", "smtp_receiver_factory", "oauth_server", "oauth_dovecot"}
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
        message = "Dovecot missing: .ci/run must install it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = DovecotServer(tls=rig_tls)
    for name, password in FIXED_USERS.items():
        server.add_user(name, password)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    """A local OAuth2 server on a free loopback port: issues access tokens and introspects them."""
    with OAuthServer() as server:
        yield server


@pytest.fixture(scope="session")
def oauth_dovecot(rig_tls: TlsFiles, oauth_server: OAuthServer) -> Iterator[DovecotServer]:
    """A second Dovecot whose users sign in with XOAUTH2/OAUTHBEARER tokens from `oauth_server`."""
    if find_dovecot() is None:
        message = "Dovecot missing: .ci/run must install it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
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
