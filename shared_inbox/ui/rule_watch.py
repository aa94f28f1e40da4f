"""While the app is open: run the team's rules after each sync round and every minute.

The rules may run a program or send mail, so they run in a worker thread; what they did and
what went wrong comes back to the app as notifications (the thread touches no widget). The
screens redraw from the inbox change the rules' events cause, as for any other change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shared_inbox.services.rule_schedule import RULE_TICK_SECONDS, RuleSchedule, outcome_lines
from shared_inbox.services.rules import AutoReplySender, CommandClaimer, RuleOutcome

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session

NOTIFY_AT_MOST = 3  # what the rules did, shown one by one before it is summed up


class RuleWatch:
    def __init__(
        self,
        app: App[None],
        session: Session,
        now: Callable[[], datetime],
        sender: AutoReplySender | None = None,
        claims: CommandClaimer | None = None,
    ) -> None:
        self.app = app
        self.now = now
        self.schedule = RuleSchedule(session, sender=sender, claims=claims)
        self.caught_up = False  # the first run after opening looks at the time conditions too

    def start(self) -> None:
        self.app.set_interval(RULE_TICK_SECONDS, self.tick)

    def after_round(self) -> None:
        """New mail and teammates' changes are in: rules on events (and, the first time, all)."""
        everything = not self.caught_up
        self.caught_up = True
        self.app.run_worker(lambda: self._work(everything), thread=True, group="rules", exit_on_error=False)

    def tick(self) -> None:
        self.app.run_worker(lambda: self._work(True), thread=True, group="rules", exit_on_error=False)

    def _work(self, everything: bool) -> None:
        now = self.now()
        outcomes = self.schedule.tick(now) if everything else self.schedule.after_round(now)
        if outcomes:
            self.app.call_from_thread(self._report, outcomes)

    def _report(self, outcomes: list[RuleOutcome]) -> None:
        done, problems = outcome_lines(outcomes)
        for line in done[:NOTIFY_AT_MOST]:
            self.app.notify(line, title="Rules", markup=False)
        if len(done) > NOTIFY_AT_MOST:
            self.app.notify(
                f"and {len(done) - NOTIFY_AT_MOST} more rule actions", title="Rules", markup=False
            )
        for line in problems:
            self.app.notify(line, title="Rules", severity="warning", markup=False)
