"""From messages and team events to the facts the reports measure: kinds, attribution, promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.conversations import assemble_one
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.metrics import (
    REPLY_SENT,
    UNATTRIBUTED,
    Member,
    Period,
    Role,
    Roster,
    compute_report,
    conversation_facts,
    reply_sent_data,
)
from shared_inbox.domain.model import Address, MessageKind, MessageMeta, Status
from shared_inbox.domain.promise_events import PROMISE_SET, promise_data
from shared_inbox.domain.sla import PromiseState
from tests.unit.metrics_support import ANA, BEN, CALENDAR, HOUR

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
OURS = frozenset({"support@acme.example", ANA, BEN})
ROSTER = Roster([Member("Ana Lima", ANA), Member("Ben Ode", BEN)])
CUSTOMER = Address("Cat", "cat@customer.example")
SUPPORT = Address("Acme Support", "support@acme.example")
NOW = T0 + timedelta(days=10)


def meta(
    mid: str,
    hours: float,
    sender: Address,
    *,
    kind: MessageKind = MessageKind.CUSTOMER,
    outgoing: bool = False,
) -> MessageMeta:
    moment = T0 + timedelta(hours=hours)
    return MessageMeta(mid, "Order", sender, (), (), moment, received=moment, kind=kind, outgoing=outgoing)


def event(number: int, kind: str, data: dict[str, object], hours: float, author: str = ANA) -> Event:
    moment = T0 + timedelta(hours=hours)
    return Event(
        f"e{number}", kind, "m0", author, moment, Hlc(int(moment.timestamp() * 1000), number, "a"), data
    )


def build(metas: list[MessageMeta], events: list[Event] = ()):  # type: ignore[assignment]
    conv = assemble_one("m0", metas, events, OURS)
    return conversation_facts(conv, metas, list(events), our_addresses=OURS, roster=ROSTER, now=NOW)


def test_a_recorded_reply_goes_to_the_agent_named_in_its_event() -> None:
    reply = meta("m1", 1, Address("Ana Lima via Acme Support", "support@acme.example"), outgoing=True)
    facts = build(
        [meta("m0", 0, CUSTOMER), reply], [event(1, REPLY_SENT, reply_sent_data("m1"), 1, author=BEN)]
    )
    assert [(m.role, m.agent) for m in facts.messages] == [(Role.CUSTOMER, None), (Role.AGENT, BEN)]


@pytest.mark.parametrize(
    ("sender", "agent"),
    [
        (Address("Ana Lima", ANA), ANA),  # from her own address
        (Address("Ana Lima via Acme Support", "support@acme.example"), ANA),  # the team's "via" style
        (Address("ben ode", "support@acme.example"), BEN),  # names compare without case
        (Address("Acme Support", "support@acme.example"), UNATTRIBUTED),
        (Address("", "support@acme.example"), UNATTRIBUTED),
    ],
)
def test_replies_written_elsewhere_are_attributed_by_address_or_name(sender: Address, agent: str) -> None:
    facts = build([meta("m0", 0, CUSTOMER), meta("m1", 1, sender)])  # from our address: a webmail reply
    assert facts.messages[1].role is Role.AGENT
    assert facts.messages[1].agent == agent


def test_automatic_mail_of_ours_is_no_reply() -> None:
    acknowledgement = meta("m1", 0.01, SUPPORT, kind=MessageKind.AUTO_REPLY, outgoing=True)
    recorded = meta("m2", 0.02, SUPPORT, outgoing=True)
    facts = build(
        [meta("m0", 0, CUSTOMER), acknowledgement, recorded, meta("m3", 2, Address("Ana Lima", ANA))],
        [event(1, REPLY_SENT, reply_sent_data("m2", automatic=True), 0.02)],
    )
    assert [m.role for m in facts.messages] == [Role.CUSTOMER, Role.AUTOMATIC, Role.AUTOMATIC, Role.AGENT]
    result = compute_report(
        [facts], Period(T0.date(), T0.date()), calendar=CALENDAR, business_hours=True, now=NOW
    )
    assert result.summary.first_response.median == 2 * HOUR
    assert result.summary.replies == 1


@pytest.mark.parametrize("kind", [MessageKind.AUTO_REPLY, MessageKind.BOUNCE])
def test_their_auto_replies_and_bounces_are_not_customer_mail(kind: MessageKind) -> None:
    facts = build(
        [
            meta("m0", 0, CUSTOMER),
            meta("m1", 1, Address("Ana Lima", ANA)),
            meta("m2", 1.1, CUSTOMER, kind=kind),
        ],
        [event(1, EventKind.STATUS, {"status": "closed"}, 1)],
    )
    assert facts.messages[2].role is Role.MACHINE
    result = compute_report(
        [facts], Period(T0.date(), T0.date()), calendar=CALENDAR, business_hours=True, now=NOW
    )
    assert result.summary.customer_messages == 1
    assert (result.summary.resolved, result.summary.reopened) == (1, 0)  # the auto-reply did not reopen it


def test_spam_is_marked_and_left_out() -> None:
    facts = build([meta("m0", 0, CUSTOMER)], [event(1, EventKind.STATUS, {"status": Status.SPAM.value}, 1)])
    assert facts.spam
    result = compute_report(
        [facts], Period(T0.date(), T0.date()), calendar=CALENDAR, business_hours=True, now=NOW
    )
    assert result.summary.conversations_created == 0


def test_promises_are_kept_by_a_later_reply_not_by_the_one_that_made_them() -> None:
    made = promise_data("p1", "We will ship it by Tuesday", T0 + timedelta(days=1, hours=8), made_in="m1")
    follow = promise_data("p2", "Follow up in 2 days", T0 + timedelta(days=2))
    follow["follow_up"] = "at"
    facts = build(
        [
            meta("m0", 0, CUSTOMER),
            meta("m1", 1, Address("Ana Lima", ANA)),
            meta("m2", 20, Address("Ana Lima", ANA)),
        ],
        [event(1, PROMISE_SET, made, 0.9), event(2, PROMISE_SET, follow, 0.9)],
    )
    assert len(facts.promises) == 1  # the team's own follow-up is no promise to the customer
    promise = facts.promises[0]
    assert (promise.state, promise.kept_at) == (PromiseState.KEPT, T0 + timedelta(hours=20))


def test_snoozes_end_when_the_customer_writes() -> None:
    until = (T0 + timedelta(hours=8)).isoformat()
    facts = build(
        [meta("m0", 0, CUSTOMER), meta("m1", 3, CUSTOMER)], [event(1, EventKind.SNOOZE, {"until": until}, 1)]
    )
    assert facts.snoozes == ((T0 + timedelta(hours=1), T0 + timedelta(hours=3)),)


def test_assignments_in_time_order() -> None:
    facts = build(
        [meta("m0", 0, CUSTOMER)],
        [event(1, EventKind.ASSIGN, {"assignee": ANA}, 1), event(2, EventKind.UNASSIGN, {}, 2)],
    )
    assert facts.assignments == ((T0 + timedelta(hours=1), ANA), (T0 + timedelta(hours=2), None))
