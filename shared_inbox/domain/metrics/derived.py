"""What every period's figures read from one conversation, worked out once per report.

A comparison and a breakdown look at the same conversations several times; the status
timeline, the first response and the customer turns do not depend on the period.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.metrics.attribution import Role
from shared_inbox.domain.metrics.facts import ConversationFacts
from shared_inbox.domain.metrics.timeline import Turn, first_response, response_turns, timeline
from shared_inbox.domain.model import Status

__all__ = ["Derived", "Positions", "derive"]


@dataclass(frozen=True, slots=True)
class Derived:
    facts: ConversationFacts
    moments: tuple[tuple[datetime, Status], ...]  # the status timeline
    starts: tuple[datetime, ...]  # its moments alone, for bisecting
    first: Turn | None
    turns: tuple[Turn, ...]
    created: datetime | None = None  # the first message's arrival
    team_started: bool = False
    first_customer: datetime | None = None  # the customer's first message
    first_reply: datetime | None = None  # the team's first reply by a person
    # Nothing a period counts of it (message, status change, note, rating, promise, SLA
    # clock) comes earlier: a period ending by then can pass it by. None: nothing at all.
    earliest: datetime | None = None

    def before(self, moment: datetime) -> bool:
        """Whether anything of the conversation happened before ``moment``."""
        return self.earliest is not None and self.earliest < moment

    def status_at(self, moment: datetime) -> Status:
        """The status in force just before ``moment``."""
        return self.moments[bisect.bisect_left(self.starts, moment) - 1][1]

    def waiting_since(self, moment: datetime) -> datetime | None:
        """When the customer's first message came, if no reply had gone out by ``moment``."""
        if self.team_started or (self.first_reply is not None and self.first_reply <= moment):
            return None
        return self.first_customer


def derive(facts: ConversationFacts) -> Derived:
    moments = tuple(timeline(facts))
    messages = facts.messages
    first_customer = first_reply = None
    for message in messages:
        if first_customer is None and message.role is Role.CUSTOMER:
            first_customer = message.at
        elif first_reply is None and message.role is Role.AGENT:
            first_reply = message.at
        if first_customer is not None and first_reply is not None:
            break
    return Derived(
        facts,
        moments,
        tuple(at for at, _ in moments),
        first_response(facts),
        tuple(response_turns(facts, moments)),
        created=messages[0].at if messages else None,
        team_started=facts.team_started,
        first_customer=first_customer,
        first_reply=first_reply,
        earliest=_earliest(facts),
    )


def _earliest(facts: ConversationFacts) -> datetime | None:
    # Messages, status changes and notes are kept oldest first; the rest are few.
    return min(
        [
            *(message.at for message in facts.messages[:1]),
            *(at for at, _ in facts.statuses[:1]),
            *facts.notes[:1],
            *(rating.at for rating in facts.ratings),
            *(promise.made for promise in facts.promises),
            *(clock.started for clock in facts.clocks),
        ],
        default=None,
    )


class Positions:
    """A calendar's :meth:`~BusinessCalendar.position` of each moment, looked up once per report.

    The periods' bounds, first customer messages and replies recur across the summary,
    the comparison, the agents and the waiting list.
    """

    def __init__(self, measure: BusinessCalendar) -> None:
        self.measure = measure
        self._known: dict[datetime, float] = {}

    def __call__(self, moment: datetime) -> float:
        found = self._known.get(moment)
        if found is None:
            found = self._known[moment] = self.measure.position(moment)
        return found

    def seconds(self, earlier: datetime, later: datetime) -> float:
        return self(later) - self(earlier)
