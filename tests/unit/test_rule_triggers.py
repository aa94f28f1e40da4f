"""When rules fire: every trigger, time conditions in business hours, machine mail, conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import (
    Address,
    Conversation,
    ConversationState,
    Customer,
    MessageKind,
    MessageMeta,
    Status,
)
from shared_inbox.domain.query import parse_query
from shared_inbox.domain.rule_actions import TeamView, choose_assignee, holds, plan
from shared_inbox.domain.rule_triggers import (
    ClockFact,
    ConversationFacts,
    MessageFact,
    Occurrence,
    StatusChange,
    occurrences,
)
from shared_inbox.domain.rules import Assignment, AssignMode, Rule, RuleActions, Trigger

CALENDAR = BusinessCalendar.weekdays("UTC")  # Monday to Friday, 09:00-17:00
MONDAY = datetime(2026, 11, 23, 9, tzinfo=UTC)
TAG = RuleActions(tags=("x",))
REPLY = RuleActions(reply="Thanks")


def at(hours: float) -> datetime:
    return MONDAY + timedelta(hours=hours)


def rule(trigger: Trigger, actions: RuleActions = TAG, **fields: object) -> Rule:
    return Rule(name="r", trigger=trigger, actions=actions, **fields)  # type: ignore[arg-type]


def facts(
    *messages: tuple[str, float, MessageKind],
    status: Status = Status.ACTIVE,
    assignee: str | None = None,
    changes: tuple[StatusChange, ...] = (),
    assignment_changed: datetime | None = None,
    clocks: tuple[ClockFact, ...] = (),
    body: str = "",
) -> ConversationFacts:
    conv = Conversation(
        id="c1",
        subject="Refund please",
        message_ids=[m[0] for m in messages],
        customer=Customer("ann@bigcorp.example", "Ann"),
        state=ConversationState(status=status, assignee=assignee, tags=frozenset({"vip"})),
    )
    metas = [
        MessageMeta(mid, "Refund please", Address("Ann", "ann@bigcorp.example"), (), (), at(hours))
        for mid, hours, _ in messages
    ]
    return ConversationFacts(
        conversation=conv,
        messages=tuple(MessageFact(mid, at(hours), kind) for mid, hours, kind in messages),
        status_changes=changes,
        assignment_changed=assignment_changed,
        clocks=clocks,
        metas=metas,
        body=body,
    )


C, A, AUTO, BOUNCE, BULK = (
    MessageKind.CUSTOMER,
    MessageKind.AGENT,
    MessageKind.AUTO_REPLY,
    MessageKind.BOUNCE,
    MessageKind.BULK,
)


def keys(found: list[Occurrence]) -> list[str]:
    return [occ.key for occ in found]


@pytest.mark.parametrize(
    ("trigger", "actions", "messages", "expected"),
    [
        (Trigger.NEW_CONVERSATION, TAG, [("m1", 0, C), ("m2", 1, C)], ["new:m1"]),
        (Trigger.NEW_CONVERSATION, TAG, [("m1", 0, A)], []),  # the team wrote first: not a customer asking
        (Trigger.NEW_CONVERSATION, TAG, [("m1", 0, AUTO)], []),
        (Trigger.NEW_CONVERSATION, TAG, [("m1", 0, BOUNCE)], []),
        (Trigger.NEW_CONVERSATION, TAG, [("m1", 0, BULK)], ["new:m1"]),  # a newsletter may be tagged ...
        (Trigger.NEW_CONVERSATION, REPLY, [("m1", 0, BULK)], []),  # ... but never answered
        (Trigger.CUSTOMER_REPLY, TAG, [("m1", 0, C), ("m2", 1, A), ("m3", 2, C)], ["customer:m3"]),
        (Trigger.CUSTOMER_REPLY, TAG, [("m1", 0, C), ("m2", 1, A), ("m3", 2, AUTO), ("m4", 3, BOUNCE)], []),
        (Trigger.CUSTOMER_REPLY, REPLY, [("m1", 0, C), ("m2", 1, A), ("m3", 2, BULK)], []),
        (
            Trigger.AGENT_REPLY,
            TAG,
            [("m1", 0, C), ("m2", 1, A), ("m3", 2, C), ("m4", 3, A)],
            ["agent:m2", "agent:m4"],
        ),
    ],
)
def test_message_triggers(
    trigger: Trigger,
    actions: RuleActions,
    messages: list[tuple[str, float, MessageKind]],
    expected: list[str],
) -> None:
    assert keys(occurrences(rule(trigger, actions), facts(*messages), at(5), CALENDAR)) == expected


def test_event_triggers_ignore_occurrences_older_than_max_age() -> None:
    conversation = facts(("m1", 0, C), ("m2", 1, A), ("m3", 30, C))
    found = occurrences(
        rule(Trigger.CUSTOMER_REPLY, max_age=timedelta(hours=2)), conversation, at(31), CALENDAR
    )
    assert keys(found) == ["customer:m3"]
    assert found[0].at == at(30) + timedelta(seconds=1)  # just after the message
    assert (
        occurrences(rule(Trigger.CUSTOMER_REPLY, max_age=timedelta(hours=2)), conversation, at(33), CALENDAR)
        == []
    )


def test_status_change_fires_per_status_event_with_an_optional_target_but_never_on_a_rules_change() -> None:
    changes = (
        StatusChange("e1", at(1), Status.PENDING, "ann@example.com"),
        StatusChange("e2", at(2), Status.CLOSED, "bob@example.com"),
        StatusChange("e3", at(3), Status.CLOSED, "rule:r"),
        StatusChange("e4", at(3.5), Status.PENDING, "rule:other"),
    )
    conversation = facts(("m1", 0, C), changes=changes, status=Status.CLOSED)
    assert keys(occurrences(rule(Trigger.STATUS_CHANGE), conversation, at(4), CALENDAR)) == [
        "status:e1",
        "status:e2",
    ]
    only_closed = rule(Trigger.STATUS_CHANGE, status=Status.CLOSED)
    assert keys(occurrences(only_closed, conversation, at(4), CALENDAR)) == ["status:e2"]


NUDGE = rule(Trigger.NO_CUSTOMER_REPLY, after=timedelta(days=1))  # 24 business hours: three working days


def test_no_customer_reply_counts_business_hours_from_going_pending() -> None:
    pending = (StatusChange("e1", at(1), Status.PENDING, "ann@example.com"),)  # Monday 10:00
    conversation = facts(("m1", 0, C), ("m2", 0.5, A), changes=pending, status=Status.PENDING)
    due = datetime(2026, 11, 26, 10, tzinfo=UTC)  # Thursday 10:00: 8 h Mon-Wed, counted from Mon 10:00
    assert occurrences(NUDGE, conversation, due - timedelta(minutes=1), CALENDAR) == []
    (found,) = occurrences(NUDGE, conversation, due + timedelta(days=3), CALENDAR)
    assert (found.key, found.at) == (f"wait:{at(1).isoformat()}", due)
    assert found.why == "no customer reply for 1 day while pending"


def test_no_customer_reply_starts_again_after_our_latest_message() -> None:
    pending = (StatusChange("e1", at(1), Status.PENDING, "ann@example.com"),)
    conversation = facts(("m1", 0, C), ("m2", 2, A), changes=pending, status=Status.PENDING)
    (found,) = occurrences(NUDGE, conversation, at(24 * 7), CALENDAR)
    assert found.key == f"wait:{at(2).isoformat()}"


def test_no_customer_reply_waits_only_in_its_status() -> None:
    conversation = facts(("m1", 0, C), ("m2", 1, A), status=Status.ACTIVE)
    assert occurrences(NUDGE, conversation, at(24 * 7), CALENDAR) == []
    closed = facts(
        ("m1", 0, C), changes=(StatusChange("e", at(1), Status.CLOSED, "a@x"),), status=Status.CLOSED
    )
    any_open = rule(Trigger.NO_CUSTOMER_REPLY, after=timedelta(hours=1), status=None)
    assert any_open.wait_status() is Status.PENDING  # the default
    assert (
        occurrences(
            rule(Trigger.NO_CUSTOMER_REPLY, after=timedelta(hours=1), status=Status.CLOSED),
            closed,
            at(24 * 7),
            CALENDAR,
        )
        == []
    )  # closed is never waiting


def test_unassigned_counts_from_the_latest_of_arrival_and_unassignment() -> None:
    waiting = rule(Trigger.UNASSIGNED, after=timedelta(hours=2))
    conversation = facts(("m1", 0, C))
    assert occurrences(waiting, conversation, at(1.9), CALENDAR) == []
    (found,) = occurrences(waiting, conversation, at(2), CALENDAR)
    assert (found.key, found.at, found.why) == (
        f"wait:{at(0).isoformat()}",
        at(2),
        "unassigned for 2 h while active",
    )
    unassigned_later = facts(("m1", 0, C), assignment_changed=at(1))
    assert keys(occurrences(waiting, unassigned_later, at(3), CALENDAR)) == [f"wait:{at(1).isoformat()}"]
    assert occurrences(waiting, facts(("m1", 0, C), assignee="bob@example.com"), at(9), CALENDAR) == []


def test_unassigned_outside_business_hours_waits_for_the_next_opening() -> None:
    friday_four = datetime(2026, 11, 27, 16, tzinfo=UTC)
    waiting = rule(Trigger.UNASSIGNED, after=timedelta(hours=2))
    conversation = facts(("m1", (friday_four - MONDAY).total_seconds() / 3600, C))
    assert occurrences(waiting, conversation, friday_four + timedelta(days=2), CALENDAR) == []
    (found,) = occurrences(waiting, conversation, friday_four + timedelta(days=4), CALENDAR)
    assert found.at == datetime(2026, 11, 30, 10, tzinfo=UTC)  # Monday 10:00
    calendar_time = rule(Trigger.UNASSIGNED, after=timedelta(hours=2), business_hours=False)
    (found,) = occurrences(calendar_time, conversation, friday_four + timedelta(hours=2), CALENDAR)
    assert found.at == friday_four + timedelta(hours=2)


def test_sla_fires_once_a_running_clock_used_its_share() -> None:
    clock = ClockFact("first_response:x", at(0), timedelta(hours=4), timedelta(hours=3, minutes=12), True)
    conversation = facts(("m1", 0, C), clocks=(clock,))
    (found,) = occurrences(rule(Trigger.SLA, percent=80), conversation, at(4), CALENDAR)
    assert (found.key, found.at) == ("sla:first_response:x", at(3.2))
    assert found.why == "first_response clock past 80 % of its time"
    assert occurrences(rule(Trigger.SLA, percent=90), conversation, at(4), CALENDAR) == []
    paused = ClockFact("first_response:x", at(0), timedelta(hours=4), timedelta(hours=4), True, paused=True)
    assert occurrences(rule(Trigger.SLA), facts(("m1", 0, C), clocks=(paused,)), at(9), CALENDAR) == []


def test_conditions_use_the_search_language_and_body_words() -> None:
    conversation = facts(("m1", 0, C), body="I want a REFUND for order 42")

    def check(query: str, body: tuple[str, ...] = ()) -> bool:
        return holds(
            rule(Trigger.NEW_CONVERSATION, condition=parse_query(query, me=""), body=body), conversation
        )

    assert check("from:ann tag:vip subject:refund customer:bigcorp")
    assert not check("-tag:vip")
    assert not check("from:bob")
    assert check("", body=("refund", "order 42"))
    assert not check("", body=("invoice",))


def test_round_robin_spreads_by_occurrence_and_every_copy_picks_the_same() -> None:
    team = TeamView(("a@x", "b@x", "c@x"))
    spread = {
        choose_assignee(Assignment(AssignMode.ROUND_ROBIN), f"r/c{n}/new:m{n}", team) for n in range(30)
    }
    assert spread == {"a@x", "b@x", "c@x"}
    picks = {choose_assignee(Assignment(AssignMode.ROUND_ROBIN), "r/c1/new:m1", team) for _ in range(5)}
    assert len(picks) == 1


def test_least_loaded_skips_the_away_and_a_group_narrows_the_choice() -> None:
    team = TeamView(("a@x", "b@x", "c@x"), away=frozenset({"a@x"}), load={"a@x": 0, "b@x": 5, "c@x": 2})
    assert choose_assignee(Assignment(AssignMode.LEAST_LOADED), "s", team) == "c@x"
    assert choose_assignee(Assignment(AssignMode.LEAST_LOADED, group=("a@x", "b@x")), "s", team) == "b@x"
    assert choose_assignee(Assignment(AssignMode.ROUND_ROBIN, group=("a@x",)), "s", team) is None
    assert choose_assignee(Assignment(AssignMode.PERSON, "z@x"), "s", team) == "z@x"


def test_the_plan_skips_what_is_already_so_and_keeps_the_order_of_actions() -> None:
    conversation = facts(("m1", 0, C), assignee="a@x")
    actions = RuleActions(
        assign=Assignment(AssignMode.PERSON, "a@x"),
        tags=("vip", "new"),
        untags=("old",),
        status=Status.ACTIVE,
        snooze="in 1 day",
        note="n",
        mentions=("b@x",),
        promise="by Friday",
        follow_up="in 2 days",
        run=("hook", "-v"),
        reply="Thanks",
    )
    occurrence = Occurrence("c1", "new:m1", at(0), "new conversation")
    steps = plan(rule(Trigger.NEW_CONVERSATION, actions), occurrence, conversation, TeamView(()))
    assert [step.describe() for step in steps] == [
        "tag new",
        "snooze in 1 day",
        "add a note mentioning b@x: n",
        "promise by Friday",
        "follow up in 2 days",
        "run hook -v",
        "send the saved reply 'Thanks'",
    ]
