"""What the team owes each conversation and by when: promises, follow-ups and SLA clocks.

The domain computes promises (:func:`reduce_promises`, :func:`promise_outcome`) and SLA
clocks (:func:`sla_clocks`); this module feeds them a conversation's messages and events
and sums the result up as a next due time and an urgency the list, the reader, the app's
overdue check and the CLI all share.

The list asks for every open conversation on each redraw, so the expensive part is cached
per conversation and kept while its message count, event count and status stay the same.
What is cached does not depend on the time: a running clock's due time and the moment it
becomes at risk are fixed instants until a message or an event changes them, so judging
the cached facts at a later ``now`` only compares times. Each judgement is kept too, with
the next instant at which any of its comparisons can turn (a due time passing, a clock
reaching its risk share, a promise coming within ``soon``), so the list's repeated passes
reuse it until then.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from shared_inbox.domain.auto_reply import is_automatic_answer
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.events import Event, status_history
from shared_inbox.domain.message_kinds import makes_customer_wait
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.domain.promise_events import PROMISE_KINDS, reduce_promises
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.domain.sla import (
    FollowUp,
    Promise,
    PromiseState,
    SlaClock,
    SlaPolicy,
    SlaState,
    choose_policy,
    promise_outcome,
    sla_clocks,
)

if TYPE_CHECKING:
    from shared_inbox.services.inbox import Inbox
    from shared_inbox.services.session import Session

__all__ = [
    "DUE_SOON",
    "DeadlineItem",
    "DeadlineTracker",
    "Deadlines",
    "Urgency",
    "priority_of",
    "tracker_for",
]

DUE_SOON = timedelta(hours=4)  # an open promise this close to its due time is at risk
PRIORITY_PREFIX = "priority:"
_ALWAYS_OPEN = BusinessCalendar.always_open()
_TICK = timedelta(microseconds=1)  # `now > due` first holds at due + _TICK


class Urgency(enum.StrEnum):
    NONE = "none"  # nothing owed
    OK = "ok"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"


class ItemKind(enum.StrEnum):
    PROMISE = "promise"
    FOLLOW_UP = "follow_up"
    SLA = "sla"


@dataclass(frozen=True, slots=True)
class DeadlineItem:
    """One promise, follow-up or SLA clock, judged at one moment."""

    key: str  # stable across reloads: "promise:<id>" or "sla:<target>:<start>"
    kind: ItemKind
    text: str  # what was promised, or the SLA target ("first_response")
    due: datetime | None  # None: paused, or a follow-up waiting for the close
    state: str  # a PromiseState or SlaState value, or "waiting" for a follow-up before the close
    outstanding: bool  # still owed: counts towards the next due time and the urgency
    author: str | None = None
    promise_id: str | None = None
    policy: str | None = None


@dataclass(frozen=True, slots=True)
class Deadlines:
    """A conversation's promises and SLA clocks, its next due time and how urgent it is."""

    policy: str | None
    promises: tuple[DeadlineItem, ...]
    clocks: tuple[DeadlineItem, ...]
    next_due: datetime | None
    urgency: Urgency

    @property
    def items(self) -> tuple[DeadlineItem, ...]:
        return self.promises + self.clocks

    def overdue(self, now: datetime) -> list[DeadlineItem]:
        return [i for i in self.items if i.outstanding and i.due is not None and now > i.due]


NOTHING = Deadlines(None, (), (), None, Urgency.NONE)


def priority_of(tags: Iterable[str]) -> str | None:
    """The conversation's priority: the name in its `priority:<name>` tag."""
    for tag in sorted(tags):
        if tag.startswith(PRIORITY_PREFIX) and len(tag) > len(PRIORITY_PREFIX):
            return tag[len(PRIORITY_PREFIX) :]
    return None


# -- facts: what does not change with the time -------------------------------------------


@dataclass(frozen=True, slots=True)
class _PromiseFact:
    promise: Promise  # with the due time in force (after the close, for AFTER_CLOSE)
    kind: ItemKind
    fulfilments: tuple[datetime, ...]
    resolved_at: datetime | None
    outstanding: bool
    waiting_for_close: bool

    def judge(self, now: datetime) -> DeadlineItem:
        promise = self.promise
        if self.waiting_for_close:
            state = "waiting"
        else:
            state = promise_outcome(promise, self.fulfilments, self.resolved_at, now).value
        return DeadlineItem(
            key=f"promise:{promise.id}",
            kind=self.kind,
            text=promise.text,
            due=None if self.waiting_for_close else promise.due,
            state=state,
            outstanding=self.outstanding,
            author=promise.author,
            promise_id=promise.id,
        )


@dataclass(frozen=True, slots=True)
class _ClockFact:
    clock: SlaClock
    policy: str
    risk_at: datetime | None  # when a running clock reaches its policy's risk share
    key: str = ""

    def judge(self, now: datetime) -> DeadlineItem:
        clock = self.clock
        outstanding = clock.stopped is None
        state = clock.state
        if outstanding and clock.due is not None:
            if now > clock.due:
                state = SlaState.BROKEN
            elif state is not SlaState.PAUSED:
                at_risk = self.risk_at is not None and now >= self.risk_at
                state = SlaState.AT_RISK if at_risk else SlaState.RUNNING
        return DeadlineItem(
            key=self.key,
            kind=ItemKind.SLA,
            text=clock.target.value,
            due=clock.due,
            state=state.value,
            outstanding=outstanding,
            policy=self.policy,
        )


@dataclass(frozen=True, slots=True)
class _Facts:
    key: tuple[int, int, Status]
    computed_at: datetime
    policy: str | None
    promises: tuple[_PromiseFact, ...]
    clocks: tuple[_ClockFact, ...]
    last_status_change: datetime | None
    turns: tuple[datetime, ...] = ()  # in UTC, sorted: where a comparison in `judge` can flip

    def next_turn(self, now: datetime) -> datetime | None:
        """The first instant after ``now`` at which judging can give another answer; None if never."""
        at = bisect.bisect_right(self.turns, now.astimezone(UTC))
        return self.turns[at] if at < len(self.turns) else None

    def judge(self, now: datetime, soon: timedelta) -> Deadlines:
        if not self.promises and not self.clocks:
            return NOTHING if self.policy is None else Deadlines(self.policy, (), (), None, Urgency.NONE)
        promises = tuple(fact.judge(now) for fact in self.promises)
        clocks = tuple(fact.judge(now) for fact in self.clocks)
        owed = [item for item in promises + clocks if item.outstanding]
        dues = [item.due for item in owed if item.due is not None]
        next_due = min(dues, default=None)
        if next_due is not None and now > next_due:
            urgency = Urgency.OVERDUE
        elif any(item.state == SlaState.AT_RISK for item in clocks if item.outstanding) or any(
            item.due is not None and item.due - now <= soon for item in owed if item.kind != ItemKind.SLA
        ):
            urgency = Urgency.AT_RISK
        else:
            urgency = Urgency.OK if owed else Urgency.NONE
        return Deadlines(self.policy, promises, clocks, next_due, urgency)


# -- the tracker ------------------------------------------------------------------------


class DeadlineTracker:
    """Deadlines of the inbox's conversations, cached per conversation."""

    def __init__(
        self,
        inbox: Inbox,
        policies: Sequence[SlaPolicy],
        calendar: BusinessCalendar,
        *,
        soon: timedelta = DUE_SOON,
    ) -> None:
        self.inbox = inbox
        self.policies = tuple(policies)
        self.calendar = calendar
        self.soon = soon
        self._facts: dict[str, _Facts] = {}
        # conversation id -> (facts judged, judged at (UTC), next turn or None, the judgement)
        self._judged: dict[str, tuple[_Facts, datetime, datetime | None, Deadlines]] = {}

    def of(self, conv: Conversation, now: datetime) -> Deadlines:
        """The conversation's deadlines as they stand at ``now``."""
        facts = self._facts_of(conv, now)
        moment = now.astimezone(UTC)
        kept = self._judged.get(conv.id)
        if kept is not None and kept[0] is facts:
            _, judged_at, until, deadlines = kept
            if judged_at <= moment and (until is None or moment < until):
                return deadlines
        deadlines = facts.judge(now, self.soon)
        self._judged[conv.id] = (facts, moment, facts.next_turn(moment), deadlines)
        return deadlines

    def next_turn(self, now: datetime) -> datetime | None:
        """The first instant after ``now`` at which a deadline judged so far may read differently.

        None when none can change with time alone (only a new message or event changes them).
        """
        moment = now.astimezone(UTC)
        return min(
            (until for *_, until, _ in self._judged.values() if until is not None and until > moment),
            default=None,
        )

    def due_within(
        self, convs: Iterable[Conversation], now: datetime, window: timedelta
    ) -> list[tuple[Conversation, Deadlines]]:
        """Conversations with something owed by ``now + window`` (overdue included), soonest first."""
        found = []
        for conv in convs:
            deadlines = self.of(conv, now)
            if deadlines.next_due is not None and deadlines.next_due <= now + window:
                found.append((conv, deadlines))
        return sorted(found, key=lambda pair: (pair[1].next_due, pair[0].id))

    def follow_ups_to_reopen(
        self, convs: Iterable[Conversation], now: datetime
    ) -> list[tuple[Conversation, DeadlineItem]]:
        """Closed conversations whose follow-up fell due and whose status nobody changed since."""
        found = []
        for conv in convs:
            if conv.state.status is not Status.CLOSED:
                continue
            facts = self._facts_of(conv, now)
            for fact in facts.promises:
                item = fact.judge(now)
                if item.kind is not ItemKind.FOLLOW_UP or not item.outstanding or item.due is None:
                    continue
                changed = facts.last_status_change
                if now >= item.due and (changed is None or changed < item.due):
                    found.append((conv, item))
                    break
        return found

    def overdue_items(
        self, convs: Iterable[Conversation], now: datetime
    ) -> list[tuple[Conversation, DeadlineItem]]:
        """Every promise, follow-up and SLA clock still owed and past its due time."""
        return [(conv, item) for conv in convs for item in self.of(conv, now).overdue(now)]

    def forget(self) -> None:
        self._facts.clear()
        self._judged.clear()

    # -- computing --------------------------------------------------------------------

    def _facts_of(self, conv: Conversation, now: datetime) -> _Facts:
        key = (len(conv.message_ids), self.inbox.event_count_of(conv.id), conv.state.status)
        cached = self._facts.get(conv.id)
        if cached is not None and cached.key == key and cached.computed_at <= now:
            return cached
        facts = self._compute(conv, self.inbox.events_of(conv.id), key, now)
        self._facts[conv.id] = facts
        return facts

    def _compute(
        self, conv: Conversation, events: list[Event], key: tuple[int, int, Status], now: datetime
    ) -> _Facts:
        status = conv.state.status
        history = status_history(events)
        last_change = history[-1][0] if history else None
        policy = None
        if self.policies:
            domain = conv.customer.organisation if conv.customer else None
            policy = choose_policy(self.policies, conv.state.tags, priority_of(conv.state.tags), domain)
        has_promises = any(str(event.kind) in PROMISE_KINDS for event in events)
        if status is Status.SPAM or (policy is None and not has_promises):
            return _Facts(key, now, policy.name if policy else None, (), (), last_change)
        # Auto-replies and bounces (and bulk mail, unless the team counts it) never move a clock,
        # and our own automatic replies (acknowledgements) answer nobody: no response, no promise kept.
        metas = [meta for meta in self.inbox.messages_of(conv) if not is_automatic_answer(meta)]
        bulk_counts = self.inbox.bulk_starts_clocks
        messages = [
            (meta.arrived, meta.outgoing)
            for meta in metas
            if meta.outgoing or makes_customer_wait(meta, bulk_counts=bulk_counts)
        ]
        replies = tuple((meta.arrived, meta.message_id) for meta in metas if meta.outgoing)
        resolved_at = _closed_since(history) if status is Status.CLOSED else None
        promises = tuple(
            self._promise_fact(promise, replies, resolved_at, history) for promise in reduce_promises(events)
        )
        clocks: tuple[_ClockFact, ...] = ()
        if policy is not None:
            clocks = tuple(
                self._clock_fact(clock, policy, now)
                for clock in sla_clocks(policy, messages, history, self.calendar, now)
            )
        turns = _turns(promises, clocks, self.soon)
        return _Facts(key, now, policy.name if policy else None, promises, clocks, last_change, turns)

    def _promise_fact(
        self,
        promise: Promise,
        replies: tuple[tuple[datetime, str], ...],
        resolved_at: datetime | None,
        history: list[tuple[datetime, Status]],
    ) -> _PromiseFact:
        if promise.follow_up is None:
            kind, since = ItemKind.PROMISE, promise.created_at
        else:
            # Closing the conversation is not following it up.
            kind, since, resolved_at = ItemKind.FOLLOW_UP, promise.created_at, None
        if promise.follow_up is FollowUp.AFTER_CLOSE:
            closed = next((at for at, status in history if status is Status.CLOSED and at >= since), None)
            if closed is None:
                waiting = promise.state is PromiseState.OPEN
                return _PromiseFact(promise, kind, (), None, waiting, waiting_for_close=True)
            promise = replace(promise, due=self._after_close(promise, closed), created_at=closed)
            since = closed
        # A later reply keeps a promise; the reply that made it does not, however late it left.
        fulfilments = [
            moment
            for moment, message_id in replies
            if message_id != promise.made_in and moment.astimezone(UTC) > since.astimezone(UTC)
        ]
        if resolved_at is not None and resolved_at > since:
            fulfilments.append(resolved_at)
        outstanding = promise.state is PromiseState.OPEN and not fulfilments
        return _PromiseFact(
            promise, kind, tuple(fulfilments), resolved_at, outstanding, waiting_for_close=False
        )

    def _after_close(self, promise: Promise, closed: datetime) -> datetime:
        try:
            return parse_follow_up(promise.after or "", closed.astimezone(self.calendar.zone), self.calendar)
        except FollowUpError:
            return promise.due

    def _clock_fact(self, clock: SlaClock, policy: SlaPolicy, now: datetime) -> _ClockFact:
        risk_at = None
        if clock.stopped is None and clock.state is SlaState.AT_RISK:
            risk_at = now
        elif clock.stopped is None and clock.state is SlaState.RUNNING:
            # Running and not paused: counted time advances with the calendar from now on.
            counting = self.calendar if policy.business_hours else _ALWAYS_OPEN
            left = clock.allowed * policy.risk_fraction - clock.elapsed
            risk_at = counting.add_business_time(now, max(left, timedelta()))
        key = f"sla:{clock.target.value}:{clock.started.astimezone(UTC).isoformat()}"
        return _ClockFact(clock, policy.name, risk_at, key)


def _turns(
    promises: Sequence[_PromiseFact], clocks: Sequence[_ClockFact], soon: timedelta
) -> tuple[datetime, ...]:
    """Every instant at which one of `_Facts.judge`'s comparisons with ``now`` flips, in UTC order."""
    moments: set[datetime] = set()
    for promise in promises:
        if promise.waiting_for_close:
            continue
        due = promise.promise.due
        moments.add(due + _TICK)  # broken, overdue
        moments.add(due - soon)  # at risk
    for fact in clocks:
        clock = fact.clock
        if clock.stopped is None and clock.due is not None:
            moments.add(clock.due + _TICK)
            if fact.risk_at is not None:
                moments.add(fact.risk_at)
    return tuple(sorted(moment.astimezone(UTC) for moment in moments))


def _closed_since(history: list[tuple[datetime, Status]]) -> datetime | None:
    """When the standing close happened: the last status change, if it was to closed."""
    return history[-1][0] if history and history[-1][1] is Status.CLOSED else None


_TRACKERS: WeakKeyDictionary[Inbox, DeadlineTracker] = WeakKeyDictionary()


def tracker_for(session: Session) -> DeadlineTracker:
    """The one tracker of an open session, so the list, the reader and the app share its cache."""
    tracker = _TRACKERS.get(session.inbox)
    if tracker is None:
        config = session.config
        tracker = DeadlineTracker(session.inbox, config.sla, config.business_hours.calendar())
        _TRACKERS[session.inbox] = tracker
    return tracker
