"""What every period's figures read from one conversation, worked out once per report.

A comparison and a breakdown look at the same conversations several times; the status
timeline, the first response and the customer turns do not depend on the period.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime

from shared_inbox.domain.metrics.facts import ConversationFacts
from shared_inbox.domain.metrics.timeline import Turn, first_response, response_turns, timeline
from shared_inbox.domain.model import Status

__all__ = ["Derived", "derive"]


@dataclass(frozen=True, slots=True)
class Derived:
    facts: ConversationFacts
    moments: tuple[tuple[datetime, Status], ...]  # the status timeline
    starts: tuple[datetime, ...]  # its moments alone, for bisecting
    first: Turn | None
    turns: tuple[Turn, ...]

    def status_at(self, moment: datetime) -> Status:
        """The status in force just before ``moment``."""
        return self.moments[bisect.bisect_left(self.starts, moment) - 1][1]


def derive(facts: ConversationFacts) -> Derived:
    moments = tuple(timeline(facts))
    return Derived(
        facts,
        moments,
        tuple(at for at, _ in moments),
        first_response(facts),
        tuple(response_turns(facts, moments)),
    )
