"""The message format of the events folder.

One message carries a batch of events as zlib-compressed JSON, base64 in a
MIME body so any IMAP server and webmail can store and show it:

    X-Shared-Inbox: events 1          (or "snapshot 1")
    Content-Type: application/vnd.shared-inbox.events; charset=us-ascii
    Content-Transfer-Encoding: base64

    base64(zlib({"v": 1, "type": "events"|"snapshot", "covers": [low, high] | null, "events": [...]}))

Everything read back is untrusted: sizes are capped before and after
decompression, and each event is validated on its own, so one bad event does
not cost its neighbours.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from shared_inbox.domain.events import Event, EventError, event_from_json, event_to_json

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MARKER_HEADER = "X-Shared-Inbox"
CONTENT_TYPE = "application/vnd.shared-inbox.events"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # a snapshot of a very busy team stays far below
MAX_JSON_BYTES = 64 * 1024 * 1024  # after decompression: a zlib bomb stops here
MAX_EVENTS_PER_MESSAGE = 200_000
BATCH_EVENTS = 500  # a normal batch: small enough to append quickly, big enough to cut traffic

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MARKER = re.compile(rb"^x-shared-inbox:[ \t]*(events|snapshot)[ \t]+(\d{1,4})[ \t]*\r?$", re.I | re.M)
_WHITESPACE = re.compile(rb"\s+")
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+@-]{1,254}")


class BatchError(ValueError):
    """A message in the events folder that is not a readable batch."""


@dataclass(frozen=True)
class Batch:
    """What one message held: its valid events, how many were rejected, and a snapshot's UID range."""

    events: list[Event]
    snapshot: bool = False
    covers: tuple[int, int] | None = None
    rejected: list[str] = field(default_factory=list)


def encode_batch(
    events: Sequence[Event], *, sender: str, now: datetime, covers: tuple[int, int] | None = None
) -> bytes:
    """A complete RFC 5322 message holding `events` (a snapshot when `covers` is given)."""
    kind = "snapshot" if covers is not None else "events"
    payload = {
        "v": FORMAT_VERSION,
        "type": kind,
        "covers": list(covers) if covers is not None else None,
        "events": [event_to_json(event) for event in events],
    }
    packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode("ascii"), 9)
    body = base64.encodebytes(packed).replace(b"\n", b"\r\n")
    address = sender if _PLAIN_ADDRESS.fullmatch(sender) else "shared-inbox@localhost"
    headers = [
        f"From: shared-inbox <{address}>",
        f"To: <{address}>",
        f"Subject: shared-inbox team {kind} ({len(events)})",
        f"Date: {format_datetime(now.astimezone(UTC))}",
        f"Message-ID: <{uuid.uuid4().hex}@team.shared-inbox.invalid>",
        f"{MARKER_HEADER}: {kind} {FORMAT_VERSION}",
        "MIME-Version: 1.0",
        f"Content-Type: {CONTENT_TYPE}; charset=us-ascii",
        "Content-Transfer-Encoding: base64",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + body


def decode_batch(raw: bytes) -> Batch:
    """Read a message of the events folder; raises :class:`BatchError` when it is not one of ours."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise BatchError(f"message of {len(raw)} bytes is over the {MAX_MESSAGE_BYTES} byte limit")
    split = _HEADER_END.search(raw)
    if split is None:
        raise BatchError("message has no body")
    marker = _MARKER.search(raw[: split.start()])
    if marker is None:
        raise BatchError(f"message has no {MARKER_HEADER} header")
    if int(marker.group(2)) != FORMAT_VERSION:
        raise BatchError(f"unsupported batch format version {int(marker.group(2))}")
    payload = _payload(raw[split.end() :])
    return _read_payload(payload, marker.group(1).decode().lower() == "snapshot")


def _payload(body: bytes) -> object:
    try:
        packed = base64.b64decode(_WHITESPACE.sub(b"", body), validate=True)
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, MAX_JSON_BYTES)
        complete = inflater.eof and not inflater.unconsumed_tail
    except (binascii.Error, zlib.error) as exc:
        raise BatchError(f"batch body is not base64 zlib data: {exc}") from None
    if not complete:
        raise BatchError("batch body is truncated or inflates beyond the size limit")
    try:
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BatchError("batch body is not JSON") from None


def _read_payload(payload: object, snapshot: bool) -> Batch:
    if not isinstance(payload, dict) or payload.get("v") != FORMAT_VERSION:
        raise BatchError("batch payload is not a version 1 object")
    if payload.get("type") != ("snapshot" if snapshot else "events"):
        raise BatchError("batch payload type does not match its header")
    raw_events = payload.get("events")
    if not isinstance(raw_events, list):
        raise BatchError("batch payload has no event list")
    if len(raw_events) > MAX_EVENTS_PER_MESSAGE:
        raise BatchError(f"batch holds more than {MAX_EVENTS_PER_MESSAGE} events")
    covers = _covers(payload.get("covers")) if snapshot else None
    events: list[Event] = []
    rejected: list[str] = []
    for doc in raw_events:
        try:
            events.append(event_from_json(doc))
        except EventError as exc:
            rejected.append(str(exc)[:200])
    return Batch(events=events, snapshot=snapshot, covers=covers, rejected=rejected)


def _covers(value: object) -> tuple[int, int]:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(type(uid) is int and 0 < uid < 2**32 for uid in value)
        and value[0] <= value[1]
    ):
        return (value[0], value[1])
    raise BatchError("snapshot payload has no valid UID range")
