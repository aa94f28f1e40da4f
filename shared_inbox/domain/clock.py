"""Hybrid logical clocks: a total order for events from several machines.

Wall clocks of teammates disagree and can step backwards; a hybrid logical clock
(Kulkarni et al., 2014) stays close to wall time yet never runs backwards and
always orders an event after every event its author had seen. Ties between
machines are broken by the node name, so the order is total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Hlc", "HlcClock", "HlcError", "MAX_NODE_CHARS"]

MAX_NODE_CHARS = 254  # an email address at most
_MAX_WALL_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
_MAX_COUNTER = 2**31 - 1
_TEXT = re.compile(r"(\d{13,15})-(\d{4,10})-(\S{1,254})")


class HlcError(ValueError):
    """A clock value that cannot be right."""


@dataclass(frozen=True, slots=True, order=True)
class Hlc:
    """One clock reading; compares as (wall_ms, counter, node)."""

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms <= _MAX_WALL_MS:
            raise HlcError(f"clock wall time {self.wall_ms} is out of range")
        if not 0 <= self.counter <= _MAX_COUNTER:
            raise HlcError(f"clock counter {self.counter} is out of range")
        if not self.node or len(self.node) > MAX_NODE_CHARS or any(c.isspace() for c in self.node):
            raise HlcError("clock node must be 1 to 254 characters without spaces")

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:04d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        """Read the ``"{wall_ms:013d}-{counter:04d}-{node}"`` form; raises :class:`HlcError`."""
        match = _TEXT.fullmatch(text)
        if match is None:
            raise HlcError(f"not a clock value: {text[:80]!r}")
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))


def wall_ms(now: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise HlcError("clock time must be timezone-aware")
    return max(0, int(now.timestamp() * 1000))


class HlcClock:
    """The clock of one node. Time always comes in from the caller.

    ``max_skew`` bounds how far ahead of our own time a remote reading may pull us:
    one teammate's wildly wrong clock (or a forged event) must not drag every later
    event into the far future. Readings beyond it are ignored.
    """

    def __init__(self, node: str, *, max_skew: timedelta = timedelta(days=1)) -> None:
        self.last = Hlc(0, 0, node)
        self.max_skew_ms = int(max_skew.total_seconds() * 1000)

    @property
    def node(self) -> str:
        return self.last.node

    def tick(self, now: datetime) -> Hlc:
        """A new reading for a local event, later than every reading seen so far."""
        physical = wall_ms(now)
        if physical > self.last.wall_ms:
            self.last = Hlc(physical, 0, self.node)
        else:
            self.last = Hlc(self.last.wall_ms, self.last.counter + 1, self.node)
        return self.last

    def observe(self, remote: Hlc, now: datetime) -> None:
        """Take in a reading from another node so our next tick orders after it."""
        physical = wall_ms(now)
        if remote.wall_ms > physical + self.max_skew_ms:
            return
        last = self.last
        wall = max(last.wall_ms, remote.wall_ms, physical)
        if wall == last.wall_ms == remote.wall_ms:
            counter = max(last.counter, remote.counter) + 1
        elif wall == last.wall_ms:
            counter = last.counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        self.last = Hlc(wall, counter, self.node)
