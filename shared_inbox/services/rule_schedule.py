"""When rules run, wherever the team works: after each sync round and on a timer.

Any open copy (the interface, `sync --watch`) runs the rules, so a team needs no server of
its own; once-only events and derived ids keep the effect single however many run them.
The rule files are read again when they change, so an edited rule takes effect without a
restart. Runs are serialized: a timer tick and a sync round never act on the same
occurrence at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from shared_inbox.canned.rule_files import RuleSet, rules_directory
from shared_inbox.domain.rules import Trigger
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.services.rule_book import load_rule_book, rule_runner_for
from shared_inbox.services.rules import AutoReplySender, CommandClaimer, RuleOutcome, RuleRunner, Which
from shared_inbox.services.session import Session

__all__ = ["RULE_TICK_SECONDS", "RuleSchedule", "outcome_lines"]

RULE_TICK_SECONDS = 60.0  # time conditions are looked at this often


class RuleSchedule:
    def __init__(
        self,
        session: Session,
        *,
        lock: threading.Lock | None = None,
        sender: AutoReplySender | None = None,
        claims: CommandClaimer | None = None,
    ) -> None:
        self.session = session
        self.sender = sender
        self.claims = claims
        # Held while rules act; pass the lock other writers of the inbox hold, if any.
        self.lock = lock if lock is not None else threading.Lock()
        self._running = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._runner: RuleRunner | None = None
        self.book = RuleSet()

    @property
    def directory(self) -> Path:
        canned = self.session.config.canned
        return rules_directory(canned.team_dir, canned.personal_dir)

    def after_round(self, now: datetime) -> list[RuleOutcome]:
        """Rules on events (new mail, replies, status changes), after a sync round or team exchange."""
        return self._run(now, Which.EVENTS)

    def tick(self, now: datetime) -> list[RuleOutcome]:
        """Every rule: time conditions, and events this copy made itself since the last run."""
        return self._run(now, Which.ALL)

    def watch(
        self,
        stop: threading.Event,
        now: Callable[[], datetime],
        report: Callable[[list[RuleOutcome]], None],
        interval: float = RULE_TICK_SECONDS,
    ) -> None:
        """Tick until ``stop`` is set (a thread of `sync --watch`)."""
        while not stop.wait(interval):
            outcomes = self.tick(now())
            if outcomes:
                report(outcomes)

    def _run(self, now: datetime, which: frozenset[Trigger]) -> list[RuleOutcome]:
        # Counted as a background loop, so closing the session waits for the rules' writes.
        with self._running, self.session.loops.running():
            if self.session.store.closed:
                return []  # the app or the command is ending
            runner = self._current_runner()
            if not runner.rules:
                return []
            with self.lock:
                return runner.run(now, which)

    def _current_runner(self) -> RuleRunner:
        signature = _signature(self.directory)
        if self._runner is None or signature != self._signature:
            # No rule files, no need to read the saved replies either.
            self.book = load_rule_book(self.session.config) if signature else RuleSet()
            self._runner = rule_runner_for(self.session, self.book, sender=self.sender, claims=self.claims)
            self._signature = signature
        return self._runner


def _signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a rule file is added, removed or edited."""
    try:
        found = sorted(directory.glob("*.toml"))
        return tuple((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in found)
    except OSError:
        return ()


def outcome_lines(outcomes: Sequence[RuleOutcome]) -> tuple[list[str], list[str]]:
    """(what the rules did, what went wrong), one line each, for a terminal or a notification."""
    done: list[str] = []
    problems: list[str] = []
    for outcome in outcomes:
        subject = clean_line(outcome.subject)[:80] or "(no subject)"
        where = f'rule {outcome.rule} on "{subject}"'
        if outcome.done:
            done.append(f"{where}: {'; '.join(outcome.done)}")
        problems.extend(f"{where}: {problem}" for problem in outcome.problems)
    return done, problems
