"""Running the team's rules: find trigger occurrences, check conditions, act once per occurrence.

The same service runs after each sync round and team exchange (event triggers) and on a
timer (time conditions), in the interface and in `sync --watch`, so a team needs no server
of its own. Each rule acts at most once per conversation and trigger occurrence: the
`rule.ran` event it records has an id derived from both, so a copy that already holds it
(its own, or a teammate's that came through the events folder) does not act again.

A dry run (`rules test`) goes through the same steps and changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared_inbox.canned.actions import promise_due
from shared_inbox.canned.filling import customer_message
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.domain.rule_actions import Step, TeamView, holds, plan
from shared_inbox.domain.rule_triggers import ConversationFacts, Occurrence, occurrences
from shared_inbox.domain.rules import EVENT_TRIGGERS, TIME_TRIGGERS, Rule, Trigger
from shared_inbox.domain.sla import SlaPolicy
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.rule_command_run import CommandOutcome, conversation_json, run_rule_command
from shared_inbox.services.rule_commands import RuleCommands, ran_event_id
from shared_inbox.services.rule_facts import conversation_facts, team_view
from shared_inbox.services.server_history import history_conversations

__all__ = ["AutoReplySender", "ClaimVerdict", "CommandClaimer", "RuleOutcome", "RuleRunner", "Which"]

_OPEN = frozenset({Status.ACTIVE, Status.PENDING})  # the only statuses a time condition waits in
RunCommand = Callable[[Sequence[str], dict[str, object], float], CommandOutcome]


class AutoReplySender(Protocol):
    """Sends a saved reply automatically, safely (never to machines, once per sender per window,
    one teammate's copy only); returns what happened in one line."""

    def send(self, conversation_id: str, canned: str, occurrence: str) -> str: ...


@dataclass(frozen=True, slots=True)
class ClaimVerdict:
    """Whether this copy runs a rule's command; ``note`` says why not (a ``problem`` when it is one)."""

    runs: bool
    note: str = ""
    problem: bool = False


class CommandClaimer(Protocol):
    """Lets one copy of the team run a rule's command for one occurrence."""

    def claim(self, conversation_id: str, occurrence: str) -> ClaimVerdict: ...


class Which:
    EVENTS = frozenset(EVENT_TRIGGERS)
    TIME = frozenset(TIME_TRIGGERS)
    ALL = frozenset(Trigger)


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What one rule did (or, in a dry run, would do) on one trigger occurrence."""

    rule: str
    conversation_id: str
    subject: str
    occurrence: Occurrence
    done: tuple[str, ...]
    problems: tuple[str, ...] = ()
    already: bool = False  # it acted on this occurrence before (dry runs list these too)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "conversation": self.conversation_id,
            "subject": self.subject,
            "occurrence": self.occurrence.key,
            "at": self.occurrence.at.isoformat(),
            "why": self.occurrence.why,
            "actions": list(self.done),
            "problems": list(self.problems),
            "already_done": self.already,
        }


class RuleRunner:
    def __init__(
        self,
        commands: Commands,
        rules: Sequence[Rule],
        *,
        calendar: BusinessCalendar,
        policies: Sequence[SlaPolicy] = (),
        members: Sequence[str] = (),
        away: frozenset[str] = frozenset(),
        sender: AutoReplySender | None = None,
        claims: CommandClaimer | None = None,
        run_command: RunCommand = run_rule_command,
    ) -> None:
        self.commands = commands
        self.inbox = commands.inbox
        self.rules = tuple(rules)
        self.calendar = calendar
        self.policies = tuple(policies)
        self.members = tuple(members)
        self.away = away
        self.sender = sender
        self.claims = claims  # None: this copy runs commands alone (tests, a team of one)
        self.run_command = run_command

    def run(self, now: datetime, which: frozenset[Trigger] = Which.ALL) -> list[RuleOutcome]:
        """Act on every new occurrence of the rules' triggers of the kinds asked for."""
        rules = [rule for rule in self.rules if rule.trigger in which]
        return self._evaluate(rules, now, dry_run=False)

    def dry_run(self, rule: Rule, now: datetime, since: timedelta) -> list[RuleOutcome]:
        """What ``rule`` would have done to which conversations in the last ``since``; changes nothing."""
        looked_at = dataclasses.replace(rule, max_age=since) if rule.trigger in EVENT_TRIGGERS else rule
        found = self._evaluate([looked_at], now, dry_run=True)
        return sorted(found, key=lambda outcome: (outcome.occurrence.at, outcome.conversation_id))

    # -- evaluation ----------------------------------------------------------------------

    def _evaluate(self, rules: Sequence[Rule], now: datetime, *, dry_run: bool) -> list[RuleOutcome]:
        if not rules:
            return []
        needs_clocks = any(rule.trigger is Trigger.SLA for rule in rules)
        needs_body = any(rule.body for rule in rules)
        oldest = now - max(
            (rule.max_age for rule in rules if rule.trigger in EVENT_TRIGGERS), default=timedelta()
        )
        waits = any(rule.trigger in TIME_TRIGGERS for rule in rules)
        team: TeamView | None = None
        outcomes: list[RuleOutcome] = []
        for conv in self._candidates(oldest, waits):
            facts: ConversationFacts | None = None
            for rule in rules:
                if facts is None:
                    facts = conversation_facts(
                        self.inbox,
                        conv,
                        policies=self.policies if needs_clocks else (),
                        calendar=self.calendar,
                        now=now,
                        body=customer_message(self.inbox, self.inbox.store, conv) if needs_body else "",
                    )
                for occurrence in occurrences(rule, facts, now, self.calendar):
                    already = self._has_run(rule, conv, occurrence)
                    if (already and not dry_run) or not holds(rule, facts):
                        continue
                    if team is None:
                        team = team_view(self.inbox, self.members, self.away)
                    steps = plan(rule, occurrence, facts, team)
                    if dry_run:
                        done = tuple(step.describe() for step in steps) or (
                            "nothing: it is that way already",
                        )
                        outcomes.append(
                            RuleOutcome(rule.name, conv.id, conv.subject, occurrence, done, (), already)
                        )
                    else:
                        outcomes.append(self._act(rule, conv, occurrence, steps))
                        conv = self.inbox.conversation(conv.id) or conv
                        facts = None  # the rule changed it: the next rule sees the change
                        break
        return outcomes

    def _candidates(self, oldest: datetime, waits: bool) -> Iterable[Conversation]:
        """Conversations that can hold an occurrence: recently active ones, and all open ones for waits."""
        convs = self.inbox.conversations()
        history = history_conversations(self.inbox, convs)  # fetched from the archive: not work
        for conv in convs:
            if conv.id in history:
                continue
            if (waits and conv.state.status in _OPEN) or self._recent(conv, oldest):
                yield conv

    def _recent(self, conv: Conversation, oldest: datetime) -> bool:
        """Whether a message arrived or an event happened since ``oldest``."""
        messages = self.inbox.messages
        # Arrival, not the Date header the list sorts by: a sender's clock may be far off.
        if any(messages[mid].arrived >= oldest for mid in conv.message_ids if mid in messages):
            return True
        return any(event.at >= oldest for event in self.inbox.events_of(conv.id))

    def _has_run(self, rule: Rule, conv: Conversation, occurrence: Occurrence) -> bool:
        return self.inbox.store.has_event(ran_event_id(rule.name, conv.id, occurrence.key))

    # -- acting --------------------------------------------------------------------------

    def _act(
        self, rule: Rule, conv: Conversation, occurrence: Occurrence, steps: Sequence[Step]
    ) -> RuleOutcome:
        actor = RuleCommands(self.commands, rule.name, conv.id, occurrence.key, occurrence.at)
        done: list[str] = []
        problems: list[str] = []
        for step in steps:
            try:
                problem, said = self._apply(actor, rule, conv, occurrence, step)
            except CommandError as exc:
                problem, said = f"{step.describe()} failed: {exc}", ""
            if problem:
                problems.append(problem)
            else:
                done.append(f"{step.describe()}: {said}" if said else step.describe())
        actor.record_ran(
            conv.id,
            {"rule": rule.name, "occurrence": occurrence.key[:200], "why": occurrence.why, "did": done[:20]},
        )
        return RuleOutcome(rule.name, conv.id, conv.subject, occurrence, tuple(done), tuple(problems))

    def _apply(
        self, actor: RuleCommands, rule: Rule, conv: Conversation, occurrence: Occurrence, step: Step
    ) -> tuple[str | None, str]:
        """Apply one step through the service that owns the act: (a problem in one sentence, or None;
        what the program or the sender said)."""
        at = occurrence.at.astimezone(self.calendar.zone)
        match step.kind:
            case "assign":
                if not step.value:
                    return "Nobody was assigned: everyone who could take it is away.", ""
                actor.assign(conv.id, step.value)
            case "tag":
                actor.tag(conv.id, step.value)
            case "untag":
                actor.untag(conv.id, step.value)
            case "status":
                actor.set_status(conv.id, step.value)
            case "snooze":
                try:
                    actor.snooze(conv.id, parse_follow_up(step.value, at, self.calendar))
                except FollowUpError as exc:
                    return f"Not snoozed: {exc}", ""
            case "note":
                actor.add_note(conv.id, step.value, step.extra)
            case "promise":
                try:
                    actor.set_promise(conv.id, step.value, promise_due(step.value, at, self.calendar))
                except FollowUpError as exc:
                    return f"No promise recorded: {exc}", ""
            case "follow_up":
                actor.follow_up(conv.id, step.value, self.calendar)
            case "run":
                if self.claims is not None:
                    verdict = self.claims.claim(conv.id, ran_event_id(rule.name, conv.id, occurrence.key))
                    if not verdict.runs:
                        return (verdict.note, "") if verdict.problem else (None, verdict.note)
                payload = conversation_json(self.inbox, conv, rule.name, occurrence)
                outcome = self.run_command((step.value, *step.extra), payload, rule.actions.run_timeout)
                return (None, outcome.output) if outcome.ok else (outcome.sentence, "")
            case "reply":
                if self.sender is None:
                    return (
                        f"The saved reply {step.value!r} was not sent: automatic replies are not set up.",
                        "",
                    )
                return None, self.sender.send(
                    conv.id, step.value, ran_event_id(rule.name, conv.id, occurrence.key)
                )
        return None, ""
