"""The actions part of a rule file: what a rule does, read and checked in the same pass as the rest."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from shared_inbox.canned.actions import promise_due
from shared_inbox.config.reader import Table, control_character, did_you_mean, type_name
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.events import MAX_TAG_CHARS
from shared_inbox.domain.model import Status
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.domain.rules import Assignment, AssignMode, RuleActions

__all__ = ["ACTION_KEYS", "check_agents", "read_actions", "words"]

_SOME_MONDAY = datetime(2026, 1, 5, 10, tzinfo=UTC)  # phrases are checked against an ordinary morning
_ALWAYS_OPEN = BusinessCalendar.always_open()
_FOLLOW_UP_LEAD = re.compile(r"^(?:follow up|check back)\b\s*", re.IGNORECASE)

ACTION_KEYS = frozenset(
    {"assign", "group", "tag", "untag", "status", "snooze", "note", "mention", "promise", "follow_up", "run",
     "timeout", "reply"}
)  # fmt: skip


def read_actions(table: Table, replies: Collection[str] | None) -> RuleActions:
    status = None
    if table.has("status"):
        text = (table.optional_text("status") or "").strip().lower()
        try:
            status = Status(text)
        except ValueError:
            allowed = [s.value for s in Status]
            table.problem("status", f"{text!r} is not a status", did_you_mean(text, allowed))
    reply = table.optional_text("reply")
    if reply is not None and replies is not None and reply.strip() not in replies:
        lowered = {r.casefold() for r in replies}
        if reply.strip().casefold() not in lowered:
            table.problem("reply", f"there is no saved reply {reply!r}", did_you_mean(reply, replies))
    run = _argv(table, "run")
    timeout = table.integer("timeout", 10, minimum=1, maximum=300)
    if table.has("timeout") and not run:
        table.problem("timeout", "'timeout' applies to 'run' only")
    mentions = words(table, "mention")
    note = table.optional_text("note", multiline=True)
    if mentions and note is None:
        table.problem("mention", 'a mention is made in a note; add note = "..."')
    return RuleActions(
        assign=_assignment(table),
        tags=_tags(table, "tag"),
        untags=_tags(table, "untag"),
        status=status,
        snooze=_phrase(table, "snooze", parse_follow_up),
        note=note,
        mentions=tuple(m.lower() for m in mentions),
        promise=_phrase(table, "promise", promise_due),
        follow_up=_phrase(table, "follow_up", _follow_up),
        run=run,
        run_timeout=float(timeout),
        reply=reply.strip() if reply is not None else None,
    )


def _assignment(table: Table) -> Assignment | None:
    group = tuple(g.lower() for g in words(table, "group"))
    text = table.optional_text("assign")
    if text is None:
        if group:
            table.problem(
                "group", '\'group\' chooses among agents for assign = "round-robin" or "least-loaded"'
            )
        return None
    value = text.strip().lower()
    for mode in (AssignMode.ROUND_ROBIN, AssignMode.LEAST_LOADED):
        if value == mode.value:
            return Assignment(mode, group=group)
    if "@" not in value or any(c.isspace() for c in value):
        modes = [AssignMode.ROUND_ROBIN.value, AssignMode.LEAST_LOADED.value]
        table.problem(
            "assign",
            f"{text!r} is neither an email address nor a way to choose",
            did_you_mean(value, modes) or 'write an address, "round-robin" or "least-loaded"',
        )
        return None
    if group:
        table.problem("group", "'group' does not apply when assigning to one person")
    return Assignment(AssignMode.PERSON, person=value)


def check_agents(table: Table, actions: RuleActions, agents: Collection[str]) -> None:
    """Whoever a rule assigns or mentions must be one of the team."""
    named: list[tuple[str, str]] = [("mention", agent) for agent in actions.mentions]
    if actions.assign is not None:
        named += [("assign", actions.assign.person)] if actions.assign.person else []
        named += [("group", agent) for agent in actions.assign.group]
    for key, agent in named:
        if agent not in agents:
            hint = did_you_mean(agent, agents) or "add them to [[team.members]] in the configuration"
            table.problem(key, f"{agent} is not one of the team", hint)


def _tags(table: Table, key: str) -> tuple[str, ...]:
    tags = tuple(word.lower() for word in words(table, key))
    for tag in tags:
        if any(c.isspace() for c in tag) or len(tag) > MAX_TAG_CHARS:
            table.problem(key, f"{tag!r} is not a tag (one word, at most {MAX_TAG_CHARS} characters)")
    return tags


def _follow_up(phrase: str, now: datetime, calendar: BusinessCalendar) -> datetime:
    return parse_follow_up(_FOLLOW_UP_LEAD.sub("", phrase), now, calendar)


def _phrase(
    table: Table, key: str, read: Callable[[str, datetime, BusinessCalendar], datetime]
) -> str | None:
    """A time phrase, read when the rule acts; one no moment would make sense of is a problem now."""
    phrase = table.optional_text(key)
    if phrase is None:
        return None
    try:
        read(phrase, _SOME_MONDAY, _ALWAYS_OPEN)
    except FollowUpError as exc:
        table.problem(key, str(exc).rstrip("."))
        return None
    return phrase


def _argv(table: Table, key: str) -> tuple[str, ...]:
    """A program and its arguments, as `subprocess` takes them: repeats allowed, control characters not."""
    if not table.has(key):
        return ()
    value = table.data[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        shown = "a string; split it into a list" if isinstance(value, str) else type_name(value)
        table.problem(
            key,
            f"expected an array of strings (the program, then its arguments), got {shown}",
            'e.g. run = ["notify-chat", "--channel", "support"]',
        )
        return ()
    if not value:
        table.problem(key, "must name a program", 'e.g. run = ["notify-chat", "--channel", "support"]')
        return ()
    problems = False
    for index, item in enumerate(value):
        bad = control_character(item, multiline=False)
        if bad is not None:
            table.collector.problem(table.path + (key, index), f"contains the control character {bad}")
            problems = True
        elif index == 0 and not item.strip():
            table.collector.problem(table.path + (key, index), "must not be empty")
            problems = True
    return () if problems else tuple(value)


def words(table: Table, key: str) -> tuple[str, ...]:
    """A string or an array of strings."""
    if not table.has(key):
        return ()
    if isinstance(table.data[key], str):
        text = table.optional_text(key)
        return (text.strip(),) if text else ()
    return tuple(item.strip() for item in table.text_list(key, ()))
