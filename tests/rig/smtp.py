"""A real SMTP server (aiosmtpd) that records what it receives, for testing sending.

It can offer STARTTLS with the rig CA, require AUTH with fixed credentials, pass mail
on to a Dovecot user over LMTP, and simulate the worst moment for a connection to
drop: after the message was accepted but before the client saw the 250 reply.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.rig.dovecot import HOST, DovecotServer, free_port
from tests.rig.oauth import OAuthServer
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


_INVALID = "535 5.7.8 Authentication credentials invalid"
_TOKEN_ERROR = json.dumps({"status": "401", "schemes": "Bearer", "scope": "mail"})


class _OAuthHandler(_Handler):
    """Accepts AUTH XOAUTH2 and OAUTHBEARER with a token the rig's OAuth2 server vouches for."""

    def __init__(self, receiver: SmtpReceiver, oauth: OAuthServer) -> None:
        super().__init__(receiver)
        self._oauth = oauth

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd naming
        return await self._check(server, args, xoauth2=True)

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        return await self._check(server, args, xoauth2=False)

    async def _check(self, server: SMTP, args: list[str], *, xoauth2: bool) -> AuthResult:
        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                return AuthResult(success=False, handled=False, message="501 5.5.2 Cannot decode base64")
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            blob = answer
        user, token = _parse_token_response(blob, xoauth2=xoauth2)
        self._receiver.token_attempts.append("XOAUTH2" if xoauth2 else "OAUTHBEARER")
        if user and token and self._oauth.valid_for(token, user):
            return AuthResult(success=True, auth_data=user.encode())
        await server.challenge_auth(_TOKEN_ERROR)  # RFC 7628 3.2.2: the error, then the client's dummy reply
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Authentication credentials invalid"
        )


def _parse_token_response(blob: bytes, *, xoauth2: bool) -> tuple[str, str]:
    """(user, token) from an XOAUTH2 or OAUTHBEARER client response; empty strings when malformed."""
    text = blob.decode("utf-8", "replace")
    parts = text.split("\x01")
    user = ""
    if xoauth2:
        fields = dict(part.partition("=")[::2] for part in parts if "=" in part)
        user = fields.get("user", "")
    else:
        gs2 = parts[0].split(",")
        if len(gs2) >= 2 and gs2[1].startswith("a="):
            user = gs2[1][2:].replace("=2C", ",").replace("=3D", "=")
        fields = dict(part.partition("=")[::2] for part in parts[1:] if "=" in part)
    scheme, _, token = fields.get("auth", "").partition(" ")
    return (user, token) if scheme.lower() == "bearer" else ("", "")


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
    as SMTP_USER/SMTP_PASSWORD; `oauth` requires AUTH XOAUTH2 or OAUTHBEARER with a token
    that OAuth2 server issued to the user signing in. `stop()` and `start()` keep the port, for "server down,
    then back" tests.
    """

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        auth: bool = False,
        onward: OnwardDelivery | None = None,
        drop_after_data: bool = False,
        oauth: OAuthServer | None = None,
    ) -> None:
        self.host = HOST
        self.port = free_port()
        self.tls = tls
        self.auth = auth
        self.onward = onward
        self.drop_after_data = drop_after_data
        self.oauth = oauth
        self.token_attempts: list[str] = []  # the mechanism of every token sign-in tried
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
        handler: _Handler = _Handler(self)
        if self.oauth is not None:
            handler = _OAuthHandler(self, self.oauth)
            options["auth_required"] = True
            options["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        if self.tls is not None:
            options["tls_context"] = self.tls.server_context()
            options["require_starttls"] = True
        controller = Controller(
            handler, hostname=self.host, port=self.port, server_hostname="localhost", **options
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
