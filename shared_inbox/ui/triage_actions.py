"""The triage commands of the list (and, pinned to one conversation, of the reader).

Each runs on `_targets()` through `_apply`, which records how to undo it; the screen that
mixes this in provides both, plus `session`, `_now` and `_undo`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from shared_inbox.domain.model import Conversation, Status
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.services.commands import CommandError
from shared_inbox.ui.prompts import ChoicePrompt, Picked, TextPrompt, snooze_presets
from shared_inbox.ui.views import Undo

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session


class TriageActions:
    """Assign, status, tags, snooze and undo, on the screen's targets."""

    session: Session
    _now: Callable[[], datetime]
    _undo: list[list[Undo]]

    if TYPE_CHECKING:
        app: App[object]

        def _targets(self) -> list[Conversation]: ...

        def _apply(self, command: Callable[[str], object]) -> None: ...

        def reload(self) -> None: ...

    def action_assign_me(self) -> None:
        me = self.session.config.team.me
        self._apply(lambda ref: self.session.commands.assign(ref, me))

    def action_unassign(self) -> None:
        self._apply(self.session.commands.unassign)

    def action_close(self) -> None:
        self._set_status(Status.CLOSED)

    def action_pending(self) -> None:
        self._set_status(Status.PENDING)

    def action_spam(self) -> None:
        self._set_status(Status.SPAM)

    def action_reopen(self) -> None:
        self._set_status(Status.ACTIVE)

    def action_assign_to(self) -> None:
        if not self._targets():
            return
        members = [(m.email, m.display()) for m in self.session.config.team.members]
        self.app.push_screen(ChoicePrompt("Assign to", members), self._assign_to)

    def _assign_to(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            assignee = picked.choice
            self._apply(lambda ref: self.session.commands.assign(ref, assignee))

    def action_tag(self) -> None:
        if self._targets():
            self.app.push_screen(TextPrompt("Tag with", placeholder="one word, e.g. billing"), self._tag)

    def _tag(self, tag: str | None) -> None:
        if tag is not None and tag.strip():
            self._apply(lambda ref: self.session.commands.tag(ref, tag))

    def action_untag(self) -> None:
        tags = sorted({tag for conv in self._targets() for tag in conv.state.tags})
        if not tags:
            self.app.notify("No tags to remove.", markup=False)
            return
        self.app.push_screen(ChoicePrompt("Remove tag", [(t, t) for t in tags]), self._untag)

    def _untag(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            tag = picked.choice
            self._apply(lambda ref: self.session.commands.untag(ref, tag))

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
        self._apply(lambda ref: self.session.commands.snooze(ref, until))

    def action_undo(self) -> None:
        if not self._undo:
            self.app.notify("Nothing to undo.", markup=False)
            return
        for step in self._undo.pop():
            try:
                step()
            except CommandError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
        self.reload()

    def _set_status(self, status: Status) -> None:
        self._apply(lambda ref: self.session.commands.set_status(ref, status.value))
