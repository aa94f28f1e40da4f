"""When a rule fires: the trigger occurrences of one conversation, found from its facts.

Every occurrence has a key that names it for good (the message, the status event, the
start of the wait, the SLA clock) and the moment it happened, both derived from the
conversation's data alone, so every copy of the inbox finds the same occurrences and the
same moments. Event triggers fire for occurrences newer than the rule's ``max_age``;
time conditions fire while the conversation is in the state they wait for.

Machine mail is not a customer writing: out-of-office replies and bounces never fire
``new_conversation`` or ``customer_reply``, and bulk mail never fires them for a rule
that would answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import Conversation, MessageKind, MessageMeta, Status
from shared_inbox.domain.rules import AUTHOR_PREFIX, Rule, Trigger

__all__ = ["ClockFact", "ConversationFacts", "MessageFact", "Occurrence", "StatusChange", "occurrences"]

_ALWAYS_OPEN = BusinessCalendar.always_open()
# A rule acts just after the message or change that triggered it: arrival times have whole
# seconds, and a change in the same second as a customer's message is read as before it.
REACTION = timedelta(seconds=1)
_OPEN = frozenset({Status.ACTIVE, Status.PENDING})


@dataclass(frozen=True, slots=True)
class MessageFact:
    message_id: str
    arrived: datetime
    kind: MessageKind


@dataclass(frozen=True, slots=True)
class StatusChange:
    event_id: str
    at: datetime
    status: Status
    author: str


@dataclass(frozen=True, slots=True)
class ClockFact:
    """A running SLA clock: its key, when it started, its allowance and the time it has used."""

    key: str
    started: datetime
    allowed: timedelta
    elapsed: timedelta
    business_hours: bool
    paused: bool = False


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    """What the triggers look at; built by the caller from the inbox."""

    conversation: Conversation
    messages: tuple[MessageFact, ...]  # oldest first
    status_changes: tuple[StatusChange, ...] = ()  # the ones that still stand, oldest first
    assignment_changed: datetime | None = None  # the latest assign or unassign event
    clocks: tuple[ClockFact, ...] = ()
    metas: Sequence[MessageMeta] = ()  # for the conditions (from:, subject:, has:)
    body: str = ""  # the customer's latest message, for the rule's body words


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One time a rule's trigger happened on one conversation."""

    conversation_id: str
    key: str  # stable: "customer:<message-id>", "status:<event-id>", "wait:<start>", "sla:<clock>"
    at: datetime  # when it happened (a second after a message or change); the rule's events carry this time
    why: str  # for people: "customer replied", "pending for 3 days without a reply"


def occurrences(
    rule: Rule, facts: ConversationFacts, now: datetime, calendar: BusinessCalendar
) -> list[Occurrence]:
    """The occurrences of the rule's trigger on this conversation up to ``now``, oldest first.

    Conditions are not checked here (see :func:`shared_inbox.domain.rule_actions.holds`).
    """
    if rule.trigger is Trigger.NO_CUSTOMER_REPLY or rule.trigger is Trigger.UNASSIGNED:
        found = _waits(rule, facts, now, _counting(rule, calendar))
    elif rule.trigger is Trigger.SLA:
        found = _sla(rule, facts, now, calendar)
    else:
        since = now - rule.max_age
        found = [replace(occ, at=occ.at + REACTION) for occ in _events(rule, facts) if since <= occ.at <= now]
    return sorted(found, key=lambda occ: (occ.at, occ.key))


def _counting(rule: Rule, calendar: BusinessCalendar) -> BusinessCalendar:
    return calendar if rule.business_hours else _ALWAYS_OPEN


# -- event triggers ---------------------------------------------------------------------


def _fires_for(rule: Rule, kind: MessageKind) -> bool:
    """Whether a message of this kind counts as the customer writing, for this rule."""
    if kind is MessageKind.CUSTOMER:
        return True
    return kind is MessageKind.BULK and not rule.actions.answers


def _events(rule: Rule, facts: ConversationFacts) -> list[Occurrence]:
    conv_id = facts.conversation.id
    messages = facts.messages
    match rule.trigger:
        case Trigger.NEW_CONVERSATION:
            first = messages[0] if messages else None
            if first is None or not _fires_for(rule, first.kind):
                return []
            return [Occurrence(conv_id, f"new:{first.message_id}", first.arrived, "new conversation")]
        case Trigger.CUSTOMER_REPLY:
            return [
                Occurrence(conv_id, f"customer:{m.message_id}", m.arrived, "customer replied")
                for m in messages[1:]
                if _fires_for(rule, m.kind)
            ]
        case Trigger.AGENT_REPLY:
            return [
                Occurrence(conv_id, f"agent:{m.message_id}", m.arrived, "the team replied")
                for m in messages
                if m.kind is MessageKind.AGENT
            ]
        case Trigger.STATUS_CHANGE:
            return [
                Occurrence(conv_id, f"status:{change.event_id}", change.at, f"status set to {change.status}")
                for change in facts.status_changes
                # Rules never answer rules: two that undo each other's changes would never stop.
                if not change.author.startswith(AUTHOR_PREFIX) and rule.status in (None, change.status)
            ]
    return []


# -- time conditions ----------------------------------------------------------------------


def current_status_since(facts: ConversationFacts) -> datetime | None:
    """When the conversation entered the status it is in now."""
    status = facts.conversation.state.status
    entered = next((c.at for c in reversed(facts.status_changes) if c.status is status), None)
    last_change = facts.status_changes[-1].at if facts.status_changes else None
    customer = [m.arrived for m in facts.messages if m.kind is MessageKind.CUSTOMER]
    if status is Status.ACTIVE and customer and (last_change is None or customer[-1] > last_change):
        # A customer message reopened it (or it never had a status event): active since the first
        # customer message after the last status change.
        reopening = [at for at in customer if last_change is None or at > last_change]
        return reopening[0]
    if entered is None:
        return facts.messages[0].arrived if facts.messages else None
    return entered


def _waits(
    rule: Rule, facts: ConversationFacts, now: datetime, calendar: BusinessCalendar
) -> list[Occurrence]:
    conv = facts.conversation
    wanted = rule.wait_status()
    status = conv.state.status
    if rule.after is None or (wanted is not None and status is not wanted) or status not in _OPEN:
        return []
    since = current_status_since(facts)
    if since is None:
        return []
    if rule.trigger is Trigger.NO_CUSTOMER_REPLY:
        ours = [m.arrived for m in facts.messages if m.kind is MessageKind.AGENT]
        start = max([since, *ours])
        customer = [m.arrived for m in facts.messages if m.kind is MessageKind.CUSTOMER]
        if customer and customer[-1] > start:
            return []
        why = f"no customer reply for {_span(rule.after)} while {status}"
    else:
        if conv.state.assignee:
            return []
        changed = facts.assignment_changed
        start = max(since, changed) if changed is not None else since
        why = f"unassigned for {_span(rule.after)} while {status}"
    due = calendar.add_business_time(start, rule.after)
    if due > now:
        return []
    return [Occurrence(conv.id, f"wait:{start.astimezone(UTC).isoformat()}", due.astimezone(UTC), why)]


def _sla(rule: Rule, facts: ConversationFacts, now: datetime, calendar: BusinessCalendar) -> list[Occurrence]:
    found = []
    share = rule.percent / 100
    for clock in facts.clocks:
        if clock.paused or clock.elapsed < clock.allowed * share:
            continue
        counting = calendar if clock.business_hours else _ALWAYS_OPEN
        # Pauses only delay the moment the share is used, so this never lies after ``now``;
        # it depends on the clock alone, so every copy stamps the same time.
        reached = counting.add_business_time(clock.started, clock.allowed * share).astimezone(UTC)
        why = f"{clock.key.partition(':')[0]} clock past {rule.percent} % of its time"
        found.append(Occurrence(facts.conversation.id, f"sla:{clock.key}", reached, why))
    return found


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    return " ".join(parts) or "0 min"
