"""Opening an IMAP connection, with every failure turned into one clear sentence.

imapclient is blocking; callers run this in a thread (a Textual thread worker or
the CLI's own thread).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from shared_inbox.imap.oauth import oauth_login
from shared_inbox.net.errors import AuthError, MailServerError, describe_os_error
from shared_inbox.net.oauth import OAuthLogin
from shared_inbox.net.tls import tls_context

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect; built from the [imap] config section."""

    host: str
    port: int
    security: str  # "tls" | "starttls" | "none"
    username: str
    password: str | None
    ca_file: Path | None = None
    timeout: float = 30.0
    oauth: OAuthLogin | None = None  # sign in with an OAuth2 access token instead of the password


def connect_imap(endpoint: Endpoint) -> IMAPClient:
    """Connect, secure and log in. Raises MailServerError / AuthError only."""
    context = tls_context(endpoint.ca_file)
    try:
        client = IMAPClient(
            endpoint.host,
            port=endpoint.port,
            ssl=endpoint.security == "tls",
            ssl_context=context,
            timeout=endpoint.timeout,
        )
    except (OSError, ssl.SSLError) as exc:
        raise MailServerError(describe_os_error("IMAP", endpoint.host, endpoint.port, exc)) from None
    try:
        if endpoint.security == "starttls":
            client.starttls(context)
        elif endpoint.security == "none" and endpoint.host not in LOOPBACK_HOSTS:
            raise MailServerError(f"Refusing to log in to {endpoint.host} without TLS.")
        if endpoint.oauth is not None:
            oauth_login(client, endpoint.username, endpoint.oauth, f"IMAP server {endpoint.host}")
        elif endpoint.password is None:
            raise AuthError(f"No password is configured for IMAP user {endpoint.username}.")
        else:
            client.login(endpoint.username, endpoint.password)
        enable_condstore(client)
        if not logging.getLogger("imapclient").isEnabledFor(logging.DEBUG):
            client._imap.debug = 0  # imaplib would otherwise hand every line to the logger
    except MailServerError:
        _close_quietly(client)
        raise
    except LoginError as exc:
        _close_quietly(client)
        said = _server_words(exc)
        raise AuthError(f"IMAP login failed for user {endpoint.username}: {said}") from None
    except (OSError, ssl.SSLError) as exc:
        _close_quietly(client)
        raise MailServerError(describe_os_error("IMAP", endpoint.host, endpoint.port, exc)) from None
    except IMAPClientError as exc:
        _close_quietly(client)
        raise MailServerError(f"IMAP server {endpoint.host} said: {_server_words(exc)}") from None
    return client


def enable_condstore(client: IMAPClient) -> None:
    """Ask for CONDSTORE so flag changes can be fetched incrementally (RFC 7162).

    ENABLE is only valid before a mailbox is selected, so it happens right after
    login; the outcome is remembered on the client for the sync engine.
    """
    enabled = False
    if client.has_capability("CONDSTORE"):
        try:
            client.enable("CONDSTORE")
            enabled = True
        except IMAPClientError:
            enabled = False
    client.condstore_enabled = enabled


def _server_words(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text.strip() or "no reason given"


def _close_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # closing a broken socket may fail in many ways
        client.shutdown()


def close_quietly(client: IMAPClient) -> None:
    """Log out, or drop the socket when the connection is already gone; never raises."""
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        with contextlib.suppress(Exception):
            client.shutdown()
