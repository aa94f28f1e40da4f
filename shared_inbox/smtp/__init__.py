"""Sending mail over SMTP: a blocking session with clear, classified errors."""

from shared_inbox.smtp.client import DEFAULT_TIMEOUT, Delivery, SmtpEndpoint, SmtpSession
from shared_inbox.smtp.errors import (
    SmtpAuthError,
    SmtpConnectError,
    SmtpDropped,
    SmtpError,
    SmtpInDoubt,
    SmtpRejected,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Delivery",
    "SmtpAuthError",
    "SmtpConnectError",
    "SmtpDropped",
    "SmtpEndpoint",
    "SmtpError",
    "SmtpInDoubt",
    "SmtpRejected",
    "SmtpSession",
]
