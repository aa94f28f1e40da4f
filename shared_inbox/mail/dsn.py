"""Reading a bounce: who did not get our mail, for good or not yet, and which mail it was.

Standard reports (RFC 3464, ``multipart/report; report-type=delivery-status``: Postfix,
Gmail, Exchange, modern Exim) are read from their ``message/delivery-status`` part; the
returned headers (``message/rfc822``, ``message/rfc822-headers`` or Exchange's
``text/rfc822-headers``) give the original Message-ID. Older plain-text bounces (classic
Exim, qmail) are read from ``X-Failed-Recipients`` and the text. Never raises: a bounce
that cannot be read is still a bounce, just without details.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser

from shared_inbox.domain.model import DeliveryFailure, MessageKind, MessageMeta
from shared_inbox.mail.msgid import extract_ids
from shared_inbox.mail.sanitize import clean_line

__all__ = ["DeliveryReport", "REPORT_PREFIX_BYTES", "read_delivery_report", "with_delivery_report"]

_log = logging.getLogger(__name__)

# The report and the returned headers come before the returned body: this much is enough.
REPORT_PREFIX_BYTES = 256 * 1024
MAX_FAILURES = 50
MAX_DIAGNOSTIC_CHARS = 300
_ADDRESS = re.compile(r"[^\s<>\"';,()]+@[^\s<>\"';,()]+")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_SMTP_REPLY = re.compile(r"(?<![\d.])([45]\d\d)[ -]")
_MESSAGE_ID_LINE = re.compile(r"^message-id:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_TEXT_PERMANENT = re.compile(r"permanent (error|failure)|could not be delivered|unknown user", re.IGNORECASE)
_TEXT_TEMPORARY = re.compile(r"temporar|delayed|will (retry|keep trying)|still trying", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    failures: tuple[DeliveryFailure, ...] = ()
    original_message_id: str | None = None


def with_delivery_report(meta: MessageMeta, raw: bytes) -> MessageMeta:
    """The bounce ``meta`` with the details its raw message (or a prefix of it) gives."""
    if meta.kind is not MessageKind.BOUNCE:
        return meta
    report = read_delivery_report(raw)
    original = report.original_message_id
    if original == meta.message_id:
        original = None
    return replace(meta, delivery_failures=report.failures, bounced_message_id=original)


def read_delivery_report(raw: bytes) -> DeliveryReport:
    """The failed recipients and the original Message-ID of a bounce. Never raises."""
    try:
        message = message_from_bytes(bytes(raw), policy=policy.compat32)
        return _read(message)
    except Exception as exc:  # hostile or truncated MIME must not stop a sync
        _log.warning("unreadable delivery report of %d bytes (%s)", len(raw), type(exc).__name__)
        return DeliveryReport()


def _read(message: Message) -> DeliveryReport:
    failures: list[DeliveryFailure] = []
    original: str | None = None
    texts: list[str] = []
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            failures.extend(_standard_failures(part))
        elif ctype in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            original = original or _returned_message_id(part)
        elif ctype == "text/plain" and not part.is_multipart():
            texts.append(_text(part))
    text = "\n".join(texts)
    if not failures:
        failures = _text_failures(message, text)
    if original is None:
        original = _message_id_in_text(text)
    return DeliveryReport(tuple(dict.fromkeys(failures))[:MAX_FAILURES], original)


def _standard_failures(part: Message) -> list[DeliveryFailure]:
    blocks = part.get_payload()
    if not isinstance(blocks, list):  # some servers send it unparsed
        text = blocks if isinstance(blocks, str) else ""
        blocks = [HeaderParser().parsestr(chunk.strip() + "\n") for chunk in re.split(r"\n\s*\n", text)]
    failures = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        if not isinstance(block, Message):
            continue
        action = (block.get("Action") or "").strip().lower()
        status = _STATUS.search(str(block.get("Status") or ""))
        if action not in ("failed", "delayed") and not (status and status.group(1) in "45" and not action):
            continue
        recipient = _address(str(block.get("Final-Recipient") or block.get("Original-Recipient") or ""))
        permanent = action == "failed" if action else bool(status and status.group(1) == "5")
        diagnostic = _diagnostic(str(block.get("Diagnostic-Code") or ""))
        if not diagnostic and status is not None:
            diagnostic = status.group(0)
        failures.append(DeliveryFailure(recipient, permanent, diagnostic))
    return failures


def _text_failures(message: Message, text: str) -> list[DeliveryFailure]:
    """A bounce without a delivery-status part: X-Failed-Recipients and the server's words."""
    recipients = [_address(item) for item in str(message.get("X-Failed-Recipients") or "").split(",")]
    recipients = [r for r in recipients if r]
    reply = _SMTP_REPLY.search(text)
    diagnostic = ""
    if reply is not None:
        line_start = text.rfind("\n", 0, reply.start()) + 1
        line_end = text.find("\n", reply.start())
        diagnostic = _diagnostic(text[line_start : line_end if line_end >= 0 else len(text)])
    if reply is not None:
        permanent = reply.group(1).startswith("5")
    else:
        permanent = not _TEXT_TEMPORARY.search(text) or bool(_TEXT_PERMANENT.search(text))
    return [DeliveryFailure(recipient, permanent, diagnostic) for recipient in recipients]


def _returned_message_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list):
        returned = next((item for item in payload if isinstance(item, Message)), None)
    else:
        body = part.get_payload(decode=True)
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(payload or "")
        returned = HeaderParser().parsestr(text.lstrip("\r\n"), headersonly=True)
    if returned is None:
        return None
    ids = extract_ids(str(returned.get("Message-ID") or ""))
    return ids[0] if ids else None


def _message_id_in_text(text: str) -> str | None:
    """The Message-ID line of the copy a plain-text bounce includes ("a copy of the message")."""
    for match in _MESSAGE_ID_LINE.finditer(text):
        ids = extract_ids(match.group(1))
        if ids:
            return ids[0]
    return None


def _text(part: Message) -> str:
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def _address(value: str) -> str:
    """The address of ``rfc822; ann@example.com`` (or a bare or bracketed one), lower-cased."""
    value = value.partition(";")[2] if ";" in value else value
    found = _ADDRESS.search(value)
    return clean_line(found.group(0)).lower()[:320] if found else ""


def _diagnostic(value: str) -> str:
    """One clean line: ``smtp; 550 5.1.1 <ann@x>: user unknown`` -> ``550 5.1.1 <ann@x>: user unknown``."""
    text = " ".join(value.split())
    kind, sep, rest = text.partition(";")
    if sep and kind.strip().lower() in ("smtp", "x-postfix", "x-unix", "x-local"):
        text = rest.strip()
    text = clean_line(text)
    if len(text) > MAX_DIAGNOSTIC_CHARS:
        text = text[: MAX_DIAGNOSTIC_CHARS - 1].rstrip() + "…"
    return text
