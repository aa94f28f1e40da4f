"""The message format of presence: who is viewing or replying to which conversation, for a short while.

Presence rides in the events folder (so the teammates' IDLE sees it at once) but is not team
state: it never enters the event log or a snapshot, and every note carries its own expiry.
One note holds everything one agent is doing, so each change costs one small message:

    X-Shared-Inbox: presence 1
    X-Shared-Inbox-Signature: ...     (with a team key, see signing.py)
    Content-Type: application/vnd.shared-inbox.presence; charset=us-ascii

    base64({"v": 1, "id": note id, "agent": email, "at": iso time, "ttl": seconds,
            "entries": [{"anchor": Message-ID, "activity": "viewing" | "replying"}, ...]})

It travels in the common envelope (envelope.py). Read back, a note is untrusted like any mail:
size, types and TTL are checked.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import cast

from shared_inbox.domain.presence import ACTIVITIES, Activity, Presence, PresenceNote
from shared_inbox.team.envelope import Envelope, EnvelopeError, kind_of, open_envelope, seal
from shared_inbox.team.signing import NO_KEY, TeamKeys

FORMAT_VERSION = 1
CONTENT_TYPE = "application/vnd.shared-inbox.presence"
MAX_NOTE_BYTES = 16 * 1024
MAX_ENTRIES = 8  # an agent views one conversation and replies to a few at most
MAX_TTL_SECONDS = 300  # a note claiming longer is cut to this
MAX_ANCHOR_CHARS = 998

_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+@-]{1,254}")
_NOTE_ID = re.compile(r"[0-9a-f]{32}")


class PresenceError(ValueError):
    """A presence message that cannot be read."""


def new_note(agent: str, entries: Iterable[Presence], now: datetime, ttl: timedelta) -> PresenceNote:
    kept = tuple(sorted(set(entries)))[:MAX_ENTRIES]
    return PresenceNote(uuid.uuid4().hex, agent, now, now + ttl, kept)


def is_presence(raw: bytes) -> bool:
    """Whether a message of the events folder claims to be a presence note (any version)."""
    return kind_of(raw) == "presence"


def encode_presence(note: PresenceNote, keys: TeamKeys = NO_KEY) -> bytes:
    ttl = int((note.expires_at - note.sent_at).total_seconds())
    payload = {
        "v": FORMAT_VERSION,
        "id": note.id,
        "agent": note.agent,
        "at": note.sent_at.astimezone(UTC).isoformat(),
        "ttl": ttl,
        "entries": [{"anchor": p.anchor, "activity": p.activity} for p in note.entries],
    }
    packed = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return seal(
        "presence",
        FORMAT_VERSION,
        packed,
        content_type=CONTENT_TYPE,
        sender=note.agent,
        subject=f"shared-inbox presence ({len(note.entries)})",
        now=note.sent_at,
        message_id=f"{note.id}@presence.shared-inbox.invalid",
        signature=keys.sign("presence", FORMAT_VERSION, packed),
    )


def decode_presence(raw: bytes) -> PresenceNote:
    """Read a presence message without judging who wrote it; raises :class:`PresenceError`."""
    try:
        envelope = open_envelope(raw, max_bytes=MAX_NOTE_BYTES)
    except EnvelopeError as exc:
        raise PresenceError(str(exc)) from None
    return note_from(envelope)


def note_from(envelope: Envelope) -> PresenceNote:
    """The note an opened envelope holds (verify its signature first)."""
    if envelope.kind != "presence":
        raise PresenceError("not a presence message")
    if envelope.version != FORMAT_VERSION:
        raise PresenceError(f"unsupported presence format version {envelope.version}")
    if len(envelope.body) > MAX_NOTE_BYTES:
        raise PresenceError(f"presence body of {len(envelope.body)} bytes is over the limit")
    try:
        payload = json.loads(envelope.body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PresenceError("presence body is not base64 JSON") from None
    return _note(payload)


def _note(payload: object) -> PresenceNote:
    if not isinstance(payload, dict) or payload.get("v") != FORMAT_VERSION:
        raise PresenceError("presence payload is not a version 1 object")
    note_id, agent, at, ttl = payload.get("id"), payload.get("agent"), payload.get("at"), payload.get("ttl")
    if not isinstance(note_id, str) or not _NOTE_ID.fullmatch(note_id):
        raise PresenceError("presence note has no valid id")
    if not isinstance(agent, str) or not _PLAIN_ADDRESS.fullmatch(agent):
        raise PresenceError("presence note has no valid agent")
    if type(ttl) is not int or ttl <= 0:
        raise PresenceError("presence note has no valid ttl")
    try:
        sent_at = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        sent_at = None
    if sent_at is None or sent_at.tzinfo is None:
        raise PresenceError("presence note has no valid time")
    raw_entries = payload.get("entries")
    if not isinstance(raw_entries, list) or len(raw_entries) > MAX_ENTRIES:
        raise PresenceError("presence note has no valid entries")
    entries = tuple(_entry(entry) for entry in raw_entries)
    expires_at = sent_at + timedelta(seconds=min(ttl, MAX_TTL_SECONDS))
    return PresenceNote(note_id, agent, sent_at, expires_at, entries)


def _entry(value: object) -> Presence:
    if not isinstance(value, dict):
        raise PresenceError("presence entry is not an object")
    anchor, activity = value.get("anchor"), value.get("activity")
    if not isinstance(anchor, str) or not 0 < len(anchor) <= MAX_ANCHOR_CHARS or activity not in ACTIVITIES:
        raise PresenceError("presence entry is not valid")
    return Presence(anchor, cast(Activity, activity))


def stale_uids(messages: Iterable[tuple[int, Envelope]], now: datetime) -> list[int]:
    """The expired presence notes among accepted ones, which any teammate may delete; unreadable ones stay."""
    stale: list[int] = []
    for uid, envelope in messages:
        try:
            if note_from(envelope).expired(now):
                stale.append(uid)
        except PresenceError:
            continue
    return stale
