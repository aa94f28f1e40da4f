"""Who may write team state: messages signed with the team key, and nothing a mail server delivered.

Anyone who can deliver one message into the events folder (a `+folder` address,
a server-side rule, a shared folder's post right) could otherwise close or
reassign conversations, plant notes or fake presence. So:

- with a team key, every batch, snapshot and presence note carries an
  HMAC-SHA256 over its kind, format version and decoded body; a message without
  a good one is ignored. The previous key (while the team changes keys) is
  accepted for reading only; everything written is signed with the current key.
- without a key, team state is unauthenticated, but a message that a mail
  transfer agent handled (it has `Received` or `Return-Path`; ours are
  APPENDed and have neither) is still refused. With a key it is refused too.

Whoever signed it, an event whose clock is more than a few minutes ahead of
the reader's is refused: it would win every later change until that time.

The body is verified before it is decompressed or parsed. A shared key says
"someone of the team wrote this", not which teammate: the author inside an
event is as trustworthy as the teammates are.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared_inbox.domain.clock import wall_ms
from shared_inbox.domain.events import Event
from shared_inbox.team.envelope import Envelope

SCHEME = "v1"
MAX_CLOCK_AHEAD = timedelta(minutes=5)  # a clock further ahead of the reader's would win every later change
KEY_BYTES = 32  # a new key: 256 random bits, base64url (43 characters)
_SIGNATURE = re.compile(r"v1 ([0-9a-f]{16}) ([0-9a-f]{64})")


class Verdict(enum.StrEnum):
    """What the reader makes of a message; only the first two are taken in."""

    SIGNED = "signed with the team key"
    PREVIOUS_KEY = "signed with the previous team key"
    UNAUTHENTICATED = "accepted without a team key"
    UNSIGNED = "not signed with the team key"
    BAD_SIGNATURE = "signed with an unknown key or altered after signing"
    RELAYED = "delivered by a mail server (our messages are appended, never mailed)"

    @property
    def accepted(self) -> bool:
        return self in (Verdict.SIGNED, Verdict.PREVIOUS_KEY, Verdict.UNAUTHENTICATED)


def new_key() -> str:
    """A fresh random team key, printable, to share like the mailbox password."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_id(key: bytes) -> str:
    """A short public name for a key, so a reader knows which key a message claims without trying all."""
    return hmac.new(key, b"shared-inbox key id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class TeamKeys:
    """The current key (None: team state is unauthenticated) and older keys still accepted for reading."""

    current: bytes | None = field(default=None, repr=False)
    previous: tuple[bytes, ...] = field(default=(), repr=False)

    @classmethod
    def from_text(cls, current: str | None, previous: str | None = None) -> TeamKeys:
        if current is None:
            return cls()
        older = (previous.encode("utf-8"),) if previous else ()
        return cls(current.encode("utf-8"), older)

    @property
    def signed(self) -> bool:
        return self.current is not None

    @property
    def fingerprint(self) -> str:
        """The ids of the keys in use ("" without a key): a reader notices when they change."""
        keys = [] if self.current is None else [self.current, *self.previous]
        return " ".join(key_id(key) for key in keys)

    def sign(self, kind: str, version: int, body: bytes) -> str | None:
        """The signature header value for a message we write, or None without a key."""
        if self.current is None:
            return None
        return f"{SCHEME} {key_id(self.current)} {_mac(self.current, kind, version, body)}"

    def verify(self, envelope: Envelope) -> Verdict:
        if envelope.relayed:
            return Verdict.RELAYED
        if self.current is None:
            return Verdict.UNAUTHENTICATED
        if envelope.signature is None:
            return Verdict.UNSIGNED
        match = _SIGNATURE.fullmatch(envelope.signature)
        if match is None:
            return Verdict.BAD_SIGNATURE
        claimed_id, claimed_mac = match.groups()
        for key, verdict in [
            (self.current, Verdict.SIGNED),
            *((k, Verdict.PREVIOUS_KEY) for k in self.previous),
        ]:
            if key_id(key) != claimed_id:
                continue
            expected = _mac(key, envelope.kind, envelope.version, envelope.body)
            if hmac.compare_digest(expected, claimed_mac):
                return verdict
        return Verdict.BAD_SIGNATURE


NO_KEY = TeamKeys()  # team state unauthenticated


def _mac(key: bytes, kind: str, version: int, body: bytes) -> str:
    """HMAC-SHA256 over a canonical form: what the marker header says, then the decoded body."""
    signed = f"shared-inbox {SCHEME}\n{kind} {version}\n".encode("ascii") + body
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def split_by_clock(events: Iterable[Event], now: datetime) -> tuple[list[Event], list[Event]]:
    """(events to take in, events refused because their clock is more than MAX_CLOCK_AHEAD ahead of `now`)."""
    limit = wall_ms(now + MAX_CLOCK_AHEAD)
    kept: list[Event] = []
    refused: list[Event] = []
    for event in events:
        (refused if event.clock.wall_ms > limit else kept).append(event)
    return kept, refused
