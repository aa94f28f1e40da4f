"""One conversation reduced to what the reports measure: who wrote when, and what the team did.

Built once per conversation from its messages (server arrival times, never the Date a
sender wrote) and its team events, so every metric reads the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.conversations import is_outgoing
from shared_inbox.domain.events import Event, EventKind, status_history
from shared_inbox.domain.message_kinds import makes_customer_wait
from shared_inbox.domain.metrics.attribution import Role, Roster, attribute, recorded_replies
from shared_inbox.domain.model import Conversation, MessageMeta, Status
from shared_inbox.domain.notes import NOTE_ADD
from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.domain.satisfaction import RatingFact, quiet_rating_messages, reduce_ratings
from shared_inbox.domain.sla import PromiseState, SlaClock, SlaPolicy, promise_outcome, sla_clocks

__all__ = ["ConversationFacts", "MessageFact", "PromiseFact", "conversation_facts"]


@dataclass(frozen=True, slots=True)
class MessageFact:
    at: datetime  # when the server received it, UTC
    role: Role
    agent: str | None = None  # for a team reply: the member's address or "unattributed"
    message_id: str = ""
    asked: bool = False  # a reply that asked the customer for a rating


@dataclass(frozen=True, slots=True)
class PromiseFact:
    made: datetime
    due: datetime
    state: PromiseState  # as things stand at the report's "now"
    kept_at: datetime | None  # the first reply, close or "done" that kept it


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    id: str
    messages: tuple[MessageFact, ...]  # oldest first
    statuses: tuple[tuple[datetime, Status], ...]  # status changes that still stand, oldest first
    assignments: tuple[tuple[datetime, str | None], ...] = ()
    snoozes: tuple[tuple[datetime, datetime], ...] = ()  # (from, until)
    notes: tuple[datetime, ...] = ()
    tags: frozenset[str] = frozenset()
    organisation: str = ""
    policy: str | None = None
    clocks: tuple[SlaClock, ...] = ()
    promises: tuple[PromiseFact, ...] = ()
    spam: bool = False
    ratings: tuple[RatingFact, ...] = ()

    @property
    def created(self) -> datetime | None:
        return self.messages[0].at if self.messages else None

    @property
    def team_started(self) -> bool:
        """The team wrote first: nobody was waiting for a first response."""
        first = next((m for m in self.messages if m.role is not Role.MACHINE), None)
        return first is not None and first.role is not Role.CUSTOMER


def conversation_facts(
    conv: Conversation,
    metas: Sequence[MessageMeta],
    events: Sequence[Event],
    *,
    our_addresses: frozenset[str],
    roster: Roster,
    now: datetime,
    bulk_counts: bool = True,
    policy: SlaPolicy | None = None,
    calendar: BusinessCalendar | None = None,
) -> ConversationFacts:
    """The facts of one conversation; SLA clocks are judged at ``now`` when a policy covers it."""
    recorded = recorded_replies(events)
    quiet = quiet_rating_messages(events) if events else frozenset()
    messages = []
    for meta in sorted(metas, key=lambda m: (m.arrived, m.message_id)):
        outgoing = is_outgoing(meta, our_addresses)
        role, agent = attribute(
            meta,
            outgoing=outgoing,
            customer_writes=makes_customer_wait(meta, bulk_counts=bulk_counts)
            and meta.message_id not in quiet,
            roster=roster,
            recorded=recorded,
        )
        asked = meta.message_id in recorded and recorded[meta.message_id].asked
        messages.append(MessageFact(meta.arrived.astimezone(UTC), role, agent, meta.message_id, asked))
    if not events:  # most conversations: nothing but mail
        return ConversationFacts(
            id=conv.id,
            messages=tuple(messages),
            statuses=(),
            tags=conv.state.tags,
            organisation=conv.customer.organisation if conv.customer else "",
            policy=policy.name if policy else None,
            clocks=_clocks(policy, messages, [], calendar, now),
        )
    history = [(at.astimezone(UTC), status) for at, status in status_history(events)]
    spam = conv.state.status is Status.SPAM
    clocks = () if spam else _clocks(policy, messages, history, calendar, now)
    customers = [m.at for m in messages if m.role is Role.CUSTOMER]
    return ConversationFacts(
        id=conv.id,
        messages=tuple(messages),
        statuses=tuple(history),
        assignments=_assignments(events),
        snoozes=_snoozes(events, customers),
        notes=tuple(sorted(e.at.astimezone(UTC) for e in events if e.kind == NOTE_ADD)),
        tags=conv.state.tags,
        organisation=conv.customer.organisation if conv.customer else "",
        policy=policy.name if policy else None,
        clocks=clocks,
        promises=_promises(events, messages, history, now),
        spam=spam,
        ratings=tuple(reduce_ratings(events)),
    )


def _clocks(
    policy: SlaPolicy | None,
    messages: Sequence[MessageFact],
    history: Sequence[tuple[datetime, Status]],
    calendar: BusinessCalendar | None,
    now: datetime,
) -> tuple[SlaClock, ...]:
    if policy is None:
        return ()
    timed = [(m.at, m.role is Role.AGENT) for m in messages if m.role in (Role.AGENT, Role.CUSTOMER)]
    return tuple(sla_clocks(policy, timed, history, calendar, now))


def _assignments(events: Iterable[Event]) -> tuple[tuple[datetime, str | None], ...]:
    changes: list[tuple[datetime, str | None]] = []
    for event in sorted(events, key=lambda e: (e.at, e.clock, e.id)):
        if event.kind is EventKind.ASSIGN and isinstance(event.data.get("assignee"), str):
            changes.append((event.at.astimezone(UTC), str(event.data["assignee"]).lower()))
        elif event.kind is EventKind.UNASSIGN:
            changes.append((event.at.astimezone(UTC), None))
    return tuple(changes)


def _snoozes(
    events: Iterable[Event], customer_times: Sequence[datetime]
) -> tuple[tuple[datetime, datetime], ...]:
    """Snoozed spans: from the snooze to its time, cut short by the next change or the customer writing."""
    changes = sorted(
        (e for e in events if e.kind in (EventKind.SNOOZE, EventKind.UNSNOOZE)),
        key=lambda e: (e.at, e.clock, e.id),
    )
    spans = []
    for index, event in enumerate(changes):
        if event.kind is not EventKind.SNOOZE:
            continue
        try:
            until = datetime.fromisoformat(str(event.data.get("until"))).astimezone(UTC)
        except ValueError:
            continue
        start = event.at.astimezone(UTC)
        if index + 1 < len(changes):
            until = min(until, changes[index + 1].at.astimezone(UTC))
        woken = next((at for at in customer_times if at > start), None)
        if woken is not None:
            until = min(until, woken)
        if until > start:
            spans.append((start, until))
    return tuple(spans)


def _promises(
    events: Sequence[Event],
    messages: Sequence[MessageFact],
    history: Sequence[tuple[datetime, Status]],
    now: datetime,
) -> tuple[PromiseFact, ...]:
    """Promises made to the customer (not the team's own follow-ups), judged at ``now``."""
    promises = [p for p in reduce_promises(events) if p.follow_up is None]
    if not promises:
        return ()
    closes = [at for at, status in history if status is Status.CLOSED]
    facts = []
    for promise in promises:
        if promise.state is PromiseState.DROPPED:
            continue
        made = promise.created_at.astimezone(UTC)
        # The reply that made the promise does not keep it, however late it left.
        replies = [
            m.at for m in messages if m.role is Role.AGENT and m.at > made and m.message_id != promise.made_in
        ]
        resolved = next((at for at in closes if at > made), None)
        state = promise_outcome(promise, replies, resolved, now)
        kept_at = None
        if state is PromiseState.KEPT:
            moments = [*replies, *([resolved] if resolved else [])]
            if promise.state is PromiseState.KEPT and promise.settled_at is not None:
                moments.append(promise.settled_at.astimezone(UTC))
            kept_at = min(m for m in moments if m > made)
        facts.append(PromiseFact(made, promise.due.astimezone(UTC), state, kept_at))
    return tuple(facts)
