"""Presence: which teammate is viewing or replying to which conversation, for a short while.

Plain values; how a note travels between teammates is the team exchange's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Activity = Literal["viewing", "replying"]
ACTIVITIES: tuple[Activity, ...] = ("viewing", "replying")


@dataclass(frozen=True, order=True)
class Presence:
    """One thing an agent is doing: `activity` on the conversation holding Message-ID `anchor`."""

    anchor: str
    activity: Activity


@dataclass(frozen=True)
class PresenceNote:
    """Everything one agent is doing, as of `sent_at`, true until `expires_at` unless refreshed."""

    id: str
    agent: str
    sent_at: datetime
    expires_at: datetime
    entries: tuple[Presence, ...]

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at
