"""Opening an IMAP connection, with every failure turned into one clear sentence.

imapclient is blocking; callers run this in a thread (a Textual thread worker or
the CLI's own thread).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import ssl
import weakref
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from shared_inbox.imap.oauth import oauth_login
from shared_inbox.imap.qresync import enable_qresync
from shared_inbox.net.errors import AuthError, ConnectionLost, MailServerError, describe_os_error
from shared_inbox.net.oauth import OAuthLogin
from shared_inbox.net.tls import tls_context

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Response codes of a refusal that passes (RFC 5530 UNAVAILABLE, Gmail's THROTTLED): try again later.
_TRY_LATER = re.compile(r"\[(UNAVAILABLE|THROTTLED|INUSE)\]", re.IGNORECASE)


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
    except (OSError, IMAPClientError) as exc:  # a greeting cut short is an imaplib abort
        raise imap_failure(endpoint, exc, "before it greeted") from None
    _hear_alerts(client)
    doing = "while securing the connection" if endpoint.security == "starttls" else "while logging in"
    try:
        if endpoint.security == "starttls":
            client.starttls(context)
        elif endpoint.security == "none" and endpoint.host not in LOOPBACK_HOSTS:
            raise MailServerError(f"Refusing to log in to {endpoint.host} without TLS.")
        doing = "while logging in"
        if endpoint.oauth is not None:
            oauth_login(client, endpoint.username, endpoint.oauth, f"IMAP server {endpoint.host}")
        elif endpoint.password is None:
            raise AuthError(f"No password is configured for IMAP user {endpoint.username}.")
        else:
            client.login(endpoint.username, endpoint.password)
        doing = "right after logging in"
        enable_condstore(client)
        if not logging.getLogger("imapclient").isEnabledFor(logging.DEBUG):
            client._imap.debug = 0  # imaplib would otherwise hand every line to the logger
    except MailServerError:
        _close_quietly(client)
        raise
    except LoginError as exc:
        _close_quietly(client)
        cause = exc.__context__
        if isinstance(cause, IMAPClientAbortError | OSError):  # imapclient wraps a drop as a failed login
            raise imap_failure(endpoint, cause, doing) from None
        said = _server_words(exc)
        if _TRY_LATER.search(said):  # not the password: retrying later is right, stopping is not
            raise MailServerError(f"The IMAP server {endpoint.host} is busy or unavailable: {said}") from None
        raise AuthError(f"IMAP login failed for user {endpoint.username}: {said}") from None
    except (OSError, IMAPClientError) as exc:
        _close_quietly(client)
        raise imap_failure(endpoint, exc, doing) from None
    return client


_alerts: weakref.WeakKeyDictionary[IMAPClient, list[str]] = weakref.WeakKeyDictionary()
_ALERT = b"[ALERT]"


def _hear_alerts(client: IMAPClient) -> None:
    """Note every `* OK [ALERT] text`: those that came with the greeting, then each as it is read.

    imaplib keeps only the bracket's (empty) data under ALERT and drops the OK line itself at
    the next command, so the text is caught where imaplib files untagged responses.
    """
    imap = client._imap
    heard: list[str] = []
    file_untagged = imap._append_untagged

    def note(typ: str, dat: object) -> None:
        if typ in ("OK", "NO", "BAD") and isinstance(dat, bytes) and dat[: len(_ALERT)].upper() == _ALERT:
            heard.append(_server_words(Exception(dat[len(_ALERT) :].decode("utf-8", "replace"))))

    def noting_alerts(typ: str, dat: bytes) -> None:
        note(typ, dat)
        file_untagged(typ, dat)

    for typ, responses in imap.untagged_responses.items():  # sent with the greeting (Cyrus's motd)
        for dat in responses:
            note(typ, dat)

    imap._append_untagged = noting_alerts
    _alerts[client] = heard


def take_alerts(client: IMAPClient) -> list[str]:
    """[ALERT] texts the server sent since the last call: RFC 3501 says the user must see them."""
    heard = _alerts.get(client, [])
    taken, heard[:] = list(heard), []
    return taken


def imap_failure(endpoint: Endpoint, exc: BaseException, doing: str) -> MailServerError:
    """One sentence for a failure of an IMAP connection; `doing` says when ("while syncing").

    A dropped or stalled connection is a ConnectionLost, never words of the server: imaplib
    phrases a drop as a protocol error ("socket error: EOF", "unterminated line").
    """
    where = f"IMAP server {endpoint.host}:{endpoint.port}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return ConnectionLost(f"The {where} stopped answering {doing}.")
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):  # cut during or after the handshake
        return ConnectionLost(f"The connection to the {where} was lost {doing}.")
    if isinstance(exc, ssl.SSLError | socket.gaierror | ConnectionRefusedError):
        return MailServerError(describe_os_error("IMAP", endpoint.host, endpoint.port, exc))
    if isinstance(exc, OSError | EOFError | IMAPClientAbortError):
        return ConnectionLost(f"The connection to the {where} was lost {doing}.")
    if isinstance(exc, IMAPClientError):
        return MailServerError(f"The {where} refused a command {doing}: {_server_words(exc)}")
    return MailServerError(f"Cannot talk to the {where} ({doing}).")


def enable_condstore(client: IMAPClient) -> None:
    """Ask for QRESYNC, else CONDSTORE, so changes can be fetched incrementally (RFC 7162).

    ENABLE is only valid before a mailbox is selected, so it happens right after
    login; the outcome is remembered on the client for the sync engine.
    """
    client.qresync_enabled = enable_qresync(client)
    enabled = client.qresync_enabled  # QRESYNC implies CONDSTORE
    if not enabled and client.has_capability("CONDSTORE"):
        try:
            client.enable("CONDSTORE")
            enabled = True
        except IMAPClientError:
            enabled = False
    client.condstore_enabled = enabled


_IMAPLIB_PREFIX = re.compile(r"^(command: \w+ => |\w+ command error: )", re.IGNORECASE)
_MAX_SERVER_WORDS = 300


def _server_words(exc: BaseException) -> str:
    """What the server said, without imaplib's wrapping, clipped: it is untrusted and shown."""
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    text = _IMAPLIB_PREFIX.sub("", text).strip()
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    if len(text) > _MAX_SERVER_WORDS:
        text = text[: _MAX_SERVER_WORDS - 3] + "..."
    return text or "no reason given"


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
