"""The app's single open outbox: what the composer queues into and what the sender flushes.

Ctrl+Z cancels the last queued message while it is still held; the app's sender flushes due
mail in a thread, one round at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from shared_inbox.domain.model import Address
from shared_inbox.mail.compose import OutgoingAttachment, ReplyMode
from shared_inbox.outbox import Composer, Outbox, OutboxEntry, OutboxError, OutboxPolicy, open_sender
from shared_inbox.outbox.model import OutboxState
from shared_inbox.outbox.sender import RoundReport

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

CLOSE_WAIT_SECONDS = 15.0  # at quit, how long a running send round may finish before we stop waiting


class OutgoingMail:
    """The outbox of a running app, the message the agent may still undo, and the sender's single round.

    The outbox is opened on first use, so an app that never replies never touches it.
    """

    def __init__(self, session: Session, *, now: Callable[[], datetime]) -> None:
        self.session = session
        self.now = now
        self.policy = OutboxPolicy.from_config(session.config.outbox)
        self.last_queued: str | None = None
        self._reverts: list[Callable[[], object]] = []  # state changes the last send made, undone with it
        self._outbox: Outbox | None = None
        self._flushing = threading.Lock()

    @property
    def opened(self) -> bool:
        """Whether the outbox has been opened (reading it would open it)."""
        return self._outbox is not None

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox.open(self.session.store)
        return self._outbox

    def composer(self) -> Composer:
        # Quoting uses the cached original only: fetching it here would block the screen.
        return Composer(self.session.config, self.session.inbox, self.outbox, policy=self.policy)

    def queue(
        self,
        conversation_id: str,
        body: str,
        *,
        mode: ReplyMode,
        to: Sequence[Address],
        cc: Sequence[Address] = (),
        attachments: Sequence[OutgoingAttachment] = (),
        send_at: datetime | None = None,
    ) -> OutboxEntry:
        """Queue a reply or forward to exactly `to` and `cc`; it becomes the one Ctrl+Z takes back.

        Without `send_at` it is held for the undo window, otherwise until that time.
        """
        entry = self.composer().reply(
            conversation_id,
            body,
            now=self.now(),
            mode=mode,
            recipients=(to, cc),
            attachments=attachments,
            send_at=send_at,
        )
        self.last_queued = entry.id
        self._reverts = []
        return entry

    def queue_new(
        self,
        to: Sequence[Address],
        subject: str,
        body: str,
        *,
        cc: Sequence[Address] = (),
        attachments: Sequence[OutgoingAttachment] = (),
        send_at: datetime | None = None,
    ) -> OutboxEntry:
        """Queue the first message of a new conversation; Ctrl+Z takes it back like a reply."""
        entry = self.composer().new_conversation(
            to, subject, body, now=self.now(), cc=cc, attachments=attachments, send_at=send_at
        )
        self.last_queued = entry.id
        self._reverts = []
        return entry

    def undo_last(self) -> str:
        """Cancel the last queued message if it has not left yet; the sentence says what happened."""
        if self.last_queued is None:
            return "Nothing to undo."
        try:
            entry = self.outbox.get(self.last_queued)
        except OutboxError:
            self.last_queued = None
            return "Too late to undo: the reply has left the outbox."
        if entry.state is not OutboxState.HELD or entry.release_at <= self.now():
            return "Too late to undo: the reply is on its way."
        self.outbox.cancel(entry.id)
        self.last_queued = None
        reverts, self._reverts = self._reverts, []
        for revert in reverts:
            try:
                revert()
            except ValueError:  # the conversation changed meanwhile; the send itself is undone regardless
                continue
        return f"Undone: {entry.subject} was not sent."

    def on_undo(self, reverts: list[Callable[[], object]]) -> None:
        """State changes made with the last queued message, taken back if it is undone."""
        self._reverts = list(reverts)

    def add_undo(self, reverts: list[Callable[[], object]]) -> None:
        """More changes made with the last queued message; being later, they are taken back first."""
        self._reverts[:0] = reverts

    def has_due(self) -> bool:
        """Whether a message waits to go; messages left over from an earlier run count too."""
        wake = self.outbox.next_wake()
        return wake is not None and wake <= self.now()

    def flush(self, on_messages: Callable[[list[str]], None]) -> RoundReport | None:
        """Send what is due (blocking: call it from a thread); None if a round is already running."""
        if not self._flushing.acquire(blocking=False):
            return None
        try:
            sender = open_sender(
                self.session.config,
                self.session.store,
                self.outbox,
                policy=self.policy,
                on_messages=on_messages,
            )
            return sender.flush(self.now())
        finally:
            self._flushing.release()

    def close(self) -> None:
        """Close the outbox once no round is using it; a round stuck on the network keeps it open."""
        if self._outbox is None or not self._flushing.acquire(timeout=CLOSE_WAIT_SECONDS):
            return
        try:
            self._outbox.close()
            self._outbox = None
        finally:
            self._flushing.release()
