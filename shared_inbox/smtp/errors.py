"""What can go wrong while sending, sorted by what the outbox should do about it.

The distinction that matters most is *when* a connection was lost: before the message
data was handed to the server nothing can have been accepted and a retry is safe; after it,
the server may have accepted the message, so sending it again could deliver it twice.
"""

from __future__ import annotations

from shared_inbox.net.errors import AuthError, MailServerError


class SmtpError(MailServerError):
    """Sending failed; the message is one sentence for the person at the keyboard.

    `permanent`: the same message will fail the same way (a 5xx reply), so do not retry.
    `in_doubt`: the server may have accepted the message even though we saw no reply.
    """

    permanent = False
    in_doubt = False


class SmtpConnectError(SmtpError):
    """The server could not be reached, secured or logged in to; no message was involved."""


class SmtpAuthError(SmtpConnectError, AuthError):
    """The server refused the credentials (or offers no way to log in): retrying will not help."""


class SmtpRejected(SmtpError):
    """The server answered this message with an error code: 4xx is temporary, 5xx permanent."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = code >= 500


class SmtpDropped(SmtpError):
    """The connection was lost before the message data was handed over: a retry is safe."""


class SmtpInDoubt(SmtpError):
    """The connection was lost after the message data was handed over, before the server's reply."""

    in_doubt = True
