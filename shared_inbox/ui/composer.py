"""Writing a reply, reply-all or forward inside the TUI, and taking it back within the undo window.

`OutgoingMail` is the app's single open outbox: the composer queues into it, Ctrl+Z cancels the
last reply while it is still held, and the app's sender flushes it in a thread. `ComposerScreen`
is the form itself; its text is saved as a draft while typing, so closing it loses nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static, TextArea

from shared_inbox.domain.model import Address, Conversation, Status
from shared_inbox.mail.compose import ComposeError, ReplyMode, compose_reply, forward_subject, reply_subject
from shared_inbox.outbox import Composer, Outbox, OutboxEntry, OutboxError, OutboxPolicy, open_sender
from shared_inbox.outbox.model import OutboxState
from shared_inbox.outbox.sender import RoundReport
from shared_inbox.ui.conversation_list import inert
from shared_inbox.ui.help import describe_keys
from shared_inbox.ui.keys import bindings_for, effective_keys

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

DRAFT_SAVE_DELAY = 0.5  # seconds of quiet typing before the draft is written to the store
CLOSE_WAIT_SECONDS = 15.0  # at quit, how long a running send round may finish before we stop waiting
MODE_TITLES: dict[ReplyMode, str] = {"reply": "Reply", "reply_all": "Reply to all", "forward": "Forward"}


def draft_key(conversation_id: str) -> str:
    """The store setting holding the unsent text for one conversation."""
    return f"draft:{conversation_id}"


def parse_addresses(text: str) -> list[Address]:
    """Comma-separated addresses as typed by the agent; OutboxError names the first unusable one."""
    found: list[Address] = []
    for name, email in getaddresses([text]):
        if not name and not email:
            continue
        if "@" not in email:
            raise OutboxError(f"{email or name!r} is not an email address.")
        found.append(Address(name.strip(), email.strip().lower()))
    return found


def format_addresses(addresses: Sequence[Address]) -> str:
    return ", ".join(address.display() for address in addresses)


class OutgoingMail:
    """The outbox of a running app, the reply the agent may still undo, and the sender's single round.

    The outbox is opened on first use, so an app that never replies never touches it.
    """

    def __init__(self, session: Session, *, now: Callable[[], datetime]) -> None:
        self.session = session
        self.now = now
        self.policy = OutboxPolicy.from_config(session.config.outbox)
        self.last_queued: str | None = None
        self._outbox: Outbox | None = None
        self._flushing = threading.Lock()

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox.open(self.session.store)
        return self._outbox

    def composer(self) -> Composer:
        # Quoting uses the cached original only: fetching it here would block the screen.
        return Composer(self.session.config, self.session.inbox, self.outbox, policy=self.policy)

    def queue(
        self, conversation_id: str, body: str, *, mode: ReplyMode, to: Sequence[Address]
    ) -> OutboxEntry:
        """Queue a reply held for the undo window; it becomes the one Ctrl+Z takes back."""
        entry = self.composer().reply(conversation_id, body, now=self.now(), mode=mode, to=to)
        self.last_queued = entry.id
        return entry

    def undo_last(self) -> str:
        """Cancel the last queued reply if it has not left yet; the sentence says what happened."""
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
        return f"Undone: {entry.subject} was not sent."

    def has_due(self) -> bool:
        """Whether a reply waits to go; replies left over from an earlier run count too."""
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


def preview(composer: Composer, conversation: Conversation, mode: ReplyMode) -> EmailMessage | None:
    """The reply as it would be built with an empty body: the source of the prefilled To, Cc and Subject.

    Building it the same way the outbox will means the form never promises recipients that the
    sending layer would drop (the team's own addresses, duplicates, unusable ones).
    """
    config = composer.config
    try:
        _, original = composer.target(conversation.id)
    except OutboxError:
        return None
    if mode == "forward":
        message = EmailMessage()
        message["Subject"] = forward_subject(original.subject)
        return message
    try:
        return compose_reply(
            original,
            "",
            body="",
            agent=config.me,
            account=config.account,
            mode=mode,
            conversation_id=conversation.id,
            team_addresses=config.our_addresses,
        )
    except ComposeError:
        message = EmailMessage()
        message["Subject"] = reply_subject(original.subject)
        return message


def header_addresses(message: EmailMessage | None, name: str) -> list[Address]:
    if message is None:
        return []
    return [Address(n, e.lower()) for n, e in getaddresses([str(v) for v in message.get_all(name, [])])]


class ComposerScreen(Screen[None]):
    """The reply form: recipients, subject, body. Ctrl+S queues it; Esc closes it, keeping the draft."""

    DEFAULT_CSS = """
    ComposerScreen #composer-title { padding: 0 1; text-style: bold; }
    ComposerScreen #composer-headers { height: auto; }
    ComposerScreen .composer-field { height: 3; }
    ComposerScreen .composer-field Label { width: 5; padding: 1 0 0 1; }
    ComposerScreen .composer-field Input { width: 1fr; }
    ComposerScreen #composer-body { height: 1fr; }
    """
    # Defaults; the app's keymap applies the user's overrides by binding id.
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("composer", {})]

    def __init__(
        self,
        session: Session,
        outgoing: OutgoingMail,
        conversation: Conversation,
        *,
        mode: ReplyMode = "reply",
    ) -> None:
        super().__init__()
        self.session = session
        self.outgoing = outgoing
        self.conversation = conversation
        self.mode: ReplyMode = mode
        self._save_timer: Timer | None = None
        message = preview(outgoing.composer(), conversation, mode)
        self.prefilled_to = header_addresses(message, "To")
        self.prefilled_cc = header_addresses(message, "Cc")
        self.subject = str(message["Subject"]) if message is not None else ""

    def compose(self) -> ComposeResult:
        title = f"{MODE_TITLES[self.mode]}: {inert(self.subject) or '(no subject)'}"
        yield Static(Content(title), id="composer-title", markup=False)
        with Vertical(id="composer-headers"):
            with Horizontal(classes="composer-field"):
                yield Label("To ")
                yield Input(format_addresses(self.prefilled_to), id="composer-to")
            if self.mode == "reply_all":
                with Horizontal(classes="composer-field"):
                    yield Label("Cc ")
                    yield Input(format_addresses(self.prefilled_cc), id="composer-cc")
        draft = self.session.store.get_setting(draft_key(self.conversation.id))
        yield TextArea(draft if isinstance(draft, str) else "", id="composer-body")
        yield Footer()

    def on_mount(self) -> None:
        target = "#composer-to" if self.mode == "forward" else "#composer-body"
        self.query_one(target).focus()

    @property
    def body(self) -> str:
        return self.query_one("#composer-body", TextArea).text

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_draft)

    def save_draft(self) -> None:
        """Write the body to the store now (an empty body removes the draft)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self.session.store.set_setting(draft_key(self.conversation.id), self.body or None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return hasattr(self, f"action_{action}")

    def action_close_composer(self) -> None:
        self.save_draft()
        note = "Not sent; the draft is kept." if self.body.strip() else "Not sent."
        self.notify(note, markup=False)
        self.dismiss(None)

    def action_send(self) -> None:
        if not self.body.strip():
            self.notify("The reply is empty.", severity="warning", markup=False)
            return
        try:
            extra = self._extra_recipients()
            self.outgoing.queue(self.conversation.id, self.body, mode=self.mode, to=extra)
        except (OutboxError, ComposeError) as exc:
            self.notify(str(exc), title="Not queued", severity="error", markup=False)
            return
        self.session.store.set_setting(draft_key(self.conversation.id), None)
        if self.mode != "forward":
            self._answered()
        if self._save_timer is not None:
            self._save_timer.stop()
        seconds = int(self.outgoing.policy.undo_window.total_seconds())
        undo_key = describe_keys(effective_keys(self.session.config.keys)["undo_send"])
        self.app.notify(f"Reply queued; undo with {undo_key} within {seconds} s", markup=False)
        self.dismiss(None)

    def _answered(self) -> None:
        """A reply hands the conversation to the customer (pending) and to its author if nobody had it."""
        conv = self.session.inbox.conversation(self.conversation.id)
        if conv is None:
            return
        commands = self.session.commands
        if conv.state.assignee is None:
            commands.assign(conv.id, self.session.config.team.me)
        if conv.state.status is Status.ACTIVE:
            commands.set_status(conv.id, Status.PENDING.value)

    def _extra_recipients(self) -> list[Address]:
        """The addresses to pass on: all of To for a forward; for a reply, those the agent added.

        A reply always goes to the people the original names, so removing one of them, or adding
        to Cc, is refused rather than silently ignored.
        """
        to = parse_addresses(self.query_one("#composer-to", Input).value)
        if self.mode == "forward":
            if not to:
                raise OutboxError("Write the address to forward to.")
            return to
        given = {a.email for a in to}
        missing = [a.email for a in self.prefilled_to if a.email not in given]
        if self.mode == "reply_all":
            cc = parse_addresses(self.query_one("#composer-cc", Input).value)
            cc_given = {a.email for a in cc}
            missing += [a.email for a in self.prefilled_cc if a.email not in cc_given]
            if cc_given - {a.email for a in self.prefilled_cc}:
                raise OutboxError("Adding to Cc is not possible here; add the address to To instead.")
        if missing:
            raise OutboxError(
                f"A reply always goes to {', '.join(missing)}; forward (f) to choose recipients freely."
            )
        prefilled = {a.email for a in (*self.prefilled_to, *self.prefilled_cc)}
        return [a for a in to if a.email not in prefilled]
