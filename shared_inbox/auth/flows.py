"""The two ways to sign in: the device-code flow (RFC 8628: works over SSH, no browser on this
machine) and the authorization code flow with PKCE and a loopback redirect (RFC 8252)."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from authlib.integrations.base_client.errors import OAuthError

from shared_inbox.auth.client import DeviceCode, ProviderClient, SignInNeeded, Tokens, provider_refused
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.wallclock import Now, utc_now

SLOW_DOWN_STEP = 5.0  # seconds added to the polling interval on "slow_down" (RFC 8628 section 3.5)
BROWSER_TIMEOUT = 300.0  # seconds the loopback redirect is waited for
LOOPBACK = "127.0.0.1"


def device_sign_in(
    client: ProviderClient,
    show: Callable[[DeviceCode], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Now = utc_now,
) -> Tokens:
    """Show the user code, then poll the token endpoint until the user approved or declined it."""
    device = client.start_device_sign_in()
    show(device)
    interval = max(device.interval, 0.0)
    deadline = now() + timedelta(seconds=device.expires_in)
    while True:
        sleep(interval)
        if now() >= deadline:
            raise SignInNeeded(_expired())
        try:
            return client.poll_device(device)
        except OAuthError as exc:
            error = str(exc.error or "")
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            if error == "expired_token":
                raise SignInNeeded(_expired()) from None
            if error == "access_denied":
                raise SignInNeeded(
                    "The sign-in was declined at the provider; run `shared-inbox auth login` to try again."
                ) from None
            raise provider_refused(exc, "the token endpoint") from None


def _expired() -> str:
    return "The code expired before the sign-in was approved; run `shared-inbox auth login` again."


def browser_sign_in(
    client: ProviderClient, open_url: Callable[[str], None], *, timeout: float = BROWSER_TIMEOUT
) -> Tokens:
    """Open the provider's sign-in page; its answer comes back to a one-off server on 127.0.0.1."""
    if not client.settings.authorize_url:
        raise SignInNeeded(
            "This provider has no browser sign-in configured; run `shared-inbox auth login` "
            "(device code) or set oauth2.authorize_url."
        )
    with LoopbackRedirect() as redirect:
        verifier = secrets.token_urlsafe(64)
        session = client.session(redirect_uri=redirect.uri, code_challenge_method="S256")
        extra = {"access_type": "offline", "prompt": "consent"} if _is_google(client) else {}
        url, state = session.create_authorization_url(
            client.settings.authorize_url, code_verifier=verifier, **extra
        )
        open_url(url)
        answer = redirect.wait(timeout)
    if answer is None:
        raise SignInNeeded(
            "No answer came back from the browser in time; run `shared-inbox auth login --browser` again."
        )
    if answer.get("state") != state:
        raise SignInNeeded(
            "The browser's answer does not belong to this sign-in; "
            "run `shared-inbox auth login --browser` again."
        )
    if "error" in answer or not answer.get("code"):
        error = clean_line(answer.get("error", "no code"))[:80]
        raise SignInNeeded(
            f"The sign-in was not completed at the provider ({error}); "
            "run `shared-inbox auth login --browser` to try again."
        )
    return client.exchange_code(session, answer["code"], verifier, redirect.uri)


def _is_google(client: ProviderClient) -> bool:
    return urlsplit(client.settings.authorize_url).hostname == "accounts.google.com"


class LoopbackRedirect:
    """A server on 127.0.0.1 that takes the one redirect carrying the sign-in's answer."""

    def __init__(self) -> None:
        self._answer: dict[str, str] | None = None
        self._arrived = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server naming
                query = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
                if "code" not in query and "error" not in query:  # a favicon or a stray request
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"shared-inbox: the sign-in is complete; you may close this window.\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if not owner._arrived.is_set():
                    owner._answer = query
                    owner._arrived.set()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the URL holds the code
                return

        self._server = HTTPServer((LOOPBACK, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def uri(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}/"

    def wait(self, timeout: float) -> dict[str, str] | None:
        self._arrived.wait(timeout)
        return self._answer

    def __enter__(self) -> LoopbackRedirect:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def identity_of(tokens: Tokens, fallback: str) -> str:
    """Who signed in, for `auth status`: the ID token's address when the provider sent one.

    The ID token is only read for display here (no signature check): nothing is granted on it.
    """
    try:
        payload = tokens.id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return fallback
    if not isinstance(claims, dict):
        return fallback
    for claim in ("email", "preferred_username", "upn"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return clean_line(value)[:200]
    return fallback
