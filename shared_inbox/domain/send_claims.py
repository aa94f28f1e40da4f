"""Which of the team's copies sends an automatic reply: a claim, and the rule that settles claims.

Every open copy of shared-inbox may run the same rule on the same new conversation. Before
an automatic reply goes out, the copy writes a claim (an ordinary team event) to the events
folder in a message of its own, then reads the folder. The IMAP server numbers messages in
the order it stored them (UIDs only grow), so the claims it holds are in one order that
every copy sees alike: a claim loses to every conflicting claim stored before it. Two
claims conflict when they are for the same occurrence of a rule, or for the same
recipient within the automatic-reply window (one automatic reply per address per window,
team-wide). A claim known before ours went up, or read from a snapshot (which keeps
events, not their order), counts as earlier: in doubt nobody sends rather than two.

A claim's id is derived from the copy (its store, so one agent's laptop and server are two
copies) and the occurrence, so a copy that claims the same occurrence again writes the same
event, never a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event

__all__ = [
    "CLAIM_KIND",
    "MAX_OCCURRENCE_CHARS",
    "SendClaim",
    "Sighting",
    "beaten_by",
    "claim_event",
    "claim_id",
    "claim_of",
    "make_claim",
]

CLAIM_KIND = "auto_reply.claim"
MAX_OCCURRENCE_CHARS = 512


@dataclass(frozen=True, slots=True)
class SendClaim:
    """One copy's intent to send the automatic reply for one occurrence, to one address."""

    id: str
    occurrence: str  # rule, conversation and trigger occurrence, as the caller words them
    recipient: str  # lower-cased
    author: str
    at: datetime

    def conflicts(self, other: SendClaim, window: timedelta) -> bool:
        """Whether only one of the two may send (a claim never conflicts with itself)."""
        if other.id == self.id:
            return False
        if other.occurrence == self.occurrence:
            return True
        return other.recipient == self.recipient and abs(other.at - self.at) < window


@dataclass(frozen=True, slots=True)
class Sighting:
    """A claim seen while settling: where it was stored, or None when its place is unknown."""

    claim: SendClaim
    uid: int | None


def make_claim(author: str, copy: str, occurrence: str, recipient: str, at: datetime) -> SendClaim:
    """A new claim by one copy of shared-inbox (``copy`` names its store: an agent may run two).

    An occurrence key longer than a claim holds is cut; the id still covers all of it.
    """
    return SendClaim(
        claim_id(copy, occurrence), occurrence[:MAX_OCCURRENCE_CHARS], recipient.lower(), author.lower(), at
    )


def claim_id(copy: str, occurrence: str) -> str:
    """The claim's event id: the same copy claiming the same occurrence again gets the same id."""
    digest = hashlib.sha256(f"{copy}\0{occurrence}".encode()).hexdigest()
    return f"claim-{digest[:40]}"


def claim_event(claim: SendClaim, anchor: str, clock: Hlc) -> Event:
    """The claim as a team event, anchored to a message of the conversation answered."""
    data = {"occurrence": claim.occurrence, "recipient": claim.recipient}
    return Event(
        id=claim.id, kind=CLAIM_KIND, anchor=anchor, author=claim.author, at=claim.at, clock=clock, data=data
    )


def claim_of(event: Event) -> SendClaim | None:
    """The claim an event holds; None for other events and for malformed claims."""
    if str(event.kind) != CLAIM_KIND:
        return None
    occurrence, recipient = event.data.get("occurrence"), event.data.get("recipient")
    if not isinstance(occurrence, str) or not isinstance(recipient, str) or not occurrence or not recipient:
        return None
    return SendClaim(event.id, occurrence, recipient.lower(), event.author.lower(), event.at)


def beaten_by(mine: SendClaim, my_uid: int, seen: Iterable[Sighting], window: timedelta) -> SendClaim | None:
    """The claim that wins over ``mine`` (stored at ``my_uid``), or None when ``mine`` wins."""
    earlier = [
        sighting
        for sighting in seen
        if mine.conflicts(sighting.claim, window) and (sighting.uid is None or sighting.uid < my_uid)
    ]
    if not earlier:
        return None
    first = min(earlier, key=lambda s: (s.uid is not None, s.uid or 0, s.claim.at, s.claim.id))
    return first.claim
