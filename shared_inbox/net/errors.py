"""Mail-server failures, phrased for the person at the keyboard; shared by IMAP and SMTP."""

from __future__ import annotations

import socket
import ssl


class MailServerError(Exception):
    """A connection or protocol failure, phrased for the person at the keyboard."""


class AuthError(MailServerError):
    """The server refused the credentials: retrying will not help."""


class ConnectionLost(MailServerError):
    """The connection dropped or stalled: the server refused nothing, so trying again may work."""


def describe_os_error(kind: str, host: str, port: int, exc: BaseException) -> str:
    """Turn low-level socket/TLS errors into a sentence naming the server."""
    where = f"{kind} server {host}:{port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
        return f"The certificate of {where} is not trusted ({reason}); set tls_ca_file for a private CA."
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed ({exc.reason or exc}); check the port and the security setting."
    if isinstance(exc, socket.gaierror):
        return f"Cannot resolve the host name of {where}."
    if isinstance(exc, ConnectionRefusedError):
        return f"The {where} refused the connection; is it running and is the port right?"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"The {where} did not answer in time."
    if isinstance(exc, ConnectionError | EOFError):
        return f"The connection to {where} was dropped."
    return f"Cannot talk to {where}: {exc}."
