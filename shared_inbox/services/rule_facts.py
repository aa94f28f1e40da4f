"""What the rules look at, gathered from the inbox: a conversation's messages, status changes and clocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.events import EventKind, standing_status_events
from shared_inbox.domain.message_kinds import kind_of, makes_customer_wait
from shared_inbox.domain.model import Conversation, MessageKind, MessageMeta, Status
from shared_inbox.domain.rule_actions import TeamView
from shared_inbox.domain.rule_triggers import ClockFact, ConversationFacts, MessageFact, StatusChange
from shared_inbox.domain.rules import AUTHOR_PREFIX, RULE_RAN
from shared_inbox.domain.sla import SlaPolicy, SlaState, choose_policy, sla_clocks
from shared_inbox.services.deadlines import priority_of
from shared_inbox.services.inbox import Inbox

__all__ = ["RuleActed", "conversation_facts", "rules_that_acted", "team_view"]

_OPEN = frozenset({Status.ACTIVE, Status.PENDING})


def conversation_facts(
    inbox: Inbox,
    conv: Conversation,
    *,
    policies: Sequence[SlaPolicy],
    calendar: BusinessCalendar,
    now: datetime,
    body: str = "",
) -> ConversationFacts:
    metas = sorted(inbox.messages_of(conv), key=lambda meta: (meta.arrived, meta.message_id))
    our = inbox.our_addresses
    messages = tuple(MessageFact(m.message_id, m.arrived.astimezone(UTC), _kind(m, our)) for m in metas)
    events = inbox.events_of(conv.id)
    standing = standing_status_events(events)
    changes = tuple(
        StatusChange(e.id, e.at.astimezone(UTC), Status(str(e.data["status"])), e.author) for e in standing
    )
    assignments = [e.at for e in events if e.kind in (EventKind.ASSIGN, EventKind.UNASSIGN)]
    clocks: tuple[ClockFact, ...] = ()
    if policies and conv.state.status in _OPEN:
        domain = conv.customer.organisation if conv.customer else None
        policy = choose_policy(policies, conv.state.tags, priority_of(conv.state.tags), domain)
        if policy is not None:
            counted = [
                (m.arrived, m.outgoing)
                for m in metas
                if m.outgoing or makes_customer_wait(m, bulk_counts=inbox.bulk_starts_clocks)
            ]
            history = [(change.at, change.status) for change in changes]
            clocks = tuple(
                ClockFact(
                    key=f"{clock.target.value}:{clock.started.astimezone(UTC).isoformat()}",
                    started=clock.started,
                    allowed=clock.allowed,
                    elapsed=clock.elapsed,
                    business_hours=policy.business_hours,
                    paused=clock.state is SlaState.PAUSED,
                )
                for clock in sla_clocks(policy, counted, history, calendar, now)
                if clock.stopped is None
            )
    return ConversationFacts(
        conversation=conv,
        messages=messages,
        status_changes=changes,
        assignment_changed=max(assignments, default=None),
        clocks=clocks,
        metas=metas,
        body=body,
    )


def _kind(meta: MessageMeta, our_addresses: frozenset[str]) -> MessageKind:
    """As the list counts it, except that what the team sent automatically is no agent's reply."""
    if meta.outgoing and meta.kind is MessageKind.AUTO_REPLY:
        return MessageKind.AUTO_REPLY
    return kind_of(meta, our_addresses)


def team_view(inbox: Inbox, members: Sequence[str], away: frozenset[str]) -> TeamView:
    """The team for assignment: members in configured order, who is away, open conversations each."""
    load = dict.fromkeys(members, 0)
    for conv in inbox.conversations():
        assignee = conv.state.assignee
        if assignee in load and conv.state.status in _OPEN:
            load[assignee] += 1
    return TeamView(tuple(members), away, load)


@dataclass(frozen=True, slots=True)
class RuleActed:
    """One time a rule acted on a conversation, as its `rule.ran` event records it."""

    rule: str
    at: datetime
    why: str
    did: tuple[str, ...]


def rules_that_acted(inbox: Inbox, conversation_id: str) -> list[RuleActed]:
    """What the team's rules did to a conversation, oldest first (for the reader)."""
    found = []
    for event in inbox.events_of(conversation_id):
        if event.kind != RULE_RAN or not event.author.startswith(AUTHOR_PREFIX):
            continue
        why, did = event.data.get("why"), event.data.get("did")
        found.append(
            RuleActed(
                rule=event.author.removeprefix(AUTHOR_PREFIX),
                at=event.at,
                why=why if isinstance(why, str) else "",
                did=tuple(str(item) for item in did) if isinstance(did, list) else (),
            )
        )
    return sorted(found, key=lambda acted: (acted.at, acted.rule))
