"""When the SMTP session sends a password, and how it reports what a server said."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosmtplib
import pytest

from shared_inbox.smtp import SmtpAuthError, SmtpEndpoint
from shared_inbox.smtp.client import _login, _words


class FakeServer:
    """Just enough of aiosmtplib.SMTP for the login decision."""

    is_ehlo_or_helo_needed = False

    def __init__(self, *extensions: str) -> None:
        self.extensions = set(extensions)
        self.logins: list[tuple[str, str]] = []

    def supports_extension(self, name: str) -> bool:
        return name in self.extensions

    async def login(self, username: str, password: str) -> None:
        self.logins.append((username, password))


def login(server: FakeServer, **fields: Any) -> None:
    endpoint = SmtpEndpoint(**{"port": 587, "username": "agent", "password": "secret", **fields})
    asyncio.run(_login(server, endpoint))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "security"),
    [
        ("127.0.0.1", "none"),
        ("127.0.0.5", "none"),
        ("localhost", "none"),
        ("::1", "none"),
        ("mail.example.com", "tls"),
    ],
)
def test_the_password_goes_over_tls_or_to_a_loopback_host(host: str, security: str) -> None:
    server = FakeServer("auth")
    login(server, host=host, security=security)
    assert server.logins == [("agent", "secret")]


def test_no_password_over_plaintext_to_another_host() -> None:
    server = FakeServer("auth")
    with pytest.raises(
        SmtpAuthError, match="Refusing to send the SMTP password to mail.example.com without TLS"
    ):
        login(server, host="mail.example.com", security="none")
    assert server.logins == []


@pytest.mark.parametrize(
    ("extensions", "fields", "words"),
    [
        (("auth",), {"password": None}, "No password is configured for SMTP user agent"),
        (("starttls",), {}, 'offers login only over TLS; set security = "starttls"'),
        ((), {}, "does not offer AUTH, but a username is configured"),
    ],
)
def test_login_problems_are_explained(
    extensions: tuple[str, ...], fields: dict[str, Any], words: str
) -> None:
    server = FakeServer(*extensions)
    with pytest.raises(SmtpAuthError, match=words):
        login(server, host="127.0.0.1", security="none", **fields)
    assert server.logins == []


def test_server_words_are_cleaned_and_bounded() -> None:
    said = _words(aiosmtplib.SMTPResponseException(550, "no \x1b]0;pwned\x07such\r\nuser " + "x" * 1000))
    assert said.startswith("550 no such user") and "\x1b" not in said and "\n" not in said
    assert len(said) <= 300
