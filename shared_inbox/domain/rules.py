"""Rules: when something happens to a conversation (or fails to happen for a while), act on it.

A rule has a trigger, optional conditions in the search language, and actions. The values
here are plain data read from the rule files; :mod:`shared_inbox.domain.rule_triggers`
finds when a rule fires and :mod:`shared_inbox.domain.rule_actions` decides what it does.

Everything a rule changes is an ordinary team event whose author is ``rule:<name>`` and
whose id is derived from the rule, the conversation and the trigger occurrence, so that
several teammates' copies evaluating the same rule produce the same events, which merge.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from shared_inbox.domain.model import Status
from shared_inbox.domain.query import Query

__all__ = [
    "AUTHOR_PREFIX",
    "EVENT_TRIGGERS",
    "NAME_PATTERN",
    "RULE_RAN",
    "TIME_TRIGGERS",
    "AssignMode",
    "Assignment",
    "Rule",
    "RuleActions",
    "Trigger",
    "derived_id",
    "rule_author",
]

AUTHOR_PREFIX = "rule:"
RULE_RAN = "rule.ran"  # the event that records a rule acting once on one trigger occurrence
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")


class Trigger(enum.StrEnum):
    NEW_CONVERSATION = "new_conversation"
    CUSTOMER_REPLY = "customer_reply"
    AGENT_REPLY = "agent_reply"
    STATUS_CHANGE = "status_change"
    # Time conditions, counted in business hours unless the rule says otherwise.
    NO_CUSTOMER_REPLY = "no_customer_reply"  # no word from the customer for `after` while in `status`
    UNASSIGNED = "unassigned"  # nobody assigned for `after` while in `status`
    SLA = "sla"  # a running SLA clock has used `percent` of its allowance


EVENT_TRIGGERS = frozenset(
    {Trigger.NEW_CONVERSATION, Trigger.CUSTOMER_REPLY, Trigger.AGENT_REPLY, Trigger.STATUS_CHANGE}
)
TIME_TRIGGERS = frozenset({Trigger.NO_CUSTOMER_REPLY, Trigger.UNASSIGNED, Trigger.SLA})
# The status a time condition waits in when the rule does not name one.
DEFAULT_WAIT_STATUS = {Trigger.NO_CUSTOMER_REPLY: Status.PENDING, Trigger.UNASSIGNED: Status.ACTIVE}


class AssignMode(enum.StrEnum):
    PERSON = "person"
    ROUND_ROBIN = "round-robin"
    LEAST_LOADED = "least-loaded"


@dataclass(frozen=True, slots=True)
class Assignment:
    """Whom to assign: one person, or one of a group (all members when the group is empty)."""

    mode: AssignMode
    person: str = ""
    group: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleActions:
    """What a rule does, applied in this order; empty fields do nothing."""

    assign: Assignment | None = None
    tags: tuple[str, ...] = ()
    untags: tuple[str, ...] = ()
    status: Status | None = None
    snooze: str | None = None  # a time phrase, read at the trigger occurrence ("in 2 days")
    note: str | None = None
    mentions: tuple[str, ...] = ()
    promise: str | None = None  # a deadline phrase; it is also the promise's text
    follow_up: str | None = None  # "in 3 days", "after close in 1 week"
    run: tuple[str, ...] = ()  # argv of a command fed the conversation as JSON
    run_timeout: float = 10.0
    reply: str | None = None  # a saved reply's id or name, sent automatically

    @property
    def answers(self) -> bool:
        """Whether the rule writes to the customer (and so must never answer a machine)."""
        return self.reply is not None

    @property
    def empty(self) -> bool:
        return self == RuleActions(run_timeout=self.run_timeout)

    def describe(self) -> list[str]:
        """The actions as written, in the order they are applied."""
        said: list[str] = []
        if self.assign is not None:
            group = ", ".join(self.assign.group) or "the team"
            said.append(
                f"assign to {self.assign.person}"
                if self.assign.mode is AssignMode.PERSON
                else f"assign {self.assign.mode.value} among {group}"
            )
        said += [f"tag {tag}" for tag in self.tags] + [f"untag {tag}" for tag in self.untags]
        said += [f"set status {self.status}"] if self.status is not None else []
        said += [f"snooze {self.snooze}"] if self.snooze else []
        if self.note is not None:
            mentions = f" mentioning {', '.join(self.mentions)}" if self.mentions else ""
            said.append(f"add a note{mentions}")
        said += [f"promise {self.promise}"] if self.promise else []
        said += [f"follow up {self.follow_up}"] if self.follow_up else []
        said += [f"run {' '.join(self.run)}"] if self.run else []
        said += [f"send the saved reply {self.reply!r}"] if self.reply else []
        return said


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    trigger: Trigger
    actions: RuleActions
    condition: Query = field(default_factory=lambda: Query(()))
    condition_text: str = ""
    body: tuple[str, ...] = ()  # words the customer's latest message must contain
    status: Status | None = None  # status_change: the new status; time triggers: the status waited in
    after: timedelta | None = None  # time triggers other than sla
    percent: int = 80  # sla
    business_hours: bool = True
    max_age: timedelta = timedelta(days=1)  # event triggers: older occurrences are history, not news
    description: str = ""
    source: str = ""  # the file it came from, for messages
    line: int | None = None

    @property
    def author(self) -> str:
        return rule_author(self.name)

    def describe_trigger(self) -> str:
        """The trigger and its conditions in words: "no customer reply for 3d while pending, if tag:vip"."""
        when = self.trigger.value.replace("_", " ")
        match self.trigger:
            case Trigger.STATUS_CHANGE if self.status is not None:
                when = f"status changes to {self.status}"
            case Trigger.NO_CUSTOMER_REPLY | Trigger.UNASSIGNED:
                wait = self.wait_status()
                when += f" for {_span(self.after)} while {wait if wait is not None else 'open'}"
            case Trigger.SLA:
                when = f"an SLA clock used {self.percent} % of its time"
        if self.trigger in TIME_TRIGGERS:
            when += ", in business hours" if self.business_hours else ", in calendar time"
        conditions = [self.condition_text] if self.condition_text else []
        conditions += [f'body has "{word}"' for word in self.body]
        return when + (f", if {' '.join(conditions)}" if conditions else "")

    def wait_status(self) -> Status | None:
        """The status a time condition requires; None means any open status."""
        return self.status if self.status is not None else DEFAULT_WAIT_STATUS.get(self.trigger)


def rule_author(name: str) -> str:
    return AUTHOR_PREFIX + name


def derived_id(*parts: object) -> str:
    """An event id that is the same wherever the same parts are hashed (32 hex digits)."""
    text = json.dumps(
        [str(part) if not isinstance(part, dict | list) else part for part in parts],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def _span(span: timedelta | None) -> str:
    """A duration as a rule file writes it: "3d", "2h", "1h30m"."""
    if span is None:
        return "?"
    minutes = int(span.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return "".join(f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if value)
