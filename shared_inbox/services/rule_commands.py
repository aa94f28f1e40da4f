"""The commands a rule acts through: the ordinary ones, with the rule as author and derived ids.

A rule's change is an ordinary event (undo, history and reports see it), but its id, time
and clock come from the rule, the conversation and the trigger occurrence instead of from
this machine. Two teammates' copies acting on the same occurrence therefore write the very
same events, and the team exchange merges them into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from shared_inbox.domain.clock import Hlc, wall_ms
from shared_inbox.domain.events import EventKind
from shared_inbox.domain.rules import RULE_RAN, derived_id, rule_author
from shared_inbox.services.commands import Commands

__all__ = ["RuleCommands", "ran_event_id"]


def ran_event_id(rule: str, conversation_id: str, occurrence: str) -> str:
    """The id of the event recording that a rule acted on one occurrence: known before it acts."""
    return derived_id("rule.ran", rule, conversation_id, occurrence)


class RuleCommands(Commands):
    """`Commands` for one rule acting on one trigger occurrence, at the occurrence's time."""

    def __init__(
        self, base: Commands, rule: str, conversation_id: str, occurrence: str, at: datetime
    ) -> None:
        # Not Commands.__init__: no clock of this machine is involved, so no replay of every event.
        self.inbox = base.inbox
        self.author = rule_author(rule)
        self.now = lambda: at
        self.listeners = base.listeners  # what a rule records is shipped to the team like the rest
        self._seed = (rule, conversation_id, occurrence)
        self._count = 0
        self._ids = 0
        self._next_id: str | None = None

    def record_ran(self, conversation_id: str, data: Mapping[str, object]) -> None:
        """Record that the rule acted (once-only marker, and what the reader shows)."""
        self._next_id = ran_event_id(*self._seed)
        self._record(self._conversation(conversation_id), RULE_RAN, data)

    def _event_id(self, anchor: str, kind: EventKind | str, data: Mapping[str, object]) -> str:
        if self._next_id is not None:
            chosen, self._next_id = self._next_id, None
            return chosen
        # The data is part of the id: copies that saw the team differently (and so chose another
        # agent) write two events, which the usual last-writer-wins order settles the same way everywhere.
        return derived_id(*self._seed, anchor, str(kind), dict(data), self._count)

    def _tick(self, at: datetime) -> Hlc:
        self._count += 1
        return Hlc(wall_ms(at), self._count, self.author)

    def _fresh_id(self) -> str:
        self._ids += 1
        return derived_id(*self._seed, "item", self._ids)[:16]
