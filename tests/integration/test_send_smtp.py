"""The SMTP session against a real SMTP server: TLS both ways, login, and every kind of failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from shared_inbox.smtp import (
    SmtpAuthError,
    SmtpConnectError,
    SmtpEndpoint,
    SmtpInDoubt,
    SmtpSession,
)
from tests.rig.dovecot import free_port
from tests.rig.smtp import SmtpReceiver, _check_login, _Handler
from tests.rig.tls import TlsFiles

pytestmark = pytest.mark.integration

RAW = (
    b"From: Acme Support <support@example.com>\r\nTo: ann@customer.test\r\nSubject: Hello\r\n"
    b"Message-ID: <si.c0123456789.abc@example.com>\r\n\r\n"
    b"First line\r\n.a line that starts with a dot\r\n..two dots\r\n"
)


class ImplicitTlsReceiver(SmtpReceiver):
    """The rig receiver, but speaking TLS from the first byte (port 465 style)."""

    def start(self) -> None:
        assert self.tls is not None
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="localhost",
            ssl_context=self.tls.server_context(),
            auth_required=True,
            auth_require_tls=False,  # aiosmtpd does not count implicit TLS as TLS here
            authenticator=_check_login,
        )
        controller.start()
        self._controller = controller


def endpoint(receiver: SmtpReceiver, security: str, **changes: Any) -> SmtpEndpoint:
    fields: dict[str, Any] = {
        "host": receiver.host,
        "port": receiver.port,
        "security": security,
        "username": receiver.user if receiver.auth else None,
        "password": receiver.password if receiver.auth else None,
        "ca_file": receiver.tls.ca_file if receiver.tls else None,
        "timeout": 30.0,
    }
    fields.update(changes)
    return SmtpEndpoint(**fields)


def test_starttls_login_and_exact_bytes(smtp_receiver_factory: Any) -> None:
    receiver = smtp_receiver_factory(tls=True, auth=True)
    handed_over: list[bool] = []
    with SmtpSession.open(endpoint(receiver, "starttls")) as session:
        delivery = session.send(
            "support@example.com", ["ann@customer.test"], RAW, before_data=lambda: handed_over.append(True)
        )
    assert delivery.refused == {} and handed_over == [True]
    [mail] = receiver.received
    assert mail.raw == RAW and mail.over_tls and mail.authenticated_as == receiver.user
    assert mail.mail_from == "support@example.com" and mail.rcpt_tos == ("ann@customer.test",)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(rig_tls: TlsFiles) -> None:
    with ImplicitTlsReceiver(tls=rig_tls, auth=True) as receiver:
        with SmtpSession.open(endpoint(receiver, "tls")) as session:
            session.send("support@example.com", ["ann@customer.test"], RAW)
        [mail] = receiver.received
    assert mail.authenticated_as == receiver.user


def test_one_session_sends_several_messages(smtp_receiver: SmtpReceiver) -> None:
    with SmtpSession.open(endpoint(smtp_receiver, "none")) as session:
        for n in range(3):
            session.send("support@example.com", [f"c{n}@customer.test"], RAW)
    assert [m.rcpt_tos for m in smtp_receiver.received] == [(f"c{n}@customer.test",) for n in range(3)]


@pytest.mark.parametrize(
    ("security", "changes", "error", "words"),
    [
        ("starttls", {"password": "wrong"}, SmtpAuthError, "refused the login of user sender"),
        ("starttls", {"ca_file": None}, SmtpConnectError, "is not trusted"),
        ("tls", {}, SmtpConnectError, "check the port and the security setting"),
        ("none", {}, SmtpAuthError, 'offers login only over TLS; set security = "starttls"'),
    ],
    ids=["wrong-password", "untrusted-certificate", "implicit-tls-on-starttls-port", "plaintext-refused"],
)
def test_failures_are_one_clear_sentence(
    smtp_receiver_factory: Any, security: str, changes: dict[str, Any], error: type[Exception], words: str
) -> None:
    receiver = smtp_receiver_factory(tls=True, auth=True)
    with pytest.raises(error) as raised:
        SmtpSession.open(endpoint(receiver, security, **changes))
    message = str(raised.value)
    assert words in message and "\n" not in message and receiver.password not in message
    assert receiver.received == []


def test_nothing_listening(tmp_path: Path) -> None:
    closed = SmtpEndpoint("127.0.0.1", free_port(), "none")
    with pytest.raises(SmtpConnectError, match="refused the connection; is it running"):
        SmtpSession.open(closed)


def test_connection_cut_after_the_data_is_in_doubt(smtp_receiver_factory: Any) -> None:
    receiver = smtp_receiver_factory(drop_after_data=True)
    handed_over: list[bool] = []
    with SmtpSession.open(endpoint(receiver, "none")) as session, pytest.raises(SmtpInDoubt) as raised:
        session.send(
            "support@example.com", ["ann@customer.test"], RAW, before_data=lambda: handed_over.append(True)
        )
    assert raised.value.in_doubt and handed_over == [True]
    assert "after the message was handed over" in str(raised.value)
    assert len(receiver.received) == 1
