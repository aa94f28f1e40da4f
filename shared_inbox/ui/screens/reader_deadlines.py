"""Promises, follow-ups and SLA clocks inside the reader: shown above the thread, settled in place.

Marking a promise done or dropping it goes through the shared command layer (an event);
then the section is drawn again from the inbox. A follow-up is set through the list
screen's prompt, like the other triage actions, pinned to the conversation on screen.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import TYPE_CHECKING

from shared_inbox.domain.model import Conversation
from shared_inbox.services.commands import CommandError
from shared_inbox.services.deadlines import DeadlineItem, tracker_for
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked
from shared_inbox.ui.widgets.deadline_badges import DeadlineRow, DeadlinesPanel

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session


class ReaderDeadlines:
    """Mixed into the reader screen, which provides the session, the conversation and `query_one`."""

    session: Session
    conversation: Conversation
    zone: tzinfo | None
    app: App[object]

    def deadlines_now(self) -> datetime:
        """The app's clock (tests inject one); the real time outside the app."""
        clock = getattr(self.app, "current_time", None)
        return clock() if callable(clock) else datetime.now(UTC)

    def deadlines_panel(self) -> DeadlinesPanel:
        now = self.deadlines_now()
        return DeadlinesPanel(tracker_for(self.session).of(self.conversation, now), now, self.zone)

    def refresh_deadlines(self) -> None:
        panel = self._panel()
        panel.now = self.deadlines_now()
        panel.deadlines = tracker_for(self.session).of(self.conversation, panel.now)
        panel.refresh(recompose=True)

    def action_follow_up(self) -> None:
        self._triage("follow_up")

    def action_promise_done(self) -> None:
        self._pick_promise("Mark done", done=True)

    def action_drop_promise(self) -> None:
        self._pick_promise("Drop", done=False)

    def on_deadline_row_settle(self, event: DeadlineRow.Settle) -> None:
        event.stop()
        self._settle(event.promise_id, event.done)

    def _pick_promise(self, title: str, *, done: bool) -> None:
        owed = self._panel().owed()
        if not owed:
            self.app.notify("No open promise or follow-up here.", markup=False)
        elif len(owed) == 1:
            self._settle(str(owed[0].promise_id), done)
        else:
            choices = [(str(item.promise_id), _choice_label(item)) for item in owed]
            self.app.push_screen(ChoicePrompt(title, choices), partial(self._picked, done))

    def _picked(self, done: bool, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            self._settle(picked.choice, done)

    def _settle(self, promise_id: str, done: bool) -> None:
        commands = self.session.commands
        try:
            if done:
                commands.promise_done(self.conversation.id, promise_id)
            else:
                commands.drop_promise(self.conversation.id, promise_id)
        except CommandError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        self.app.notify("Marked done." if done else "Dropped.", markup=False)
        self.reload_conversation()

    def _panel(self) -> DeadlinesPanel:
        return self.query_one(DeadlinesPanel)  # type: ignore[attr-defined,no-any-return]

    if TYPE_CHECKING:  # provided by the reader's triage mixin

        def _triage(self, action: str) -> None: ...

        def reload_conversation(self) -> None: ...


def _choice_label(item: DeadlineItem) -> str:
    due = item.due.strftime("%a %d %b %H:%M") if item.due else "after close"
    return f"{item.text[:60]} ({due})"
