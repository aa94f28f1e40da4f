"""Deadlines on the conversation list: the countdown's source, sorting by it, and follow-ups.

Mixed into the inbox screen, which provides the session, the clock, the list, `reload`
and `_apply` (run a command on the targets, then redraw).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import App

from shared_inbox.domain.model import Conversation
from shared_inbox.services.deadlines import Deadlines, tracker_for
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked
from shared_inbox.ui.views import by_next_due

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

FOLLOW_UP_PRESETS = (
    ("in 1 day", "Tomorrow, same time"),
    ("in 2 days", "In 2 days"),
    ("in 1 week", "In a week"),
    ("after close in 1 week", "A week after it is closed"),
)


class ListDeadlines:
    """Countdown, sort-by-deadline toggle and the follow-up prompt of the inbox screen."""

    session: Session
    _now: Callable[[], datetime]
    app: App[object]
    sort_by_due: bool = False

    def deadlines_of(self, conv: Conversation) -> Deadlines:
        return tracker_for(self.session).of(conv, self._now())

    def order_rows(self, rows: Sequence[Conversation]) -> list[Conversation]:
        """The view's own order, or the soonest deadline first while sorting by deadline."""
        return by_next_due(rows, self.deadlines_of) if self.sort_by_due else list(rows)

    def action_sort_by_due(self) -> None:
        self.sort_by_due = not self.sort_by_due
        order = "next deadline" if self.sort_by_due else "waiting time"
        self.app.notify(f"Sorted by {order}.", markup=False)
        self.reload()

    def action_follow_up(self) -> None:
        if not self._targets():
            return
        prompt = ChoicePrompt(
            "Follow up",
            list(FOLLOW_UP_PRESETS),
            typed_hint="or type: in 3 days, friday 14:00, after close in 2 weeks",
        )
        self.app.push_screen(prompt, self._follow_up)

    def _follow_up(self, picked: Picked | None) -> None:
        if picked is None:
            return
        when = picked.choice or picked.text
        calendar = self.session.config.business_hours.calendar()
        self._apply(lambda ref: self.session.commands.follow_up(ref, when, calendar), "Follow-up set for")

    if TYPE_CHECKING:  # provided by the inbox screen

        def reload(self) -> None: ...

        def _targets(self) -> list[Conversation]: ...

        def _apply(self, command: Callable[[str], object], done: str) -> None: ...
