"""A blocking SMTP session on top of aiosmtplib, with every failure turned into one sentence.

The outbox runs in a worker thread, so this module gives it plain blocking calls: each
session owns a private event loop. TLS always verifies the server certificate (against
`ca_file` when one is configured), and a password is only ever sent over TLS, except to a
loopback host.

`SmtpSession.send` takes a `before_data` callback, called after the server accepted the
envelope and before the message data goes out: the outbox uses it to record, durably, that
from this point on the server may end up holding the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosmtplib

from shared_inbox.config import is_loopback
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.net.errors import AuthError, MailServerError, describe_os_error
from shared_inbox.net.oauth import OAuthLogin
from shared_inbox.net.tls import tls_context
from shared_inbox.smtp.errors import (
    SmtpAuthError,
    SmtpConnectError,
    SmtpDropped,
    SmtpError,
    SmtpInDoubt,
    SmtpRejected,
)
from shared_inbox.smtp.oauth import oauth_login

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
_MAX_SERVER_WORDS = 300
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to send; built from the [smtp] config section with the password resolved."""

    host: str
    port: int
    security: str  # "tls" | "starttls" | "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    local_hostname: str | None = None  # the EHLO name; the machine's host name by default
    oauth: OAuthLogin | None = None  # sign in with an OAuth2 access token instead of the password

    @property
    def where(self) -> str:
        return f"SMTP server {self.host}:{self.port}"


@dataclass(frozen=True)
class Delivery:
    """The server accepted the message; `refused` lists recipients it would not take, with its reason."""

    reply: str
    refused: Mapping[str, str] = field(default_factory=dict)


class SmtpSession:
    """One connected (and, when configured, logged-in) SMTP session. Not thread-safe."""

    def __init__(
        self, endpoint: SmtpEndpoint, loop: asyncio.AbstractEventLoop, smtp: aiosmtplib.SMTP
    ) -> None:
        self.endpoint = endpoint
        self._loop = loop
        self._smtp = smtp

    @classmethod
    def open(cls, endpoint: SmtpEndpoint) -> SmtpSession:
        """Connect, secure and log in. Raises SmtpConnectError / SmtpAuthError only."""
        loop = asyncio.new_event_loop()
        try:
            smtp = loop.run_until_complete(_connect(endpoint))
        except BaseException:
            loop.close()
            raise
        return cls(endpoint, loop, smtp)

    def send(
        self,
        mail_from: str,
        recipients: Sequence[str],
        raw: bytes,
        *,
        before_data: Callable[[], None] = lambda: None,
    ) -> Delivery:
        """Run one mail transaction. Raises SmtpRejected, SmtpDropped or SmtpInDoubt."""
        return self._run(_transaction(self._smtp, self.endpoint, mail_from, recipients, raw, before_data))

    def close(self) -> None:
        """Say QUIT if the connection still stands; never raises."""
        if self._loop.is_closed():
            return
        try:
            if self._smtp.is_connected:
                with contextlib.suppress(Exception):  # the server may already be gone
                    self._loop.run_until_complete(self._smtp.quit(timeout=5))
            self._smtp.close()
        finally:
            self._loop.close()

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)


async def _connect(endpoint: SmtpEndpoint) -> aiosmtplib.SMTP:
    security = endpoint.security
    if security not in ("tls", "starttls", "none"):
        raise SmtpConnectError(f"Unknown SMTP security setting {security!r}; use tls, starttls or none.")
    context = tls_context(endpoint.ca_file) if security != "none" else None
    smtp = aiosmtplib.SMTP(
        hostname=endpoint.host,
        port=endpoint.port,
        use_tls=security == "tls",
        start_tls=security == "starttls",
        tls_context=context,
        timeout=endpoint.timeout,
        local_hostname=endpoint.local_hostname or _local_hostname(),
    )
    try:
        await smtp.connect()
        if endpoint.username:
            await _login(smtp, endpoint)
    except SmtpError:
        smtp.close()
        raise
    except aiosmtplib.SMTPAuthenticationError as exc:
        smtp.close()
        raise SmtpAuthError(
            f"The {endpoint.where} refused the login of user {endpoint.username}: {_words(exc)}"
        ) from None
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
        smtp.close()
        raise SmtpConnectError(_connect_problem(endpoint, exc)) from None
    return smtp


async def _login(smtp: aiosmtplib.SMTP, endpoint: SmtpEndpoint) -> None:
    if endpoint.security == "none" and not is_loopback(endpoint.host):
        raise SmtpAuthError(f"Refusing to send the SMTP password to {endpoint.host} without TLS.")
    if endpoint.password is None and endpoint.oauth is None:
        raise SmtpAuthError(f"No password is configured for SMTP user {endpoint.username}.")
    if smtp.is_ehlo_or_helo_needed:  # STARTTLS made the server's first answer void
        await smtp.ehlo()
    if (
        not smtp.supports_extension("auth")
        and endpoint.security == "none"
        and smtp.supports_extension("starttls")
    ):
        raise SmtpAuthError(f'The {endpoint.where} offers login only over TLS; set security = "starttls".')
    if not smtp.supports_extension("auth"):
        raise SmtpAuthError(
            f"The {endpoint.where} does not offer AUTH, but a username is configured; "
            "remove the username if the server needs no login."
        )
    if endpoint.oauth is None:
        await smtp.login(endpoint.username or "", endpoint.password or "")
        return
    try:
        await oauth_login(smtp, endpoint.username or "", endpoint.oauth, endpoint.host, endpoint.port)
    except AuthError as exc:
        raise SmtpAuthError(str(exc)) from None
    except MailServerError as exc:  # the token source failed: retried like an unreachable server
        raise SmtpConnectError(str(exc)) from None


async def _transaction(
    smtp: aiosmtplib.SMTP,
    endpoint: SmtpEndpoint,
    mail_from: str,
    recipients: Sequence[str],
    raw: bytes,
    before_data: Callable[[], None],
) -> Delivery:
    if not recipients:
        raise SmtpRejected("The message has no recipients.", 554)
    encoding = "ascii"
    options: list[str] = []
    if smtp.supports_extension("size"):
        options.append(f"SIZE={len(raw)}")
    if not all(address.isascii() for address in (mail_from, *recipients)):
        if not smtp.supports_extension("smtputf8"):
            raise SmtpRejected(
                f"An address is not plain ASCII and the {endpoint.where} does not support SMTPUTF8.", 553
            )
        options.append("SMTPUTF8")
        encoding = "utf-8"
    try:
        await smtp.mail(mail_from, options=options, encoding=encoding)
        refused = await _recipients(smtp, recipients, encoding)
    except aiosmtplib.SMTPResponseException as exc:
        await _reset(smtp)
        raise SmtpRejected(f"The {endpoint.where} refused the message: {_words(exc)}", exc.code) from None
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        raise SmtpDropped(_lost(endpoint, exc, "before the message was sent")) from None
    if len(refused) == len(recipients):
        await _reset(smtp)
        permanent = all(code >= 500 for code, _ in refused.values())
        reasons = "; ".join(f"{address}: {words}" for address, (_, words) in refused.items())
        raise SmtpRejected(
            f"The {endpoint.where} refused every recipient ({reasons}).", 550 if permanent else 450
        )
    before_data()
    try:
        response = await smtp.data(raw)
    except aiosmtplib.SMTPResponseException as exc:
        await _reset(smtp)
        raise SmtpRejected(f"The {endpoint.where} refused the message: {_words(exc)}", exc.code) from None
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        raise SmtpInDoubt(
            _lost(endpoint, exc, "after the message was handed over, before the server confirmed it")
        ) from None
    return Delivery(
        reply=_clip(clean_line(response.message)),
        refused={address: words for address, (_, words) in refused.items()},
    )


async def _recipients(
    smtp: aiosmtplib.SMTP, recipients: Sequence[str], encoding: str
) -> dict[str, tuple[int, str]]:
    refused: dict[str, tuple[int, str]] = {}
    for address in recipients:
        try:
            await smtp.rcpt(address, encoding=encoding)
        except aiosmtplib.SMTPRecipientRefused as exc:
            refused[address] = (exc.code, _words(exc))
    return refused


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """Clear a failed transaction so the next message can use the same connection."""
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await smtp.rset()


def _connect_problem(endpoint: SmtpEndpoint, exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc, aiosmtplib.SMTPConnectError) else None
    if isinstance(cause, OSError | ssl.SSLError):
        return describe_os_error("SMTP", endpoint.host, endpoint.port, cause)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return f"The {endpoint.where} did not answer in time."
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return f"The connection to {endpoint.where} was dropped."
    if isinstance(exc, OSError | ssl.SSLError):
        return describe_os_error("SMTP", endpoint.host, endpoint.port, exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"The {endpoint.where} refused the session: {_words(exc)}"
    if "starttls" in str(exc).lower():
        return f"The {endpoint.where} does not offer STARTTLS; check the port and the security setting."
    return f"Cannot talk to {endpoint.where}: {_clip(clean_line(str(exc)))}."


def _lost(endpoint: SmtpEndpoint, exc: BaseException, when: str) -> str:
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return f"The {endpoint.where} stopped answering {when}."
    return f"The connection to {endpoint.where} was lost {when}."


def _words(exc: BaseException) -> str:
    """What the server said (code and text), cleaned: it is untrusted and ends up on screen."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"{exc.code} {clean_line(exc.message)}".strip()
    else:
        text = clean_line(str(exc))
    return _clip(text) or "no reason given"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_SERVER_WORDS else text[: _MAX_SERVER_WORDS - 3] + "..."


def _local_hostname() -> str:
    """The EHLO name, without the DNS lookup socket.getfqdn() does (slow on offline machines)."""
    name = socket.gethostname()
    return name if _HOST_NAME.fullmatch(name) else "localhost"
