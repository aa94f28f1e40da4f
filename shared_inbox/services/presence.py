"""Presence: which teammate is viewing or replying to a conversation right now.

Two halves, both free of IMAP:

- :class:`PresenceOutbox` holds what this agent is doing. The UI says what it wants shown,
  the team exchange (another thread) takes at most one note per round: changes made between
  two rounds coalesce into one message, and an unchanged presence is only refreshed every
  `refresh` so it does not expire while still true. It also remembers this agent's own notes
  on the server, so the superseded ones are deleted.
- :class:`PresenceBoard` holds what teammates are doing, newest note per agent, and drops
  notes once expired; the UI thread owns it and passes the time in.

Presence is deliberately not team state: it is never recorded as an event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared_inbox.domain.presence import Activity, Presence, PresenceNote
from shared_inbox.team.presence import new_note

PRESENCE_TTL = timedelta(seconds=60)
PRESENCE_REFRESH = timedelta(seconds=25)  # well inside the TTL, so one lost round does not blink


class PresenceOutbox:
    """This agent's presence between the UI thread (`want`) and the exchange thread (`take`)."""

    def __init__(
        self, me: str, *, ttl: timedelta = PRESENCE_TTL, refresh: timedelta = PRESENCE_REFRESH
    ) -> None:
        self.me = me
        self.ttl = ttl
        self.refresh = refresh
        self._lock = threading.Lock()
        self._wanted: frozenset[Presence] = frozenset()
        self._sent: frozenset[Presence] = frozenset()
        self._sent_at: datetime | None = None
        self._latest: PresenceNote | None = None
        self._own: dict[int, PresenceNote] = {}  # our notes seen on the server, by UID

    def want(self, entries: Iterable[Presence], now: datetime) -> bool:
        """Set what this agent is doing; True when a note should go out (changed, or due a refresh)."""
        with self._lock:
            self._wanted = frozenset(entries)
            return self._due(now)

    def take(self, now: datetime) -> PresenceNote | None:
        """The note to append now, if any; it counts as sent from here on."""
        with self._lock:
            if not self._due(now):
                return None
            note = new_note(self.me, self._wanted, now, self.ttl)
            self._sent, self._sent_at, self._latest = self._wanted, now, note
            return note

    def _due(self, now: datetime) -> bool:
        if self._wanted != self._sent:
            return True
        return bool(self._wanted) and self._sent_at is not None and now - self._sent_at >= self.refresh

    def seen_own(self, uid: int, note: PresenceNote) -> None:
        """One of our notes is on the server at `uid` (read back by the exchange)."""
        with self._lock:
            self._own[uid] = note

    def stale_own(self, now: datetime) -> list[int]:
        """Our notes to delete: all but the latest one, and that one too once it expired."""
        with self._lock:
            latest = self._latest.id if self._latest is not None else None
            return sorted(uid for uid, note in self._own.items() if note.id != latest or note.expired(now))

    def deleted(self, uids: Iterable[int]) -> None:
        with self._lock:
            for uid in uids:
                self._own.pop(uid, None)


@dataclass(frozen=True)
class Seen:
    """A teammate doing something on a conversation, as the screens show it."""

    agent: str
    activity: Activity


class PresenceBoard:
    """Teammates' latest notes; `at` answers for one conversation, never with expired presence."""

    def __init__(self, me: str) -> None:
        self.me = me
        self._notes: dict[str, PresenceNote] = {}

    @property
    def active(self) -> bool:
        """Whether any teammate's note is held (expired ones go at the next `drop_expired`)."""
        return bool(self._notes)

    def take_in(self, notes: Iterable[PresenceNote], now: datetime) -> bool:
        """Keep each teammate's newest note; True when what is shown changed."""
        changed = False
        for note in notes:
            if note.agent == self.me or note.expired(now):
                continue
            known = self._notes.get(note.agent)
            if known is None or (note.sent_at, note.id) > (known.sent_at, known.id):
                changed = changed or known is None or known.entries != note.entries
                self._notes[note.agent] = note
        return changed

    def drop_expired(self, now: datetime) -> bool:
        """Forget notes past their expiry; True when any shown presence went away."""
        gone = [agent for agent, note in self._notes.items() if note.expired(now)]
        for agent in gone:
            del self._notes[agent]
        return any(True for _ in gone)

    def by_conversation(self, resolve: Callable[[str], str | None], now: datetime) -> dict[str, list[Seen]]:
        """Conversation id -> who is there; replying before viewing, then by agent."""
        found: dict[str, set[Seen]] = {}
        for note in self._notes.values():
            if note.expired(now):
                continue
            for entry in note.entries:
                conv_id = resolve(entry.anchor)
                if conv_id is not None:
                    found.setdefault(conv_id, set()).add(Seen(note.agent, entry.activity))
        return {conv_id: sorted(seen, key=_rank) for conv_id, seen in found.items()}


def _rank(seen: Seen) -> tuple[int, str]:
    return (0 if seen.activity == "replying" else 1, seen.agent)
