"""A real SMTP server (aiosmtpd) that records what it receives, for testing sending.

It can offer STARTTLS with the rig CA, require AUTH with fixed credentials, pass mail
on to a Dovecot user over LMTP, and simulate the worst moment for a connection to
drop: after the message was accepted but before the client saw the 250 reply.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.rig.dovecot import HOST, DovecotServer, free_port
from tests.rig.tls import TlsFiles

SMTP_USER = "sender"
SMTP_PASSWORD = "sender-pass"


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One accepted message with its envelope."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    authenticated_as: str | None
    over_tls: bool


@dataclass(frozen=True, slots=True)
class OnwardDelivery:
    """Where accepted mail is also delivered, so it shows up in an IMAP mailbox."""

    server: DovecotServer
    user: str
    detail: str | None = None  # deliver to user+detail: Dovecot files it into that folder


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self._receiver = receiver

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        login = session.auth_data if session.authenticated else None
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            authenticated_as=login.decode() if isinstance(login, bytes) else None,
            over_tls=session.ssl is not None,
        )
        onward = self._receiver.onward
        if onward is not None:
            await asyncio.get_running_loop().run_in_executor(
                None,
                partial(
                    onward.server.deliver_lmtp,
                    onward.user,
                    raw,
                    mail.mail_from or "sender@example.net",
                    detail=onward.detail,
                ),
            )
        self._receiver.record(mail)
        if self._receiver.drop_after_data and isinstance(server.transport, asyncio.Transport):
            # The message is stored; the client never reads the 250 that follows.
            server.transport.abort()
        return "250 Message accepted for delivery"


def _check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class SmtpReceiver:
    """An SMTP server on a free loopback port that keeps every accepted message.

    `tls` offers STARTTLS (and then requires it); `auth=True` requires AUTH PLAIN/LOGIN
    as SMTP_USER/SMTP_PASSWORD. `stop()` and `start()` keep the port, for "server down,
    then back" tests.
    """

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        auth: bool = False,
        onward: OnwardDelivery | None = None,
        drop_after_data: bool = False,
    ) -> None:
        self.host = HOST
        self.port = free_port()
        self.tls = tls
        self.auth = auth
        self.onward = onward
        self.drop_after_data = drop_after_data
        self._received: list[ReceivedMail] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    @property
    def user(self) -> str:
        return SMTP_USER

    @property
    def password(self) -> str:
        return SMTP_PASSWORD

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def received(self) -> list[ReceivedMail]:
        with self._changed:
            return list(self._received)

    def start(self) -> None:
        if self._controller is not None:
            return
        options: dict[str, Any] = {"auth_required": self.auth, "auth_require_tls": self.tls is not None}
        if self.auth:
            options["authenticator"] = _check_login
        if self.tls is not None:
            options["tls_context"] = self.tls.server_context()
            options["require_starttls"] = True
        controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, server_hostname="localhost", **options
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpReceiver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until at least `count` messages arrived; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} messages, got {len(self._received)}")
                self._changed.wait(remaining)
            return list(self._received)

    def clear(self) -> None:
        with self._changed:
            self._received.clear()

    def record(self, mail: ReceivedMail) -> None:
        """Keep an accepted message and wake anyone in wait_for()."""
        with self._changed:
            self._received.append(mail)
            self._changed.notify_all()
