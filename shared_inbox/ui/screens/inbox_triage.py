"""The triage commands of the list (and, pinned to one conversation, of the reader).

Each runs on `_targets()` through `_apply`, which records how to undo it and says what it did
(a change made without a word is a change the agent cannot check); the screen that mixes this
in provides both, plus `session`, `_now` and `_undo`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size

from shared_inbox.display.text import inert
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.services.commands import CommandError
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked, TextPrompt, snooze_presets
from shared_inbox.ui.keys import shown_key
from shared_inbox.ui.views import Undo

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session


SUBJECT_SHOWN = 40  # cells of a subject quoted in a notification


def which(convs: Sequence[Conversation]) -> str:
    """The conversations a change touched, as a notification names them: a subject or a count."""
    if len(convs) != 1:
        return f"{len(convs)} conversations"
    subject = inert(convs[0].subject or "(no subject)")
    if cell_len(subject) > SUBJECT_SHOWN:
        subject = set_cell_size(subject, SUBJECT_SHOWN - 1) + "…"
    return f"“{subject}”"


@dataclass(frozen=True)
class UndoStep:
    """One change as the agent saw it announced, and the commands that take it back."""

    what: str
    commands: list[Undo]


class TriageActions:
    """Assign, status, tags, snooze and undo, on the screen's targets."""

    session: Session
    _now: Callable[[], datetime]
    _undo: list[UndoStep]

    if TYPE_CHECKING:
        app: App[object]

        def _targets(self) -> list[Conversation]: ...

        def _apply(self, command: Callable[[str], object], done: str) -> None: ...

        def reload(self) -> None: ...

    def tell(self, what: str, *, undo: str | None = "undo") -> None:
        """Say what a key just did, with the key (as the agent has it bound) that takes it back."""
        hint = f"  ·  {shown_key(self.app, self.session.config.keys, undo)} undoes" if undo else ""
        self.app.notify(f"{what}{hint}", markup=False)

    def action_assign_me(self) -> None:
        me = self.session.config.team.me
        self._apply(lambda ref: self.session.commands.assign(ref, me), "Assigned to you:")

    def action_unassign(self) -> None:
        self._apply(self.session.commands.unassign, "Unassigned:")

    def action_close(self) -> None:
        self._set_status(Status.CLOSED, "Closed:")

    def action_pending(self) -> None:
        self._set_status(Status.PENDING, "Pending (waiting on the customer):")

    def action_spam(self) -> None:
        self._set_status(Status.SPAM, "Marked as spam:")

    def action_reopen(self) -> None:
        self._set_status(Status.ACTIVE, "Reopened:")

    def action_assign_to(self) -> None:
        if not self._targets():
            return
        members = [(m.email, m.display()) for m in self.session.config.team.members]
        self.app.push_screen(ChoicePrompt("Assign to", members), self._assign_to)

    def _assign_to(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            assignee = picked.choice
            name = assignee.partition("@")[0]
            self._apply(lambda ref: self.session.commands.assign(ref, assignee), f"Assigned to {name}:")

    def action_tag(self) -> None:
        if self._targets():
            self.app.push_screen(TextPrompt("Tag with", placeholder="one word, e.g. billing"), self._tag)

    def _tag(self, tag: str | None) -> None:
        if tag is not None and tag.strip():
            self._apply(lambda ref: self.session.commands.tag(ref, tag), f"Tagged {inert(tag)}:")

    def action_untag(self) -> None:
        tags = sorted({tag for conv in self._targets() for tag in conv.state.tags})
        if not tags:
            self.app.notify("No tags to remove.", markup=False)
            return
        self.app.push_screen(ChoicePrompt("Remove tag", [(t, t) for t in tags]), self._untag)

    def _untag(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            tag = picked.choice
            self._apply(lambda ref: self.session.commands.untag(ref, tag), f"Removed tag {inert(tag)} from")

    def action_snooze(self) -> None:
        if not self._targets():
            return
        presets = snooze_presets(self._now())
        prompt = ChoicePrompt(
            "Snooze until",
            [(key, label) for key, label, _ in presets],
            typed_hint="or type a time: in 2 days, friday 14:00, 2024-12-03 9:00",
        )
        self.app.push_screen(prompt, partial(self._snooze, {key: at for key, _, at in presets}))

    def _snooze(self, presets: dict[str, datetime], picked: Picked | None) -> None:
        if picked is None:
            return
        if picked.choice is not None:
            until = presets[picked.choice]
        else:
            try:
                until = parse_follow_up(picked.text, self._now().astimezone())
            except FollowUpError as exc:
                self.app.notify(str(exc), title="Snooze", severity="error", markup=False)
                return
        shown = until.astimezone().strftime("%a %d %b %H:%M")
        self._apply(lambda ref: self.session.commands.snooze(ref, until), f"Snoozed until {shown}:")

    def action_undo(self) -> None:
        if not self._undo:
            self.app.notify("Nothing to undo.", markup=False)
            return
        last = self._undo.pop()
        for step in last.commands:
            try:
                step()
            except CommandError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
        self.tell(f"Undone — {last.what}", undo=None)
        self.reload()

    def _set_status(self, status: Status, done: str) -> None:
        self._apply(lambda ref: self.session.commands.set_status(ref, status.value), done)
