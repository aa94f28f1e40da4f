"""After a reply is queued: the promises found in it, each to track, re-time or drop.

Detection only proposes; nothing is recorded until the agent accepts a promise. Enter (or
the Track button) records the highlighted one, ``e`` types another due time for it, ``d``
drops it; the prompt closes when none is left, or with Escape, which tracks nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.promises import FollowUpError, PromiseCandidate, parse_follow_up
from shared_inbox.ui.dialogs.prompts import PROMPT_CSS, TextPrompt
from shared_inbox.ui.widgets.message_view import plain

__all__ = ["PromisePrompt", "due_label"]

ACTIONS = (("promise-accept", "Track", "accept"), ("promise-edit", "Change due", "edit"),
           ("promise-drop", "Drop", "drop"), ("promise-close", "Done", "cancel"))  # fmt: skip


def due_label(due: datetime) -> str:
    return f"{due:%a %d %b %H:%M}"


class PromisePrompt(ModalScreen[None]):
    """Lists the detected promises; `track` records one when it is accepted (ValueError: refused)."""

    DEFAULT_CSS = (
        """
    PromisePrompt { align: center middle; }
    PromisePrompt .prompt { width: 90; }
    PromisePrompt #promise-actions { height: auto; margin: 1 0 0 0; }
    PromisePrompt #promise-actions Button { width: auto; min-width: 8; margin: 0 1 0 0; }
    """
        + PROMPT_CSS
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Done"),
        Binding("e", "edit", "Change due time"),
        Binding("d", "drop", "Drop"),
    ]

    def __init__(
        self,
        track: Callable[[PromiseCandidate], object],
        candidates: Sequence[PromiseCandidate],
        *,
        now: datetime,
        calendar: BusinessCalendar,
    ) -> None:
        super().__init__()
        self.track = track
        self.candidates = list(candidates)
        self.now = now
        self.calendar = calendar

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            title = "Track the promises in this reply? Enter tracks, e changes the due time, d drops."
            yield Static(Content(title), classes="prompt-title")
            yield OptionList(id="promise-choices")
            with Horizontal(id="promise-actions"):
                for button_id, label, _ in ACTIONS:
                    yield Button(label, id=button_id, compact=True)

    def on_mount(self) -> None:
        self._show()
        self.query_one(OptionList).focus()

    def _show(self, highlight: int = 0) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(self._label(candidate)) for candidate in self.candidates])
        if self.candidates:
            options.highlighted = min(highlight, len(self.candidates) - 1)

    def _label(self, candidate: PromiseCandidate) -> Content:
        due = due_label(self.calendar.local(candidate.due))
        return Content.assemble((f"due {due}", "$accent"), "  ", plain(candidate.sentence))

    @property
    def _current(self) -> int | None:
        highlighted = self.query_one(OptionList).highlighted
        return highlighted if highlighted is not None and highlighted < len(self.candidates) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_accept()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for button_id, _, action in ACTIONS:
            if event.button.id == button_id:
                await self.run_action(action)

    def action_accept(self) -> None:
        index = self._current
        if index is None:
            return
        candidate = self.candidates[index]
        try:
            self.track(candidate)
        except ValueError as exc:  # CommandError, ReplyError
            self.notify(str(exc), title="Promise not tracked", severity="error", markup=False)
            return
        self.notify(
            f"Tracking the promise, due {due_label(self.calendar.local(candidate.due))}.", markup=False
        )
        self._remove(index)

    def action_edit(self) -> None:
        index = self._current
        if index is None:
            return
        prompt = TextPrompt("When is it due?", placeholder="e.g. friday 17:00, in 2 days, tomorrow 12:00")
        self.app.push_screen(prompt, lambda typed: self._retimed(index, typed))

    def _retimed(self, index: int, typed: str | None) -> None:
        if typed is None or not typed.strip() or index >= len(self.candidates):
            return
        try:
            due = parse_follow_up(typed, self.now, self.calendar)
        except FollowUpError as exc:
            self.notify(str(exc), title="Due time", severity="error", markup=False)
            return
        self.candidates[index] = replace(self.candidates[index], due=due.astimezone(self.calendar.zone))
        self._show(index)

    def action_drop(self) -> None:
        index = self._current
        if index is not None:
            self._remove(index)

    def _remove(self, index: int) -> None:
        del self.candidates[index]
        if not self.candidates:
            self.dismiss(None)
        else:
            self._show(index)

    def action_cancel(self) -> None:
        self.dismiss(None)
