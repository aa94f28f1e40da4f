"""What a rule does to a conversation once its trigger fired: checked conditions, then steps.

A plan is plain data (:class:`Step`), so a dry run prints it and a real run hands each step
to the service that owns the act. Choices (whom round-robin picks) depend on the trigger
occurrence and the team, never on the machine or the moment it is evaluated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared_inbox.domain.rule_triggers import ConversationFacts, Occurrence
from shared_inbox.domain.rules import Assignment, AssignMode, Rule

__all__ = ["Step", "TeamView", "choose_assignee", "holds", "plan"]


@dataclass(frozen=True, slots=True)
class TeamView:
    """The team as assignment sees it: members in order, who is away, and open conversations each."""

    members: tuple[str, ...]
    away: frozenset[str] = frozenset()
    load: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One action: ``kind`` names it (assign, tag, untag, status, snooze, note, promise, follow_up,
    run, reply); ``value`` is its argument; ``extra`` holds mentions or a command's arguments."""

    kind: str
    value: str
    extra: tuple[str, ...] = ()

    def describe(self) -> str:
        match self.kind:
            case "assign":
                return f"assign to {self.value}" if self.value else "assign: nobody available (all away)"
            case "status":
                return f"set status {self.value}"
            case "note":
                mentions = f" mentioning {', '.join(self.extra)}" if self.extra else ""
                return f"add a note{mentions}: {self.value}"
            case "follow_up":
                return f"follow up {self.value}"
            case "run":
                return f"run {' '.join((self.value, *self.extra))}"
            case "reply":
                return f"send the saved reply {self.value!r}"
        return f"{self.kind} {self.value}"


def holds(rule: Rule, facts: ConversationFacts) -> bool:
    """Whether the conversation meets the rule's conditions (search terms and body words)."""
    if rule.condition.terms and not rule.condition.matches(facts.conversation, facts.metas):
        return False
    body = facts.body.casefold()
    return all(word.casefold() in body for word in rule.body)


def plan(rule: Rule, occurrence: Occurrence, facts: ConversationFacts, team: TeamView) -> list[Step]:
    """The steps the rule takes for this occurrence, in the order they are applied."""
    actions = rule.actions
    state = facts.conversation.state
    steps: list[Step] = []
    if actions.assign is not None:
        who = choose_assignee(
            actions.assign, f"{rule.name}/{occurrence.conversation_id}/{occurrence.key}", team
        )
        if who is None or who != state.assignee:
            steps.append(Step("assign", who or ""))
    steps += [Step("tag", tag) for tag in actions.tags if tag not in state.tags]
    steps += [Step("untag", tag) for tag in actions.untags if tag in state.tags]
    if actions.status is not None and actions.status is not state.status:
        steps.append(Step("status", actions.status.value))
    if actions.snooze is not None:
        steps.append(Step("snooze", actions.snooze))
    if actions.note is not None:
        steps.append(Step("note", actions.note, actions.mentions))
    if actions.promise is not None:
        steps.append(Step("promise", actions.promise))
    if actions.follow_up is not None:
        steps.append(Step("follow_up", actions.follow_up))
    if actions.run:
        steps.append(Step("run", actions.run[0], actions.run[1:]))
    if actions.reply is not None:
        steps.append(Step("reply", actions.reply))
    return steps


def choose_assignee(assignment: Assignment, seed: str, team: TeamView) -> str | None:
    """The agent to assign; None when everyone who could take it is away.

    Round-robin starts at a place in the group derived from ``seed`` (the occurrence), so
    conversations spread evenly and every copy picks the same agent for the same one.
    Least-loaded takes who has the fewest open conversations, round-robin order breaking ties.
    """
    if assignment.mode is AssignMode.PERSON:
        return assignment.person
    group = assignment.group or team.members
    present = [agent for agent in group if agent not in team.away]
    if not present:
        return None
    start = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:8], 16) % len(present)
    turn = present[start:] + present[:start]
    if assignment.mode is AssignMode.ROUND_ROBIN:
        return turn[0]
    return min(turn, key=lambda agent: (team.load.get(agent, 0), turn.index(agent)))
