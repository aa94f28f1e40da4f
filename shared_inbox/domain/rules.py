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
