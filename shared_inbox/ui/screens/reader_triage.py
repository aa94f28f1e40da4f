"""Triage keys inside the reader: the same actions as in the list, on the open conversation.

The list screen owns triage (prompts, undo history, the order of the view); it hands itself
down to the reader it opens (a :class:`ListTriage`), and the reader hands each action to it,
pinned to the conversation on screen. After a change that takes the
conversation off the agent's plate (close, pending, spam, snooze) the reader moves on to the
next conversation of the list, stays, or goes back, as `[interface] after_action` says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from shared_inbox.config.model import AfterAction
from shared_inbox.domain.model import Conversation
from shared_inbox.ui.inbox_changes import InboxChange, follow_inbox
from shared_inbox.ui.screens.inbox_triage import UndoStep

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session

ADVANCING = frozenset({"close", "pending", "spam", "snooze"})


class ListTriage(Protocol):
    """What the reader needs from the list that opened it."""

    def run_pinned(self, conv: Conversation, action: str, done: Callable[[], None]) -> None: ...

    def next_after(self, conv_id: str) -> Conversation | None: ...

    def action_undo(self) -> None: ...

    def remember_undo(self, step: UndoStep) -> None: ...


class ReaderTriage:
    """Mixed into the reader screen, which provides `show_conversation` and `refresh_header`."""

    session: Session
    conversation: Conversation
    app: App[object]
    list_triage: ListTriage | None  # None: opened without a list, so no triage

    def _triage(self, action: str) -> None:
        screen = self.list_triage
        if screen is None:
            self.app.notify("Triage needs the conversation list.", severity="warning", markup=False)
            return
        screen.run_pinned(self.conversation, action, lambda: self._after_triage(action))

    def _after_triage(self, action: str) -> None:
        mode = self.session.config.interface.after_action
        if action not in ADVANCING or mode is AfterAction.STAY:
            self.reload_conversation()
            return
        screen = self.list_triage
        following = screen.next_after(self.conversation.id) if screen is not None else None
        if mode is AfterAction.LIST or following is None:
            if following is None and mode is AfterAction.NEXT:
                self.app.notify("That was the last conversation in this view.", markup=False)
            self.dismiss(None)  # type: ignore[attr-defined]
            return
        self.show_conversation(following)  # type: ignore[attr-defined]

    def follow_inbox_changes(self) -> None:
        """Redraw when a change touches the open conversation (called once the screen is mounted)."""
        follow_inbox(self, self._inbox_changed)  # type: ignore[arg-type]

    def _inbox_changed(self, change: InboxChange) -> None:
        if self.taken_down:  # type: ignore[attr-defined]
            return
        if self.session.inbox.touches(change, self.conversation.id):
            self.reload_conversation()

    def reload_conversation(self) -> None:
        """Show the open conversation as the inbox has it now: new messages, notes and state."""
        current = self.session.inbox.conversation(self.conversation.id)
        if current is None:
            self.dismiss(None)  # type: ignore[attr-defined]
            return
        if current.message_ids != self.conversation.message_ids:
            self.show_conversation(current)  # type: ignore[attr-defined]
        else:
            self.conversation = current
            self.refresh_header()  # type: ignore[attr-defined]
            self.refresh_notes()  # type: ignore[attr-defined]  # a teammate's note, or one taken back
            self.show_summary()  # type: ignore[attr-defined]

    def action_assign_me(self) -> None:
        self._triage("assign_me")

    def action_assign_to(self) -> None:
        self._triage("assign_to")

    def action_unassign(self) -> None:
        self._triage("unassign")

    def action_close(self) -> None:
        self._triage("close")

    def action_pending(self) -> None:
        self._triage("pending")

    def action_spam(self) -> None:
        self._triage("spam")

    def action_reopen(self) -> None:
        self._triage("reopen")

    def action_tag(self) -> None:
        self._triage("tag")

    def action_untag(self) -> None:
        self._triage("untag")

    def action_snooze(self) -> None:
        self._triage("snooze")

    def action_toggle_unread(self) -> None:
        self._triage("toggle_unread")

    def action_undo(self) -> None:
        screen = self.list_triage
        if screen is not None:
            screen.action_undo()
            self.reload_conversation()
            self.refresh_customer()  # type: ignore[attr-defined]  # an undone link shows at once
