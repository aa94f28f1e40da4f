"""Rule files: read into typed rules; every mistake named with its file, line and a hint."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared_inbox.canned.rule_files import load_rules, parse_rules, rules_directory
from shared_inbox.domain.model import Status
from shared_inbox.domain.rules import Assignment, AssignMode, Trigger


def problems_of(text: str, replies: tuple[str, ...] | None = None) -> list[str]:
    found = parse_rules(text, source="r.toml", default_name="r", replies=replies)
    return [p.format().removeprefix("r.toml: ").replace("\n    hint:", "") for p in found.problems]


def test_a_file_with_one_rule_at_the_top_takes_its_name_from_the_file() -> None:
    found = parse_rules(
        'trigger = "new_conversation"\ntag = "new"\n', source="x.toml", default_name="tag-new"
    )
    assert found.problems == ()
    (rule,) = found.rules
    assert (rule.name, rule.trigger, rule.actions.tags, rule.line) == (
        "tag-new",
        Trigger.NEW_CONVERSATION,
        ("new",),
        1,
    )


def test_every_key_is_read_into_the_rule() -> None:
    text = """
[[rules]]
name = "vip-first"
description = "VIPs go to Ann"
trigger = "customer_reply"
if = 'customer:bigcorp.example -tag:spam'
body = ["refund", "invoice"]
max_age = "2h"
assign = "round-robin"
group = ["ann@example.com", "bob@example.com"]
tag = ["vip", "urgent"]
untag = "waiting"
status = "active"
snooze = "in 2 days"
note = "Please look at this"
mention = ["bob@example.com"]
promise = "within 2 business days"
follow_up = "in 3 days"
run = ["notify", "--channel", "support"]
timeout = 5
reply = "Thanks"

[[rules]]
name = "nudge"
trigger = "no_customer_reply"
after = "3d"
while = "pending"
business_hours = false
note = "Nudge them"
"""
    found = parse_rules(text, source="r.toml", replies=("Thanks",))
    assert found.problems == ()
    first, second = found.rules
    assert first.condition_text == "customer:bigcorp.example -tag:spam"
    assert len(first.condition.terms) == 2
    assert first.body == ("refund", "invoice")
    assert first.max_age == timedelta(hours=2)
    actions = first.actions
    assert actions.assign == Assignment(AssignMode.ROUND_ROBIN, group=("ann@example.com", "bob@example.com"))
    assert (actions.tags, actions.untags, actions.status) == (("vip", "urgent"), ("waiting",), Status.ACTIVE)
    assert (actions.snooze, actions.note, actions.mentions) == (
        "in 2 days",
        "Please look at this",
        ("bob@example.com",),
    )
    assert (actions.promise, actions.follow_up) == ("within 2 business days", "in 3 days")
    assert (actions.run, actions.run_timeout, actions.reply) == (
        ("notify", "--channel", "support"),
        5.0,
        "Thanks",
    )
    assert (second.trigger, second.after, second.status, second.business_hours) == (
        Trigger.NO_CUSTOMER_REPLY,
        timedelta(days=3),
        Status.PENDING,
        False,
    )
    assert second.line == 24  # its name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'trigger = "new_conversaton"\ntag = "x"',
            "line 1: trigger: 'new_conversaton' is not a trigger did you mean 'new_conversation'?",
        ),
        (
            'trigger = "new_conversation"\ntagg = "x"\ntag = "y"',
            "line 2: tagg: unknown key 'tagg' did you mean 'tag'?",
        ),
        (
            'trigger = "new_conversation"',
            "the rule does nothing; give it an action such as tag, assign, note or reply",
        ),
        (
            'trigger = "unassigned"\ntag = "x"',
            'after: the unassigned trigger needs a time, e.g. after = "3d" or "2h"',
        ),
        (
            'trigger = "unassigned"\nafter = "soon"\ntag = "x"',
            'line 2: after: \'soon\' is not a duration write e.g. "2h", "30m", "1h30m" or "3d"',
        ),
        (
            'trigger = "new_conversation"\nafter = "2h"\ntag = "x"',
            "line 2: after: 'after' only applies to the no_customer_reply and unassigned triggers",
        ),
        (
            'trigger = "status_change"\nto = "closd"\ntag = "x"',
            "line 2: to: 'closd' is not a status a rule can watch for did you mean 'closed'?",
        ),
        (
            'trigger = "no_customer_reply"\nafter = "1d"\nwhile = "closed"\ntag = "x"',
            "line 3: while: 'closed' is not a status a rule can wait in use active, pending, open",
        ),
        (
            'trigger = "new_conversation"\nwhile = "active"\ntag = "x"',
            "line 2: while: 'while' does not apply to the new_conversation trigger",
        ),
        (
            'trigger = "status_change"\nwhile = "closed"\ntag = "x"',
            "line 2: while: 'while' does not apply to the status_change trigger did you mean 'to'?",
        ),
        (
            'trigger = "new_conversation"\nif = "form:ann"\ntag = "x"',
            'line 2: if: Unknown search field "form:". Did you mean "from:"?',
        ),
        (
            'trigger = "new_conversation"\nassign = "round-robbin"',
            "line 2: assign: 'round-robbin' is neither an "
            "email address nor a way to choose did you mean 'round-robin'?",
        ),
        (
            'trigger = "new_conversation"\nreply = "Thnks"',
            "line 2: reply: there is no saved reply 'Thnks' did you mean 'Thanks'?",
        ),
        ('trigger = "new_conversation"\nstatus = "done"', "line 2: status: 'done' is not a status"),
        (
            'trigger = "new_conversation"\nmention = "bob@example.com"',
            'line 2: mention: a mention is made in a note; add note = "..."',
        ),
        (
            'name = "Bad Name"\ntrigger = "new_conversation"\ntag = "x"',
            "line 1: name: 'bad name' is not a name "
            "of lower-case letters, digits, '-' and '_' e.g. name = \"nudge-pending\"",
        ),
        (
            'trigger = "new_conversation"\ntag = "x"\n[[rules]]\nname = "y"',
            "line 1: trigger: 'trigger' is not valid here; it belongs in [[rules]]",
        ),
        ('trigger = "new_conversation\n', "line 1: TOML syntax error"),
    ],
)
def test_mistakes_are_named_with_line_and_hint(text: str, expected: str) -> None:
    found = problems_of(text, replies=("Thanks",))
    assert any(problem.startswith(expected) for problem in found), found


def test_a_rule_with_a_problem_is_left_out_and_the_others_kept() -> None:
    text = (
        '[[rules]]\nname = "good"\ntrigger = "agent_reply"\ntag = "x"\n\n'
        '[[rules]]\nname = "bad"\ntrigger = "agent_reply"\ntga = "x"\n'
    )
    found = parse_rules(text, source="r.toml")
    assert [rule.name for rule in found.rules] == ["good"]
    assert [p.format() for p in found.problems] == [
        "r.toml: line 6: rules[1]: the rule does nothing; give it an action such as tag, assign, note or "
        "reply",
        "r.toml: line 9: rules[1].tga: unknown key 'tga'\n    hint: did you mean 'tag'?",
    ]


def test_rules_are_read_from_the_rules_directory_beside_the_saved_replies(tmp_path: Path) -> None:
    team = tmp_path / "replies"
    directory = rules_directory(team, tmp_path / "mine")
    assert directory == team / "rules"
    directory.mkdir(parents=True)
    (directory / "a.toml").write_text('trigger = "new_conversation"\ntag = "a"\n')
    (directory / "b.toml").write_text('name = "a"\ntrigger = "agent_reply"\ntag = "b"\n')
    (directory / "c.toml").write_bytes(b"\xff\xfe")
    (directory / "notes.md").write_text("not a rule")
    found = load_rules(directory)
    assert [rule.name for rule in found.rules] == ["a"]
    messages = [p.format() for p in found.problems]
    assert messages[0].startswith(f"{directory / 'c.toml'}: the file is not UTF-8 text")
    assert messages[1].startswith(f"{directory / 'b.toml'}: line 1: name: two rules are called 'a'")


def test_a_missing_directory_has_no_rules(tmp_path: Path) -> None:
    assert load_rules(tmp_path / "nowhere").rules == ()


def test_whoever_a_rule_assigns_or_mentions_must_be_of_the_team() -> None:
    text = (
        'trigger = "new_conversation"\nassign = "least-loaded"\n'
        'group = ["ann@example.com", "bbo@example.com"]\n'
        'note = "x"\nmention = "carl@elsewhere.test"\n'
    )
    found = parse_rules(
        text, source="r.toml", default_name="r", agents=("ann@example.com", "bob@example.com")
    )
    assert [p.format() for p in found.problems] == [
        "r.toml: line 3: group: bbo@example.com is not one of the team\n"
        "    hint: did you mean 'bob@example.com'?",
        "r.toml: line 5: mention: carl@elsewhere.test is not one of the team\n"
        "    hint: add them to [[team.members]] in the configuration",
    ]


@pytest.mark.parametrize(
    "text",
    [
        'trigger = "new_conversation"\ntag = "x"\ntga = "y"\n',
        '[[rules]]\nname = "a"\ntrigger = "new_conversation"\ntag = "x"\ntga = "y"\n'
        '[[rules]]\nname = "b"\ntrigger = "agent_reply"\ntag = "z"\n',
    ],
)
def test_a_rule_with_a_misspelt_key_is_left_out_even_when_it_has_actions(text: str) -> None:
    found = parse_rules(text, source="r.toml", default_name="r")
    assert [rule.name for rule in found.rules] == (["b"] if "[[rules]]" in text else [])
    assert [p.problem.message for p in found.problems] == ["unknown key 'tga'"]


def test_a_command_may_repeat_an_argument_but_not_hold_control_characters() -> None:
    text = 'trigger = "agent_reply"\nrun = ["curl", "-H", "A: 1", "-H", "B: 2"]\n'
    (rule,) = parse_rules(text, source="r.toml", default_name="r").rules
    assert rule.actions.run == ("curl", "-H", "A: 1", "-H", "B: 2")
    for bad, said in [
        ('run = ["curl", "a\\u001bb"]', "line 2: run[1]: contains the control character U+001B"),
        ("run = []", "line 2: run: must name a program"),
        ('run = ["", "x"]', "line 2: run[0]: must not be empty"),
        ('run = "curl -s"', "line 2: run: expected an array of strings"),
    ]:
        found = parse_rules(f'trigger = "agent_reply"\n{bad}\n', source="r.toml", default_name="r")
        assert found.problems and found.problems[0].format().startswith(f"r.toml: {said}"), found.problems


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('snooze = "in 2 dyas"', "line 2: snooze: "),
        ('promise = "whenever"', "line 2: promise: "),
        ('follow_up = "someday soon"', "line 2: follow_up: "),
        ('tag = ["two words"]', "line 2: tag: 'two words' is not a tag (one word, at most 64 characters)"),
    ],
)
def test_time_phrases_and_tags_are_checked_when_the_file_is_read(line: str, said: str) -> None:
    found = parse_rules(f'trigger = "agent_reply"\n{line}\n', source="r.toml", default_name="r")
    assert found.rules == ()
    assert found.problems[0].format().startswith(f"r.toml: {said}"), found.problems


def test_good_time_phrases_pass() -> None:
    text = (
        'trigger = "agent_reply"\nsnooze = "in 2 days"\npromise = "by Friday"\n'
        'follow_up = "after close in 1 week"\n'
    )
    assert parse_rules(text, source="r.toml", default_name="r").problems == ()
