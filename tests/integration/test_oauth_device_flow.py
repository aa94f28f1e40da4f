"""The device-code flow (RFC 8628) against the rig's provider: polling honours the interval and
slow_down, and every way it can end is one sentence. Waiting is a pseudo-sleep: no real time passes."""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from shared_inbox.auth.client import DeviceCode, ProviderClient, SignInNeeded
from shared_inbox.auth.flows import SLOW_DOWN_STEP, device_sign_in
from shared_inbox.auth.storage import SavedSignIn, TokenStorage
from shared_inbox.config.model import OAuthClientConfig, TokenStore
from shared_inbox.net.oauth import TokenUnavailable
from tests.rig.oauth import CLIENT_ID, OAuthServer

pytestmark = pytest.mark.integration


def client_of(provider: OAuthServer, client_id: str = CLIENT_ID) -> ProviderClient:
    return ProviderClient(
        OAuthClientConfig(
            client_id=client_id,
            token_url=f"{provider.url}/token",
            device_url=f"{provider.url}/device",
            scopes=("mail", "offline_access"),
        )
    )


class User:
    """Acts at the provider while the client waits: `act(poll_number, user_code)` on each pseudo-sleep."""

    def __init__(self, act: Callable[[int, str], None]) -> None:
        self.act = act
        self.code = ""
        self.waits: list[float] = []
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def show(self, device: DeviceCode) -> None:
        self.code = device.user_code

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += timedelta(seconds=seconds)
        self.act(len(self.waits), self.code)

    def sign_in(self, provider: OAuthServer) -> object:
        return device_sign_in(client_of(provider), self.show, sleep=self.sleep, now=lambda: self.now)


def test_pending_then_slow_down_then_approved(oauth_server: OAuthServer) -> None:
    def act(poll: int, code: str) -> None:
        if poll == 3:  # two polls are answered authorization_pending, then two slow_down
            oauth_server.approve(code, "ann", slow_downs=2)

    user = User(act)
    tokens = user.sign_in(oauth_server)

    interval = oauth_server.interval
    assert user.waits == [
        interval,
        interval,
        interval,
        interval + SLOW_DOWN_STEP,
        interval + 2 * SLOW_DOWN_STEP,
    ]
    assert oauth_server.valid_for(tokens.access_token, "ann")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("act", "sentence"),
    [
        (
            lambda provider: lambda poll, code: provider.deny(code),
            "The sign-in was declined at the provider; run `shared-inbox auth login` to try again.",
        ),
        (
            lambda provider: lambda poll, code: provider.expire_device_code(code),
            "The code expired before the sign-in was approved; run `shared-inbox auth login` again.",
        ),
        (
            lambda provider: lambda poll, code: None,  # nobody approves: the code's lifetime runs out
            "The code expired before the sign-in was approved; run `shared-inbox auth login` again.",
        ),
    ],
)
def test_a_sign_in_that_does_not_happen_ends_in_one_sentence(
    oauth_server: OAuthServer, act: Callable[[OAuthServer], Callable[[int, str], None]], sentence: str
) -> None:
    user = User(act(oauth_server))
    with pytest.raises(SignInNeeded) as raised:
        user.sign_in(oauth_server)
    assert str(raised.value) == sentence


def test_an_unknown_client_is_named(oauth_server: OAuthServer) -> None:
    with pytest.raises(SignInNeeded) as raised:
        device_sign_in(client_of(oauth_server, "typo"), lambda device: None, sleep=lambda s: None)
    assert "check oauth2.client_id" in str(raised.value)


def test_an_unreachable_provider_is_one_sentence() -> None:
    with OAuthServer() as closed:
        pass  # its port is free again: nothing answers there
    with pytest.raises(TokenUnavailable) as raised:
        client_of(closed).start_device_sign_in()
    assert str(raised.value) == (
        "The OAuth2 provider could not be reached at the device authorization endpoint; "
        "check the network and try again."
    )


def test_no_token_reaches_the_log(oauth_server: OAuthServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    user = User(lambda poll, code: oauth_server.approve(code, "log-user"))
    tokens = user.sign_in(oauth_server)
    refreshed = client_of(oauth_server).refresh(tokens.refresh_token)  # type: ignore[attr-defined]
    assert "/token" in caplog.text  # requests did log its calls
    for secret in (
        tokens.access_token,  # type: ignore[attr-defined]
        tokens.refresh_token,  # type: ignore[attr-defined]
        refreshed.access_token,
    ):
        assert secret not in caplog.text


def test_the_sign_in_file_is_private_from_its_first_byte(tmp_path: Path) -> None:
    storage = TokenStorage(tmp_path / "store.oauth2.json", "oauth2:x:ann", TokenStore.FILE)
    old = os.umask(0)  # even a careless umask gives nobody else a look
    try:
        where = storage.save(SavedSignIn("ann", "refresh-1", "x", 1.0))
        storage.save(SavedSignIn("ann", "refresh-2", "x", 2.0))
    finally:
        os.umask(old)
    assert where == f"the file {storage.path}"
    assert stat.S_IMODE(storage.path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["store.oauth2.json"]  # no temporary file left
    saved = storage.load()
    assert saved is not None and saved.refresh_token == "refresh-2"
    assert "refresh-2" not in repr(saved)
    assert storage.forget() and storage.load() is None


def test_a_token_url_that_answers_a_web_page_is_one_sentence() -> None:
    """A captive portal or a wrong URL: HTML with status 200 instead of the provider's JSON."""

    class Page(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server naming
            body = b"<html>Sign in to the hotel Wi-Fi</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            return

    server = HTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/token"
        client = ProviderClient(
            OAuthClientConfig(client_id="x", token_url=url, device_url=url, scopes=("s",))
        )
        for attempt in (client.start_device_sign_in, lambda: client.refresh("r")):
            with pytest.raises(TokenUnavailable) as raised:
                attempt()
            assert "is not JSON" in str(raised.value) and "check oauth2." in str(raised.value)
    finally:
        server.shutdown()
        server.server_close()
