"""Loading canned replies from the team's and the agent's directories: good files, broken files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared_inbox.canned import (
    CannedActions,
    action_problems,
    load_library,
    promise_due,
    record_use,
    usage_counts,
)
from shared_inbox.canned.library import parse_reply
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.promises import FollowUpError

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar.weekdays("UTC")

REFUND = """+++
name = "Refund: how to"
tags = ["billing", "refund"]
[actions]
status = "pending"
tags = ["refund"]
snooze = "in 3 days"
promise = "within 2 business days"
+++
Hi {{ customer.first_name | default: "there" }},
your order {{ ask "Order number" }} will be refunded.
"""


def write(directory: Path, name: str, text: str) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_reply_file_gives_its_name_tags_actions_and_blanks() -> None:
    reply = parse_reply("refund.md", REFUND)
    assert reply.name == "Refund: how to"
    assert reply.tags == ("billing", "refund")
    assert reply.actions == CannedActions("pending", ("refund",), "in 3 days", "within 2 business days")
    assert reply.template.blanks() == ["Order number"]
    assert reply.body.startswith("Hi {{ customer.first_name")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter\n", "must start with a +++ line"),
        ('+++\nname = "x"\nhello\n', "not closed"),
        ('+++\nname = "x\n+++\nbody\n', "not valid TOML"),
        ("+++\ntags = []\n+++\nbody\n", "needs a name"),
        ('+++\nname = "x"\ncolour = "red"\n+++\nbody\n', "unknown front matter key 'colour'"),
        ('+++\nname = "x"\ntags = "billing"\n+++\nbody\n', "tags must be a list"),
        ('+++\nname = "x"\n[actions]\nstatus = "spam"\n+++\nbody\n', "actions.status must be one of"),
        ('+++\nname = "x"\n[actions]\nforward = "a@b"\n+++\nbody\n', "unknown action 'forward'"),
        ('+++\nname = "x"\n[actions]\ntags = ["two words"]\n+++\nbody\n', "is not one word"),
        ('+++\nname = "x"\n[actions]\nsnooze = 3\n+++\nbody\n', "actions.snooze must be a time"),
        ('+++\nname = "x"\n+++\nHi {{ customer.first_name\n', "is not closed with '}}'"),
        ('+++\nname = "x"\n+++\nHi {% if x %}\n', "'{%' tags are not supported"),
        ('+++\nname = "x"\n+++\n\n', "has no text"),
    ],
)
def test_a_broken_reply_file_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_reply("broken.md", text)
    assert problem in str(caught.value)


def test_the_library_lists_broken_files_and_keeps_the_good_ones(tmp_path: Path) -> None:
    team, personal = tmp_path / "team", tmp_path / "mine"
    write(team, "billing/refund.md", REFUND)
    write(team, "broken.md", '+++\nname = "Broken"\n+++\nHi {{ customer.first_name\n')
    write(team, ".hidden/secret.md", REFUND)
    write(team, "notes.txt", "not a reply")
    write(personal, "thanks.md", '+++\nname = "Thanks"\n+++\nThank you!\n')
    (personal / "latin1.md").write_bytes('+++\nname = "Caf\xe9"\n+++\nx\n'.encode("latin-1"))

    library = load_library(team, personal)

    assert [(r.id, r.personal) for r in library.replies] == [
        ("billing/refund.md", False),
        ("~/thanks.md", True),
    ]
    problems = {p.id: p.problem for p in library.problems}
    assert set(problems) == {"broken.md", "~/latin1.md"}
    assert "line 1, column 4" in problems["broken.md"]
    assert "not UTF-8" in problems["~/latin1.md"]


def test_missing_directories_make_an_empty_library(tmp_path: Path) -> None:
    library = load_library(tmp_path / "nowhere", None)
    assert library.replies == () and library.problems == ()


def test_a_reply_is_found_by_id_or_by_name(tmp_path: Path) -> None:
    write(tmp_path, "refund.md", REFUND)
    library = load_library(tmp_path, None)
    assert library.find("refund.md") is library.find("refund: HOW TO") is library.replies[0]
    assert library.find("nothing") is None


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("within 2 business days", datetime(2026, 11, 25, 17, 0, tzinfo=UTC)),
        ("by Friday", datetime(2026, 11, 27, 17, 0, tzinfo=UTC)),
        ("in 3 days", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("tomorrow", datetime(2026, 11, 24, 17, 0, tzinfo=UTC)),
    ],
)
def test_a_promised_phrase_is_due_at_its_deadline(phrase: str, due: datetime) -> None:
    assert promise_due(phrase, MONDAY, CALENDAR) == due


def test_unreadable_action_times_are_problems() -> None:
    actions = CannedActions(snooze="someday soon", promise="whenever")
    problems = action_problems(actions, MONDAY, CALENDAR)
    assert [p.split(":")[0] for p in problems] == ["actions.snooze", "actions.promise"]
    with pytest.raises(FollowUpError):
        promise_due("whenever", MONDAY, CALENDAR)


class Settings:
    def __init__(self, value: object = None) -> None:
        self.values: dict[str, object] = {"canned.usage": value}

    def get_setting(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def set_setting(self, key: str, value: object) -> None:
        self.values[key] = value


def test_usage_counts_one_per_reply_sent_and_ignore_garbage() -> None:
    store = Settings({"a.md": 2, "b.md": "many", "c.md": True, "d.md": -1})
    assert usage_counts(store) == {"a.md": 2}
    assert record_use(store, ["a.md", "e.md", "a.md"]) == {"a.md": 3, "e.md": 1}
    assert usage_counts(Settings("not a table")) == {}


def test_a_reply_may_name_the_one_sent_instead_outside_business_hours() -> None:
    text = '+++\nname = "Thanks"\noutside_hours = "  We are   closed "\n+++\nThanks!\n'
    assert parse_reply("thanks.md", text).outside_hours == "We are closed"
    assert parse_reply("thanks.md", '+++\nname = "Thanks"\n+++\nThanks!\n').outside_hours is None
    for wrong in ('""', "3", '"' + "x" * 201 + '"'):
        with pytest.raises(ValueError, match="outside_hours must name another saved reply"):
            parse_reply("thanks.md", f'+++\nname = "Thanks"\noutside_hours = {wrong}\n+++\nThanks!\n')
