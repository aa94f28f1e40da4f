"""The figures of a set of conversations over one period: the part every breakdown row repeats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.metrics.attribution import Role
from shared_inbox.domain.metrics.derived import Derived, Positions
from shared_inbox.domain.metrics.stats import Distribution, distribution
from shared_inbox.domain.metrics.timeline import active_spans, resolution_in
from shared_inbox.domain.satisfaction import Rating, score
from shared_inbox.domain.sla import PromiseState, SlaState

__all__ = ["Summary", "summarise"]


@dataclass(frozen=True, slots=True)
class Summary:
    conversations_created: int = 0
    customer_messages: int = 0
    replies: int = 0
    notes: int = 0
    first_response: Distribution = field(default_factory=Distribution)
    response: Distribution = field(default_factory=Distribution)
    resolved: int = 0
    no_action_needed: int = 0
    resolution: Distribution = field(default_factory=Distribution)
    replies_per_resolution: float | None = None
    one_touch_percent: float | None = None
    reopened: int = 0
    reopen_rate_percent: float | None = None
    wait: Distribution = field(default_factory=Distribution)
    sla_kept: int = 0
    sla_broken: int = 0
    promises_made: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    promises_open: int = 0
    promise_margin: Distribution = field(default_factory=Distribution)
    ratings: tuple[int, int, int] = (0, 0, 0)  # great, okay, not good
    rating_requests: int = 0  # replies that asked for a rating

    @property
    def satisfaction_score(self) -> float | None:
        great, okay, bad = self.ratings
        return score([Rating.GREAT] * great + [Rating.OKAY] * okay + [Rating.NOT_GOOD] * bad)

    @property
    def rating_response_percent(self) -> float | None:
        return _percent(sum(self.ratings), self.rating_requests)

    @property
    def sla_percent(self) -> float | None:
        judged = self.sla_kept + self.sla_broken
        return _percent(self.sla_kept, judged)

    def to_json(self) -> dict[str, object]:
        return {
            "volume": {
                "conversations_created": self.conversations_created,
                "customer_messages": self.customer_messages,
                "replies": self.replies,
                "notes": self.notes,
            },
            "first_response": self.first_response.to_json(),
            "response": self.response.to_json(),
            "resolution": {
                "resolved": self.resolved,
                "no_action_needed": self.no_action_needed,
                "median_seconds": self.resolution.to_json()["median_seconds"],
                "p90_seconds": self.resolution.to_json()["p90_seconds"],
                "replies_per_resolution": _round(self.replies_per_resolution),
                "one_touch_percent": _round(self.one_touch_percent),
                "reopened": self.reopened,
                "reopen_rate_percent": _round(self.reopen_rate_percent),
            },
            "wait": self.wait.to_json(),
            "sla": {
                "kept": self.sla_kept,
                "broken": self.sla_broken,
                "achievement_percent": _round(self.sla_percent),
            },
            "promises": {
                "made": self.promises_made,
                "kept": self.promises_kept,
                "broken": self.promises_broken,
                "open": self.promises_open,
                "median_margin_seconds": self.promise_margin.to_json()["median_seconds"],
            },
            "satisfaction": {
                "ratings": sum(self.ratings),
                "score": _round(self.satisfaction_score),
                "great": self.ratings[0],
                "okay": self.ratings[1],
                "not_good": self.ratings[2],
                "requests": self.rating_requests,
                "response_rate_percent": _round(self.rating_response_percent),
            },
        }


def summarise(
    conversations: Sequence[Derived],
    start: datetime,
    end: datetime,
    positions: Positions,
    now: datetime,
) -> Summary:
    """Figures for [start, end); durations are counted by ``positions`` (business or calendar time)."""

    def inside(moment: datetime) -> bool:
        return start <= moment < end

    wait_end = min(end, now)
    seconds = positions.seconds

    created = customer = replies = notes = 0
    firsts: list[float] = []
    responses: list[float] = []
    resolutions: list[float] = []
    waits: list[float] = []
    margins: list[float] = []
    resolved = no_action = reopened = one_touch = replies_resolving = 0
    kept = broken = 0
    promises = {state: 0 for state in PromiseState}
    ratings = {rating: 0 for rating in Rating}
    requests = 0
    for derived in conversations:
        facts = derived.facts
        if facts.spam or not derived.before(end):
            continue
        if derived.created is not None and start <= derived.created < end:
            created += 1
        for message in facts.messages:
            if start <= message.at < end:
                customer += message.role is Role.CUSTOMER
                replies += message.role is Role.AGENT
                requests += message.asked
        if facts.notes:
            notes += sum(1 for at in facts.notes if inside(at))
        first = derived.first
        if first is not None and start <= first.reply.at < end:
            firsts.append(seconds(first.started, first.reply.at))
        for turn in derived.turns:
            if start <= turn.reply.at < end:
                responses.append(seconds(turn.started, turn.reply.at))
        # One status all along (never closed or pended) has no close to resolve it.
        resolution = resolution_in(facts, start, end, derived.moments) if len(derived.moments) > 1 else None
        if resolution is not None and resolution.resolved:
            resolved += 1
            replies_resolving += resolution.replies
            one_touch += resolution.replies == 1
            reopened += resolution.reopened
            if resolution.first_customer is not None and resolution.first_customer <= resolution.closed:
                resolutions.append(seconds(resolution.first_customer, resolution.closed))
        elif resolution is not None:
            no_action += 1
        waited = sum(seconds(a, b) for a, b in active_spans(facts, start, wait_end, derived.moments))
        if waited > 0:
            waits.append(waited)
        for clock in facts.clocks:
            if clock.state is SlaState.KEPT and clock.stopped is not None and inside(clock.stopped):
                kept += 1
            elif clock.state is SlaState.BROKEN and clock.due is not None and inside(clock.due):
                broken += 1
        for rating in facts.ratings:
            if inside(rating.at):
                ratings[rating.rating] += 1
        for promise in facts.promises:
            if inside(promise.made):
                promises[promise.state] += 1
                if promise.kept_at is not None:
                    margins.append(seconds(promise.kept_at, promise.due))
    return Summary(
        conversations_created=created,
        customer_messages=customer,
        replies=replies,
        notes=notes,
        first_response=distribution(firsts),
        response=distribution(responses),
        resolved=resolved,
        no_action_needed=no_action,
        resolution=distribution(resolutions),
        replies_per_resolution=replies_resolving / resolved if resolved else None,
        one_touch_percent=_percent(one_touch, resolved),
        reopened=reopened,
        reopen_rate_percent=_percent(reopened, resolved),
        wait=distribution(waits),
        sla_kept=kept,
        sla_broken=broken,
        promises_made=sum(promises.values()),
        promises_kept=promises[PromiseState.KEPT],
        promises_broken=promises[PromiseState.BROKEN],
        promises_open=promises[PromiseState.OPEN],
        promise_margin=distribution(margins),
        ratings=(ratings[Rating.GREAT], ratings[Rating.OKAY], ratings[Rating.NOT_GOOD]),
        rating_requests=requests,
    )


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
