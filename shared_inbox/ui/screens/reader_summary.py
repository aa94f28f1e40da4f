"""The conversation summary inside the reader, and escalating a case with it.

`S` shows the summary at the top of the thread (and hides it again); it is built in a thread
worker from the cached bodies and posted back, so a long thread never stalls the screen. `E`
escalates: the summary goes into an internal note mentioning the teammate picked (through the
same command as `n`, so the list's undo key takes it back), or into a forward to another address,
shown in the composer before it goes. Mail text is shown as plain `Content`, never as markup.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from shared_inbox.domain.model import Conversation
from shared_inbox.domain.notes import MAX_NOTE_CHARS
from shared_inbox.domain.summary import Summary
from shared_inbox.services.commands import CommandError
from shared_inbox.services.replies import Replies
from shared_inbox.services.summary import summary_of
from shared_inbox.services.summary_text import summary_text
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked
from shared_inbox.ui.keys import shown_key
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.inbox_triage import UndoStep

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session
    from shared_inbox.ui.screens.reader_triage import ListTriage

SUMMARY_ID = "reader-summary"
FORWARD = "forward"
BUILDING = "Summarising…"


class SummaryPanel(Static):
    """The summary above the thread; hidden until asked for."""

    DEFAULT_CSS = """
    SummaryPanel {
        height: auto;
        margin: 1 0 0 0;
        padding: 0 1;
        border-left: thick $accent;
        background: $boost;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id=SUMMARY_ID, markup=False)
        self.display = False


class ReaderSummary:
    """Mixed into the reader screen, which provides the session, the conversation and `query_one`."""

    session: Session
    conversation: Conversation
    zone: tzinfo | None
    app: App[object]
    list_triage: ListTriage | None
    summary_shown: bool = False
    ESCALATION_PREFIX: ClassVar[str] = "Escalated to"

    class SummaryReady(Message):
        def __init__(self, conversation_id: str, summary: Summary) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.summary = summary

    def summary_now(self) -> datetime:
        clock = getattr(self.app, "current_time", None)
        return clock() if callable(clock) else datetime.now(UTC)

    @property
    def summary_panel(self) -> SummaryPanel:
        return self.query_one(f"#{SUMMARY_ID}", SummaryPanel)  # type: ignore[attr-defined,no-any-return]

    def action_toggle_summary(self) -> None:
        self.summary_shown = not self.summary_shown
        if self.summary_shown:
            self.summary_panel.update(BUILDING)
        self.show_summary()

    def show_summary(self) -> None:
        """Draw the panel as `summary_shown` says, building the summary afresh when it is shown."""
        panel = self.summary_panel
        panel.display = self.summary_shown
        if self.summary_shown:
            self._build_summary(self.conversation, self.summary_now())

    @work(thread=True, exclusive=True, group="reader-summary", exit_on_error=False)
    def _build_summary(self, conv: Conversation, now: datetime) -> None:
        summary = summary_of(self.session, conv, now)
        self.post_message(self.SummaryReady(conv.id, summary))  # type: ignore[attr-defined]

    def on_reader_summary_summary_ready(self, event: SummaryReady) -> None:
        if event.conversation_id != self.conversation.id or not self.summary_shown:
            return  # the agent moved on, or hid it meanwhile
        panel = self.summary_panel
        heading = Content("Summary").stylize("bold")
        panel.update(
            Content.assemble(heading, "  (S hides it)\n", Content(summary_text(event.summary, self.zone)))
        )
        panel.scroll_visible(animate=False)

    # -- escalation --------------------------------------------------------------------

    def action_escalate(self) -> None:
        me = self.session.config.team.me
        choices = [
            (member.email, f"Internal note for {member.display()}")
            for member in self.session.config.team.members
            if member.email != me
        ]
        choices.append((FORWARD, "Forward to another address…"))
        self.app.push_screen(ChoicePrompt("Escalate with the summary", choices), self._escalate)

    def _escalate(self, picked: Picked | None) -> None:
        if picked is None or picked.choice is None:
            return
        summary = summary_of(self.session, self.conversation, self.summary_now())
        subject = self.conversation.subject or "(no subject)"
        text = summary_text(summary, self.zone, subject=subject)
        if picked.choice == FORWARD:
            self._forward_with(text)
        else:
            self._note_for(picked.choice, text)

    def _note_for(self, email: str, text: str) -> None:
        member = next((m for m in self.session.config.team.members if m.email == email), None)
        name = member.name if member is not None and member.name else email
        head = f"@{email} escalated to you.\n\n"
        body = head + text
        if len(body) > MAX_NOTE_CHARS:
            body = body[: MAX_NOTE_CHARS - 1] + "\u2026"
        commands, conv_id = self.session.commands, self.conversation.id
        try:
            event = commands.add_note(conv_id, body, [email])
        except CommandError as exc:
            self.app.notify(str(exc), title="Escalate", severity="error", markup=False)
            return
        note_id = str(event.data["note"])
        what = f"{self.ESCALATION_PREFIX} {name} in an internal note"
        hint = ""
        if self.list_triage is not None:
            self.list_triage.remember_undo(UndoStep(what, [lambda: commands.delete_note(conv_id, note_id)]))
            hint = f"  ·  {shown_key(self.app, self.session.config.keys, 'undo')} undoes"
        self.app.notify(f"{what}{hint}", markup=False)
        self.relayout_notes()  # type: ignore[attr-defined]

    def _forward_with(self, text: str) -> None:
        replies = getattr(self.app, "replies", None)
        if not isinstance(replies, Replies):
            self.app.notify("Forwarding is not available here.", severity="warning", markup=False)
            return
        self.app.push_screen(
            ComposerScreen(self.session, replies, self.conversation, mode="forward", lead=text)
        )
