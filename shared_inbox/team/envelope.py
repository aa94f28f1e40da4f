"""The one MIME envelope every message of the events folder travels in: batches, snapshots, presence.

    X-Shared-Inbox: <kind> <version>            (kind: events, snapshot, presence)
    X-Shared-Inbox-Signature: v1 <key id> <mac>  (only when the team has a key)
    Content-Type: application/vnd.shared-inbox.<...>; charset=us-ascii
    Content-Transfer-Encoding: base64

    base64(body)

Reading gives the kind, the version, the decoded body bytes, the signature
header and whether a mail transfer agent handled the message (a `Received` or
`Return-Path` header: messages we write are APPENDed and carry neither). What
the body means, and whether the signature is good, is decided elsewhere.
Everything read back is untrusted: the size is capped and headers are only
matched, never interpreted.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

MARKER_HEADER = "X-Shared-Inbox"
SIGNATURE_HEADER = "X-Shared-Inbox-Signature"
KINDS = ("events", "snapshot", "presence")

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MARKER = re.compile(
    rb"^x-shared-inbox:[ \t]*(events|snapshot|presence)[ \t]+(\d{1,4})[ \t]*\r?$", re.I | re.M
)
_SIGNATURE = re.compile(
    rb"^x-shared-inbox-signature:((?:[^\r\n]|\r?\n[ \t]){0,400})", re.I | re.M
)  # may be folded
_RELAYED = re.compile(rb"^(received|return-path)[ \t]*:", re.I | re.M)
_FROM = re.compile(rb"^from:[ \t]*([^\r\n]{0,200})", re.I | re.M)
_SUBJECT = re.compile(rb"^subject:[ \t]*([^\r\n]{0,200})", re.I | re.M)
_WHITESPACE = re.compile(rb"\s+")
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+@-]{1,254}")
_SHOWN_CHARS = 80


class EnvelopeError(ValueError):
    """A message of the events folder that is not one of ours."""


@dataclass(frozen=True)
class Envelope:
    """What the headers say and the decoded body; `sender` and `subject` are printable ASCII, for reports."""

    kind: str
    version: int
    body: bytes
    signature: str | None = None
    relayed: bool = False  # a mail transfer agent delivered it (Received or Return-Path present)
    sender: str = ""
    subject: str = ""


def seal(
    kind: str,
    version: int,
    body: bytes,
    *,
    content_type: str,
    sender: str,
    subject: str,
    now: datetime,
    message_id: str,
    signature: str | None = None,
) -> bytes:
    """A complete RFC 5322 message; `sender` is used only when it is a plain address (no header injection)."""
    address = sender if _PLAIN_ADDRESS.fullmatch(sender) else "shared-inbox@localhost"
    headers = [
        f"From: shared-inbox <{address}>",
        f"To: <{address}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(now.astimezone(UTC))}",
        f"Message-ID: <{message_id}>",
        f"{MARKER_HEADER}: {kind} {version}",
    ]
    if signature is not None:
        headers.append(f"{SIGNATURE_HEADER}: {signature}")
    headers += [
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}; charset=us-ascii",
        "Content-Transfer-Encoding: base64",
    ]
    encoded = base64.encodebytes(body).replace(b"\n", b"\r\n")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + encoded


def kind_of(raw: bytes) -> str | None:
    """The kind the marker header claims, or None for a message that is not ours at all."""
    split = _HEADER_END.search(raw)
    marker = _MARKER.search(raw[: split.start()]) if split is not None else None
    return marker.group(1).decode("ascii").lower() if marker is not None else None


def open_envelope(raw: bytes, *, max_bytes: int) -> Envelope:
    """Read the envelope; raises :class:`EnvelopeError` when it is not one of ours or too big."""
    if len(raw) > max_bytes:
        raise EnvelopeError(f"message of {len(raw)} bytes is over the {max_bytes} byte limit")
    split = _HEADER_END.search(raw)
    if split is None:
        raise EnvelopeError("message has no body")
    head = raw[: split.start()]
    marker = _MARKER.search(head)
    if marker is None:
        raise EnvelopeError(f"message has no {MARKER_HEADER} header")
    try:
        body = base64.b64decode(_WHITESPACE.sub(b"", raw[split.end() :]), validate=True)
    except binascii.Error:
        raise EnvelopeError("message body is not base64") from None
    signature = _SIGNATURE.search(head)
    return Envelope(
        kind=marker.group(1).decode("ascii").lower(),
        version=int(marker.group(2)),
        body=body,
        signature=_unfolded(signature.group(1)) if signature else None,
        relayed=_RELAYED.search(head) is not None,
        sender=_shown(_FROM.search(head)),
        subject=_shown(_SUBJECT.search(head)),
    )


def describe(raw: bytes) -> tuple[str, str]:
    """(From, Subject) of any message, printable ASCII only, for naming an ignored message."""
    split = _HEADER_END.search(raw)
    head = raw[: split.start()] if split is not None else raw[:4096]
    return _shown(_FROM.search(head)), _shown(_SUBJECT.search(head))


def _unfolded(value: bytes) -> str | None:
    """A header value with folding and runs of white space made single spaces; None when empty."""
    text = " ".join(value.decode("ascii", "replace").split())
    return text or None


def _shown(match: re.Match[bytes] | None) -> str:
    """A header value safe to print: printable ASCII, control and escape characters replaced, short."""
    if match is None:
        return ""
    text = match.group(1).decode("ascii", "replace")
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in text).strip()
    return cleaned[:_SHOWN_CHARS]
