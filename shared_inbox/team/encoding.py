"""The message format of the events folder.

One message carries a batch of events as zlib-compressed JSON in the common
envelope (see envelope.py), so any IMAP server and webmail can store and show it:

    X-Shared-Inbox: events 1          (or "snapshot 1")
    X-Shared-Inbox-Signature: ...     (with a team key, see signing.py)
    Content-Type: application/vnd.shared-inbox.events; charset=us-ascii

    base64(zlib({"v": 1, "type": "events"|"snapshot", "covers": [low, high] | null, "events": [...]}))

Everything read back is untrusted: sizes are capped before and after
decompression, and each event is validated on its own, so one bad event does
not cost its neighbours.
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.events import Event, EventError, event_from_json, event_to_json
from shared_inbox.team.envelope import MARKER_HEADER, Envelope, EnvelopeError, open_envelope, seal
from shared_inbox.team.signing import NO_KEY, TeamKeys

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CONTENT_TYPE = "application/vnd.shared-inbox.events"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # a snapshot of a very busy team stays far below
MAX_JSON_BYTES = 64 * 1024 * 1024  # after decompression: a zlib bomb stops here
MAX_EVENTS_PER_MESSAGE = 200_000
BATCH_EVENTS = 500  # a normal batch: small enough to append quickly, big enough to cut traffic

__all__ = ["MARKER_HEADER", "Batch", "BatchError", "batch_from", "decode_batch", "encode_batch"]


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
    events: Sequence[Event],
    *,
    sender: str,
    now: datetime,
    covers: tuple[int, int] | None = None,
    keys: TeamKeys = NO_KEY,
) -> bytes:
    """A complete RFC 5322 message holding `events` (a snapshot when `covers` is given), signed when keyed."""
    kind = "snapshot" if covers is not None else "events"
    payload = {
        "v": FORMAT_VERSION,
        "type": kind,
        "covers": list(covers) if covers is not None else None,
        "events": [event_to_json(event) for event in events],
    }
    packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode("ascii"), 9)
    return seal(
        kind,
        FORMAT_VERSION,
        packed,
        content_type=CONTENT_TYPE,
        sender=sender,
        subject=f"shared-inbox team {kind} ({len(events)})",
        now=now,
        message_id=f"{uuid.uuid4().hex}@team.shared-inbox.invalid",
        signature=keys.sign(kind, FORMAT_VERSION, packed),
    )


def decode_batch(raw: bytes) -> Batch:
    """Read a message of the events folder without judging who wrote it; raises :class:`BatchError`."""
    try:
        envelope = open_envelope(raw, max_bytes=MAX_MESSAGE_BYTES)
    except EnvelopeError as exc:
        raise BatchError(str(exc)) from None
    return batch_from(envelope)


def batch_from(envelope: Envelope) -> Batch:
    """The batch an opened envelope holds (verify its signature first: this inflates the body)."""
    if envelope.kind not in ("events", "snapshot"):
        raise BatchError(f"message is a {envelope.kind} message, not a batch")
    if envelope.version != FORMAT_VERSION:
        raise BatchError(f"unsupported batch format version {envelope.version}")
    return _read_payload(_payload(envelope.body), envelope.kind == "snapshot")


def _payload(packed: bytes) -> object:
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, MAX_JSON_BYTES)
        complete = inflater.eof and not inflater.unconsumed_tail
    except zlib.error as exc:
        raise BatchError(f"batch body is not zlib data: {exc}") from None
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
