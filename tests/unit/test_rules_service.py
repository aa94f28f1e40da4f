"""Rules acting through the ordinary services: every action, once per occurrence, one effect per team."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.events import Event, event_from_json
from shared_inbox.domain.model import Address, Location, MessageKind, MessageMeta, Status
from shared_inbox.domain.notes import reduce_notes
from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.domain.rules import Assignment, AssignMode, Rule, RuleActions, Trigger
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.rules import ClaimVerdict, RuleRunner, Which
from shared_inbox.store import Store

CALENDAR = BusinessCalendar.weekdays("UTC")
ARRIVED = datetime(2026, 11, 23, 10, tzinfo=UTC)  # a Monday
NOW = ARRIVED + timedelta(minutes=5)
ANN = Address("Ann Lee", "ann@globex.test")
SUPPORT = Address("Acme Support", "support@example.com")
TEAM = ("alice@example.com", "bob@example.com", "carol@example.com")


def open_commands(path: Path, author: str = "alice@example.com") -> Commands:
    store = Store.open(path)
    if store.message_count() == 0:
        store.upsert_messages(
            [
                MessageMeta(
                    "q1@globex.test", "Refund for order 42", ANN, (SUPPORT,), (), ARRIVED, received=ARRIVED
                )
            ]
        )
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me=author).load()
    return Commands(inbox, author=author, now=lambda: NOW)


@pytest.fixture
def commands(tmp_path: Path) -> Iterator[Commands]:
    made = open_commands(tmp_path / "store")
    yield made
    made.inbox.store.close()


def runner(commands: Commands, *rules: Rule, **options: object) -> RuleRunner:
    return RuleRunner(commands, rules, calendar=CALENDAR, members=TEAM, **options)  # type: ignore[arg-type]


def new_conversation(actions: RuleActions, name: str = "triage") -> Rule:
    return Rule(name=name, trigger=Trigger.NEW_CONVERSATION, actions=actions)


def rule_events(commands: Commands) -> list[Event]:
    return [event_from_json(raw) for raw in commands.inbox.store.events()]


def the_conversation(commands: Commands):  # type: ignore[no-untyped-def]
    return commands.inbox.conversations()[0]


@pytest.mark.parametrize(
    ("actions", "check"),
    [
        (
            RuleActions(assign=Assignment(AssignMode.PERSON, "bob@example.com")),
            lambda conv, events: conv.state.assignee == "bob@example.com",
        ),
        (RuleActions(tags=("refund", "vip")), lambda conv, events: conv.state.tags == {"refund", "vip"}),
        (RuleActions(status=Status.PENDING), lambda conv, events: conv.state.status is Status.PENDING),
        (
            RuleActions(snooze="in 2 days"),
            lambda conv, events: conv.state.snoozed_until == datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC),
        ),
        (
            RuleActions(note="Refunds go to billing", mentions=("bob@example.com",)),
            lambda conv, events: (
                [(n.text, n.mentions, n.author) for n in reduce_notes(events)]
                == [("Refunds go to billing", ("bob@example.com",), "rule:triage")]
            ),
        ),
        (
            RuleActions(promise="by Wednesday"),
            lambda conv, events: (
                [(p.text, p.due.weekday()) for p in reduce_promises(events)] == [("by Wednesday", 2)]
            ),
        ),
        (
            RuleActions(follow_up="in 3 days"),
            lambda conv, events: [p.text for p in reduce_promises(events)] == ["Follow up in 3 days"],
        ),
    ],
)
def test_each_action_goes_through_the_commands_as_the_rule(commands: Commands, actions, check) -> None:  # type: ignore[no-untyped-def]
    (outcome,) = runner(commands, new_conversation(actions)).run(NOW)
    assert outcome.problems == ()
    events = rule_events(commands)
    assert check(the_conversation(commands), events)
    assert {event.author for event in events} == {"rule:triage"}
    assert all(event.at == ARRIVED + timedelta(seconds=1) for event in events)  # the occurrence's, not ours
    assert events[-1].kind == "rule.ran" and events[-1].data["occurrence"] == "new:q1@globex.test"


def test_untag_removes_only_a_tag_that_is_there_after_a_status_change(commands: Commands) -> None:
    conv = the_conversation(commands)
    commands.tag(conv.id, "new")
    commands.now = lambda: NOW + timedelta(minutes=1)
    commands.set_status(conv.id, "pending")
    rule = Rule(name="seen", trigger=Trigger.STATUS_CHANGE, actions=RuleActions(untags=("new", "other")))
    (outcome,) = runner(commands, rule).run(NOW + timedelta(minutes=2))
    assert outcome.done == ("untag new",)
    assert the_conversation(commands).state.tags == frozenset()


def test_assignment_skips_agents_who_are_away_and_takes_the_least_loaded(commands: Commands) -> None:
    rule = new_conversation(RuleActions(assign=Assignment(AssignMode.LEAST_LOADED)))
    (outcome,) = runner(commands, rule, away=frozenset({"alice@example.com", "bob@example.com"})).run(NOW)
    assert outcome.done == ("assign to carol@example.com",)


def test_nobody_to_assign_is_one_sentence_and_the_rest_still_happens(commands: Commands) -> None:
    rule = new_conversation(RuleActions(assign=Assignment(AssignMode.ROUND_ROBIN), tags=("x",)))
    (outcome,) = runner(commands, rule, away=frozenset(TEAM)).run(NOW)
    assert outcome.problems == ("Nobody was assigned: everyone who could take it is away.",)
    assert outcome.done == ("tag x",)


def test_a_command_reads_the_conversation_as_json_and_its_failure_is_one_sentence(
    commands: Commands, tmp_path: Path
) -> None:
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, sys\n"
        "doc = json.load(sys.stdin)\n"
        "print(doc['conversation']['subject'], doc['trigger']['why'], sep=' / ')\n"
        "sys.exit(0 if doc['rule'] == 'good' else 3)\n"
    )
    good = new_conversation(RuleActions(run=(sys.executable, str(script))), name="good")
    bad = Rule(
        name="bad", trigger=Trigger.NEW_CONVERSATION, actions=RuleActions(run=(sys.executable, str(script)))
    )
    first, second = runner(commands, good, bad).run(NOW)
    assert first.done == (f"run {sys.executable} {script}: Refund for order 42 / new conversation",)
    assert second.problems == (
        f"{sys.executable} failed with exit status 3: Refund for order 42 / new conversation.",
    )
    missing = new_conversation(RuleActions(run=(str(tmp_path / "absent"),)), name="missing")
    (third,) = runner(commands, missing).run(NOW)
    assert third.problems == (f"{tmp_path / 'absent'} could not be started: No such file or directory.",)


class RecordingSender:
    """Stands in for the automatic-reply service, which has its own tests."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def send(self, conversation_id: str, canned: str, occurrence: str) -> str:
        self.calls.append((conversation_id, canned, occurrence))
        return "queued for ann@globex.test"


def test_reply_hands_the_saved_reply_and_a_stable_occurrence_key_to_the_sender(commands: Commands) -> None:
    sender = RecordingSender()
    rule = new_conversation(RuleActions(reply="Thanks"))
    (outcome,) = runner(commands, rule, sender=sender).run(NOW)
    assert outcome.done == ("send the saved reply 'Thanks': queued for ann@globex.test",)
    ((conv_id, canned, occurrence),) = sender.calls
    assert (conv_id, canned) == (the_conversation(commands).id, "Thanks") and len(occurrence) == 32
    (unsent,) = runner(commands, new_conversation(RuleActions(reply="Thanks"), "other")).run(NOW)
    assert unsent.problems == ("The saved reply 'Thanks' was not sent: automatic replies are not set up.",)


def test_a_rule_acts_once_per_occurrence_even_after_a_restart(commands: Commands, tmp_path: Path) -> None:
    rule = new_conversation(RuleActions(tags=("x",), note="Seen"))
    assert len(runner(commands, rule).run(NOW)) == 1
    assert runner(commands, rule).run(NOW + timedelta(minutes=1)) == []
    commands.untag(the_conversation(commands).id, "x")  # a person takes it back: the rule does not insist
    commands.inbox.store.close()
    again = open_commands(tmp_path / "store")
    try:
        assert runner(again, rule).run(NOW + timedelta(minutes=2)) == []
        assert len(reduce_notes(rule_events(again))) == 1
    finally:
        again.inbox.store.close()


def test_conditions_decide_and_the_trigger_kind_chooses_when(commands: Commands) -> None:
    from shared_inbox.domain.query import parse_query

    vip = Rule(
        name="vip",
        trigger=Trigger.NEW_CONVERSATION,
        actions=RuleActions(tags=("x",)),
        condition=parse_query("from:bob", me=""),
    )
    assert runner(commands, vip).run(NOW) == []
    wait = Rule(
        name="wait", trigger=Trigger.UNASSIGNED, actions=RuleActions(tags=("late",)), after=timedelta(hours=2)
    )
    assert runner(commands, wait).run(ARRIVED + timedelta(hours=3), Which.EVENTS) == []
    (outcome,) = runner(commands, wait).run(ARRIVED + timedelta(hours=3), Which.TIME)
    assert outcome.occurrence.at == ARRIVED + timedelta(hours=2)  # a wait ends at a known moment


def test_a_dry_run_reports_and_changes_nothing(commands: Commands) -> None:
    rule = new_conversation(RuleActions(tags=("x",), reply="Thanks"))
    later = NOW + timedelta(days=10)
    assert runner(commands, rule).dry_run(rule, later, timedelta(days=1)) == []
    (outcome,) = runner(commands, rule).dry_run(rule, later, timedelta(days=30))
    assert outcome.done == ("tag x", "send the saved reply 'Thanks'")
    assert commands.inbox.store.event_count() == 0


def test_two_copies_evaluating_the_same_rule_write_the_same_events(tmp_path: Path) -> None:
    alice = open_commands(tmp_path / "alice", "alice@example.com")
    bob = open_commands(tmp_path / "bob", "bob@example.com")
    try:
        rule = new_conversation(
            RuleActions(
                assign=Assignment(AssignMode.ROUND_ROBIN), tags=("x",), note="Hi", follow_up="in 2 days"
            )
        )
        runner(alice, rule).run(NOW)
        runner(bob, rule).run(NOW + timedelta(minutes=3))  # a little later, on another machine
        alice_events = {raw["id"]: raw for raw in alice.inbox.store.events()}
        bob_events = {raw["id"]: raw for raw in bob.inbox.store.events()}
        assert alice_events == bob_events and len(alice_events) == 5  # assign, tag, note, follow-up, ran
        # Exchanging them adds nothing: one effect for the team.
        bob.inbox.add_events(event_from_json(raw) for raw in alice_events.values())
        assert bob.inbox.store.event_count() == 5
    finally:
        alice.inbox.store.close()
        bob.inbox.store.close()


def test_an_automatic_answer_of_ours_is_no_agent_reply(tmp_path: Path) -> None:
    commands = open_commands(tmp_path / "store")
    try:
        store = commands.inbox.store
        sent = ARRIVED + timedelta(minutes=1)
        ack = MessageMeta(
            "ack1@example.com", "Re: Refund for order 42", SUPPORT, (ANN,), (), sent,
            in_reply_to=("q1@globex.test",), received=sent, outgoing=True, kind=MessageKind.AUTO_REPLY,
        )  # fmt: skip
        store.upsert_messages([ack])
        rule = Rule(name="answered", trigger=Trigger.AGENT_REPLY, actions=RuleActions(status=Status.PENDING))
        assert runner(commands, rule).run(NOW) == []
        human = MessageMeta(
            "r1@example.com", "Re: Refund for order 42", SUPPORT, (ANN,), (), NOW,
            in_reply_to=("q1@globex.test",), received=NOW, outgoing=True,
        )  # fmt: skip
        store.upsert_messages([human])
        (outcome,) = runner(commands, rule).run(NOW + timedelta(minutes=1))
        assert outcome.occurrence.key == "agent:r1@example.com"
    finally:
        commands.inbox.store.close()


class Claimer:
    """Stands in for the claim through the events folder, which has its own tests."""

    def __init__(self, verdict: ClaimVerdict) -> None:
        self.verdict = verdict

    def claim(self, conversation_id: str, occurrence: str) -> ClaimVerdict:
        return self.verdict


def test_a_command_another_copy_claimed_is_not_run_here(commands: Commands, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    rule = new_conversation(RuleActions(run=(sys.executable, "-c", f"open({str(marker)!r}, 'w')")))
    lost = Claimer(ClaimVerdict(False, "not run here: bob@example.com's copy runs it"))
    (outcome,) = runner(commands, rule, claims=lost).run(NOW)
    assert outcome.done[0].endswith(": not run here: bob@example.com's copy runs it") and not marker.exists()
    unreachable = Claimer(ClaimVerdict(False, "The command was not run, so that no two copies run it.", True))
    (outcome,) = runner(commands, new_conversation(rule.actions, "other"), claims=unreachable).run(NOW)
    assert outcome.problems == ("The command was not run, so that no two copies run it.",)
    (outcome,) = runner(
        commands, new_conversation(rule.actions, "third"), claims=Claimer(ClaimVerdict(True))
    ).run(NOW)
    assert outcome.problems == () and marker.exists()


def test_history_fetched_from_below_the_window_is_no_work_for_waiting_rules(tmp_path: Path) -> None:
    from shared_inbox.imap.sync_window import WindowFloors
    from shared_inbox.services.server_history import history_conversations

    store = Store.open(tmp_path / "store")
    old = ARRIVED - timedelta(days=400)
    store.upsert_messages(
        [
            MessageMeta("recent@globex.test", "Refund for order 42", ANN, (SUPPORT,), (), ARRIVED,
                        received=ARRIVED, locations=(Location("INBOX", 7, 120),)),
            MessageMeta("archive@globex.test", "Order 7 never came", ANN, (SUPPORT,), (), old,
                        received=old, locations=(Location("INBOX", 7, 5),)),
            MessageMeta("revived@globex.test", "Still broken", ANN, (SUPPORT,), (), old,
                        received=old, locations=(Location("INBOX", 7, 6),)),
            MessageMeta("reply@globex.test", "Re: Still broken", ANN, (SUPPORT,), (), ARRIVED,
                        in_reply_to=("revived@globex.test",), references=("revived@globex.test",),
                        received=ARRIVED, locations=(Location("INBOX", 7, 121),)),
        ]
    )  # fmt: skip
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me=TEAM[0]).load()
    commands = Commands(inbox, author=TEAM[0], now=lambda: NOW)
    wait = Rule(
        name="wait", trigger=Trigger.UNASSIGNED, actions=RuleActions(tags=("late",)), after=timedelta(hours=2)
    )
    try:
        assert history_conversations(inbox, inbox.conversations()) == frozenset()  # no window: all is work
        WindowFloors(store).put("INBOX", 7, 100)
        (archive,) = history_conversations(inbox, inbox.conversations())
        assert (
            inbox.conversation(archive).subject == "Order 7 never came"
        )  # a later reply made the other work
        acted = runner(commands, wait).run(ARRIVED + timedelta(hours=3), Which.TIME)
        assert sorted(outcome.subject for outcome in acted) == ["Refund for order 42", "Still broken"]
    finally:
        store.close()
