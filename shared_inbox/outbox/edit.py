"""Editing a queued message in place: the agent's text changes; headers, signature and quote stay."""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser

from shared_inbox.mail.compose import OUTGOING_POLICY, message_bytes, normalize_body


class EditError(ValueError):
    """The queued message cannot be edited as asked."""


def replace_body(raw: bytes, old_body: str, new_body: str) -> bytes:
    """The same message (same Message-ID) with `old_body`, at the start of its text, replaced.

    Raises EditError when the text does not start with `old_body` (so the record and the
    message disagree) or there is no text part.
    """
    message = BytesParser(policy=OUTGOING_POLICY).parsebytes(raw)
    part = message.get_body(preferencelist=("plain",)) if isinstance(message, EmailMessage) else None
    if not isinstance(message, EmailMessage) or not isinstance(part, EmailMessage):
        raise EditError("The queued message has no text part to edit.")
    current = str(part.get_content()).replace("\r\n", "\n")
    old = normalize_body(old_body)
    if not current.startswith(old):
        raise EditError("The queued message text does not start with the text on record; it was not edited.")
    part.set_content(normalize_body(new_body) + current[len(old) :], charset="utf-8")
    return message_bytes(message)
