"""Rule files: TOML in the ``rules`` directory beside the saved replies.

A file holds one rule (keys at the top) or several (``[[rules]]``)::

    [[rules]]
    name = "vip-first"
    trigger = "new_conversation"
    if = "customer:bigcorp.example -tag:spam"
    assign = "ann@example.com"
    tag = ["vip"]

Every file is read in one validating pass, like the configuration: each problem names
the file, the line and, for a misspelt key, what was probably meant. A rule with a
problem is left out; the others still run.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from shared_inbox.canned.rule_file_actions import ACTION_KEYS, check_agents, read_actions, words
from shared_inbox.config.errors import Problem
from shared_inbox.config.lines import LineIndex
from shared_inbox.config.reader import Collector, Table, did_you_mean
from shared_inbox.config.service_levels import read_duration
from shared_inbox.domain.model import Status
from shared_inbox.domain.query import Query, QueryError, parse_query
from shared_inbox.domain.rules import (
    NAME_PATTERN,
    TIME_TRIGGERS,
    Rule,
    Trigger,
)

__all__ = ["RULES_DIRECTORY", "RuleFileProblem", "RuleSet", "load_rules", "parse_rules"]

RULES_DIRECTORY = "rules"
MAX_FILE_BYTES = 200_000
MAX_FILES = 500
TRIGGER_KEYS = frozenset(
    {
        "name",
        "description",
        "trigger",
        "if",
        "body",
        "to",
        "while",
        "after",
        "percent",
        "business_hours",
        "max_age",
    }
)
RULE_KEYS = TRIGGER_KEYS | ACTION_KEYS
_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_OPEN = "open"  # `while = "open"`: active or pending


@dataclass(frozen=True, slots=True)
class RuleFileProblem:
    """One thing wrong in a rule file, with its line when known."""

    source: str
    problem: Problem

    def format(self) -> str:
        return f"{self.source}: {self.problem.format()}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    problems: tuple[RuleFileProblem, ...] = ()

    def find(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name.strip().lower()), None)


def rules_directory(team_dir: Path | None, personal_dir: Path) -> Path:
    """Rules live beside the team's saved replies (or this agent's, when the team has none)."""
    return (team_dir if team_dir is not None else personal_dir) / RULES_DIRECTORY


def load_rules(
    directory: Path, *, replies: Collection[str] | None = None, agents: Collection[str] | None = None
) -> RuleSet:
    """Every rule in the ``*.toml`` files of ``directory`` (a missing directory has none).

    ``replies`` lists the saved replies' ids and names and ``agents`` the team's addresses;
    a rule naming another reply or agent is a problem.
    """
    try:
        paths = sorted(p for p in directory.glob("*.toml") if not p.name.startswith(".") and p.is_file())
    except OSError as exc:
        problem = Problem("", None, f"cannot read the rules directory: {exc.strerror or exc}")
        return RuleSet((), (RuleFileProblem(str(directory), problem),))
    rules: list[Rule] = []
    problems: list[RuleFileProblem] = []
    for path in paths[:MAX_FILES]:
        text, unreadable = _read(path)
        if unreadable:
            problems.append(RuleFileProblem(str(path), Problem("", None, unreadable)))
            continue
        found = parse_rules(text, source=str(path), default_name=path.stem, replies=replies, agents=agents)
        rules.extend(found.rules)
        problems.extend(found.problems)
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in seen:
            where = f"{seen[rule.name].source} line {seen[rule.name].line}"
            text = f"two rules are called {rule.name!r} (the other is in {where}); this one is left out"
            problems.append(RuleFileProblem(rule.source, Problem("name", rule.line, text)))
        else:
            seen[rule.name] = rule
    return RuleSet(tuple(seen.values()), tuple(problems))


def parse_rules(
    text: str,
    *,
    source: str,
    default_name: str = "",
    replies: Collection[str] | None = None,
    agents: Collection[str] | None = None,
) -> RuleSet:
    """The rules of one file's text; problems are collected, never raised."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return RuleSet((), (RuleFileProblem(source, _syntax_problem(exc)),))
    collector = Collector(LineIndex(text))
    rules: list[Rule] = []
    tables: Iterator[Table]
    if "rules" in data:
        root = Table(
            collector, (), data, frozenset({"rules"}), elsewhere=dict.fromkeys(RULE_KEYS, "[[rules]]")
        )
        listed = data["rules"]
        several = not isinstance(listed, list) or len(listed) != 1
        tables = root.tables("rules", RULE_KEYS)
    else:
        several = False
        tables = _one(collector, data)
        if not data:
            collector.problem((), "the file holds no rule", 'write e.g. trigger = "new_conversation"')
    while True:
        # A table's unknown keys are found as it is made: count from before, so they leave it out too.
        before = len(collector.problems)
        table = next(tables, None)
        if table is None:
            break
        rule = _rule(table, source, "" if several else default_name, replies, agents)
        if rule is not None and len(collector.problems) == before:
            rules.append(rule)
    ordered = sorted(collector.problems, key=lambda p: (p.line is None, p.line or 0))
    return RuleSet(tuple(rules), tuple(RuleFileProblem(source, p) for p in ordered))


# -- one rule -----------------------------------------------------------------------------


def _one(collector: Collector, data: dict[str, object]) -> Iterator[Table]:
    """The file as one rule, its table made only when asked for."""
    yield Table(collector, (), data, RULE_KEYS)


def _rule(
    table: Table,
    source: str,
    default_name: str,
    replies: Collection[str] | None,
    agents: Collection[str] | None,
) -> Rule | None:
    name = (table.optional_text("name") or default_name).strip().lower()
    if not NAME_PATTERN.fullmatch(name):
        shown = f"{name!r} is not" if name else "a rule needs"
        table.problem(
            "name",
            f"{shown} a name of lower-case letters, digits, '-' and '_'",
            'e.g. name = "nudge-pending"',
        )
    trigger = _trigger(table)
    condition, condition_text = _condition(table)
    status = _status(table, trigger)
    after = _duration(table, "after")
    if (
        trigger in (Trigger.NO_CUSTOMER_REPLY, Trigger.UNASSIGNED)
        and after is None
        and not table.has("after")
    ):
        table.problem("after", f'the {trigger} trigger needs a time, e.g. after = "3d" or "2h"')
    if table.has("after") and trigger not in (Trigger.NO_CUSTOMER_REPLY, Trigger.UNASSIGNED, None):
        table.problem("after", "'after' only applies to the no_customer_reply and unassigned triggers")
    if table.has("percent") and trigger not in (Trigger.SLA, None):
        table.problem("percent", "'percent' only applies to the sla trigger")
    if table.has("max_age") and trigger in TIME_TRIGGERS:
        table.problem("max_age", "'max_age' only applies to triggers on events, not to waits")
    actions = read_actions(table, replies)
    if agents is not None:
        check_agents(table, actions, agents)
    if actions.empty:
        table.problem(None, "the rule does nothing; give it an action such as tag, assign, note or reply")
    if trigger is None:
        return None
    return Rule(
        name=name,
        trigger=trigger,
        actions=actions,
        condition=condition,
        condition_text=condition_text,
        body=words(table, "body"),
        status=status,
        after=after,
        percent=table.integer("percent", 80, minimum=1, maximum=1000),
        business_hours=table.flag("business_hours", True),
        max_age=_duration(table, "max_age") or timedelta(days=1),
        description=table.text("description", ""),
        source=source,
        line=_line(table),
    )


def _line(table: Table) -> int | None:
    lines = table.collector.lines
    if lines is None:
        return None
    return lines.nearest_line(table.path + ("name",)) or lines.nearest_line(table.path + ("trigger",))


def _trigger(table: Table) -> Trigger | None:
    text = table.required_text(
        "trigger",
        what="new_conversation, customer_reply, agent_reply, status_change, "
        "no_customer_reply, unassigned or sla",
    )
    if not text:
        return None
    try:
        return Trigger(text.strip().lower())
    except ValueError:
        allowed = [t.value for t in Trigger]
        hint = did_you_mean(text, allowed) or "use one of " + ", ".join(allowed)
        table.problem("trigger", f"{text!r} is not a trigger", hint)
        return None


def _condition(table: Table) -> tuple[Query, str]:
    text = table.optional_text("if")
    if text is None:
        return Query(()), ""
    try:
        return parse_query(text, me=""), text
    except QueryError as exc:
        table.problem("if", str(exc))
        return Query(()), ""


def _status(table: Table, trigger: Trigger | None) -> Status | None:
    """`to` for status_change, `while` for the waits (active, pending, or "open" for either)."""
    waits = trigger in (Trigger.NO_CUSTOMER_REPLY, Trigger.UNASSIGNED)
    key = "to" if trigger is Trigger.STATUS_CHANGE else "while" if waits else None
    for other in ("to", "while"):
        if other != key and table.has(other) and trigger is not None:
            hint = f"did you mean '{key}'?" if key else None
            table.problem(other, f"'{other}' does not apply to the {trigger} trigger", hint)
    if key is None or not table.has(key):
        return None
    text = (table.optional_text(key) or "").strip().lower()
    if key == "while" and text == _OPEN:
        return None
    allowed = [s.value for s in Status] if key == "to" else [Status.ACTIVE.value, Status.PENDING.value, _OPEN]
    if text not in allowed:
        hint = did_you_mean(text, allowed) or "use " + ", ".join(allowed)
        table.problem(key, f"{text!r} is not a status a rule can {'wait in' if waits else 'watch for'}", hint)
        return None
    return Status(text)


def _duration(table: Table, key: str) -> timedelta | None:
    """ "2h", "30m", "1h30m" or "3d" (days of 24 counted hours), read as the SLA policies read them."""
    return read_duration(table, key, '"2h", "30m", "1h30m" or "3d"')


def _read(path: Path) -> tuple[str, str]:
    """The file's text, or "" and why it cannot be used."""
    try:
        if os.stat(path).st_size > MAX_FILE_BYTES:
            return "", f"the file is larger than {MAX_FILE_BYTES // 1000} kB"
        return path.read_text(encoding="utf-8"), ""
    except UnicodeDecodeError:
        return "", "the file is not UTF-8 text"
    except OSError as exc:
        return "", f"cannot read the file: {exc.strerror or exc}"


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    position = _SYNTAX_POSITION.search(message)
    line = int(position.group(1)) if position else None
    if position:
        message = message[: position.start()].rstrip() + f" (column {position.group(2)})"
    return Problem("", line, f"TOML syntax error: {message}", "see https://toml.io for the file format")
