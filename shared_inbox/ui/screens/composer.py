"""Writing a reply, reply-all, forward or new conversation inside the TUI.

`ComposerScreen` is the form: To and Cc (exactly who receives it), a subject for a new
conversation, attachments, the text. Everything typed is saved as a draft while typing, so
closing the form loses nothing. Ctrl+S queues the message for the undo window; send-later
queues it until a chosen time. The reply use case itself (recipients, From, the changes a
reply makes, promises, undo) is shared_inbox.services.replies; the form only gathers what
the agent wrote and shows what happened. Canned replies and the promise prompt after
sending live in shared_inbox.ui.screens.composer_canned.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static, TextArea

from shared_inbox.display.text import inert
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.presence import Presence
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.mail.attachments import human_size
from shared_inbox.mail.compose import FORWARD_DIVIDER, OutgoingAttachment
from shared_inbox.services.replies import ComposeMode, Queued, Replies, ReplyDraft, ReplyError
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked, TextPrompt, snooze_presets
from shared_inbox.ui.keys import bindings_for, effective_keys
from shared_inbox.ui.screens.composer_attachments import (
    MAX_ATTACHMENT_BYTES,
    AttachmentError,
    load_attachment,
)
from shared_inbox.ui.screens.composer_canned import CannedComposing
from shared_inbox.ui.screens.composer_editor import edit_text
from shared_inbox.ui.screens.composer_recipients import (
    AddressSuggester,
    format_addresses,
    known_addresses,
    parse_addresses,
)
from shared_inbox.ui.screens.composer_state import NEW_CONVERSATION_DRAFT, Draft, draft_key
from shared_inbox.ui.screens.composer_traffic import ReplyGuard
from shared_inbox.ui.screens.help import describe_keys
from shared_inbox.ui.widgets.composer_thread import ThreadPanel
from shared_inbox.ui.widgets.presence_badges import report_activity
from shared_inbox.ui.widgets.steady_footer import SteadyFooter

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

__all__ = [
    "ComposeMode",
    "ComposerScreen",
    "draft_key",
    "format_addresses",
    "parse_addresses",
]

DRAFT_SAVE_DELAY = 0.5  # seconds of quiet typing before the draft is written to the store
MODE_TITLES: dict[ComposeMode, str] = {
    "reply": "Reply",
    "reply_all": "Reply to all",
    "forward": "Forward",
    "new": "New conversation",
}
SEND_LATER_HINT = "or type a time: in 2 hours, tomorrow 8:00, friday 14:00"
BUTTONS = (
    ("composer-send", "Send", "send"),
    ("composer-send-later", "Send later", "send_later"),
    ("composer-canned", "Canned", "insert_canned"),
    ("composer-attach", "Attach", "attach"),
    ("composer-editor", "Editor", "external_editor"),
    ("composer-discard", "Discard", "discard_draft"),
    ("composer-close", "Close", "close_composer"),
)


class ComposerScreen(CannedComposing):
    """The message form. Ctrl+S queues it; Esc closes it, keeping the draft."""

    DEFAULT_CSS = """
    ComposerScreen #composer-title { padding: 0 1; text-style: bold; }
    ComposerScreen #composer-headers { height: auto; }
    ComposerScreen .composer-field { height: 3; }
    ComposerScreen .composer-field Label { width: 9; padding: 1 0 0 1; }
    ComposerScreen .composer-field Input { width: 1fr; }
    ComposerScreen #composer-attachments { height: auto; max-height: 6; padding: 0 1; }
    ComposerScreen .composer-attachment { height: 1; }
    ComposerScreen .composer-attachment Static { width: 1fr; color: $text-muted; }
    ComposerScreen #composer-body { height: 1fr; }
    ComposerScreen #composer-actions { height: auto; background: $panel; }
    ComposerScreen #composer-actions Button { width: auto; min-width: 8; margin: 0 1 0 0; }
    ComposerScreen .composer-attachment Button { width: auto; min-width: 8; }
    """
    # Defaults; the app's keymap applies the user's overrides by binding id.
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("composer", {})]

    def __init__(
        self,
        session: Session,
        replies: Replies,
        conversation: Conversation | None,
        *,
        mode: ComposeMode = "reply",
        restored: ReplyDraft | None = None,
        lead: str = "",
    ) -> None:
        """`restored` brings back a message whose send was undone: its text, recipients and attachments.

        `lead` is text to start a forward with, above the message it carries (an escalation's summary).
        """
        super().__init__()
        if (conversation is None) != (mode == "new"):
            raise ValueError("a new conversation has no conversation to answer; every other mode needs one")
        self.session = session
        self.replies = replies
        self.conversation = conversation
        self.mode: ComposeMode = mode
        self.restored = restored
        self.lead = lead
        self.attachments: list[OutgoingAttachment] = list(restored.attachments) if restored else []
        self.canned_inserted = list(restored.canned) if restored else []
        self.shows_original = restored.shows_original if restored else False  # a forward's text is shown
        self._save_timer: Timer | None = None
        shown = replies.preview(conversation.id, mode) if conversation is not None and mode != "new" else None
        self.prefilled = Draft(
            mode=mode,
            to=format_addresses(shown.to) if shown else "",
            cc=format_addresses(shown.cc) if shown else "",
        )
        self.subject = shown.subject if shown else ""
        self.people = known_addresses(session.inbox.conversations(), excluded=session.config.our_addresses)
        guarded = conversation.id if conversation is not None and mode in ("reply", "reply_all") else None
        self.guard = ReplyGuard(session, guarded, replies.now)

    @property
    def draft_id(self) -> str:
        return draft_key(self.conversation.id if self.conversation is not None else NEW_CONVERSATION_DRAFT)

    def compose(self) -> ComposeResult:
        title = MODE_TITLES[self.mode]
        if self.mode != "new":
            title = f"{title}: {inert(self.subject) or '(no subject)'}"
        yield Static(Content(title), id="composer-title", markup=False)
        saved = self._restored_fields() or Draft.from_setting(self.session.store.get_setting(self.draft_id))
        fields = saved if saved is not None and saved.mode == self.mode else self.prefilled
        with Vertical(id="composer-headers"):
            yield from self._field("To", "composer-to", fields.to, suggest=True)
            yield from self._field("Cc", "composer-cc", fields.cc, suggest=True)
            if self.mode == "new":
                yield from self._field("Subject", "composer-subject", fields.subject, suggest=False)
        if self.conversation is not None:
            yield ThreadPanel(self.replies, self.conversation.id)
        yield Vertical(id="composer-attachments")
        yield TextArea(saved.body if saved is not None else "", id="composer-body")
        with Horizontal(id="composer-actions"):
            for button_id, label, _ in BUTTONS:
                yield Button(label, id=button_id, compact=True)
        yield SteadyFooter()

    def _restored_fields(self) -> Draft | None:
        restored = self.restored
        if restored is None:
            return None
        return Draft(
            mode=self.mode,
            body=restored.body,
            to=format_addresses(restored.to or ()),
            cc=format_addresses(restored.cc),
            subject=restored.subject,
        )

    def _field(self, label: str, field_id: str, value: str, *, suggest: bool) -> ComposeResult:
        with Horizontal(classes="composer-field"):
            yield Label(label)
            suggester = AddressSuggester(self.people) if suggest else None
            yield Input(value, id=field_id, suggester=suggester)

    def on_mount(self) -> None:
        target = "#composer-body" if self.mode in ("reply", "reply_all") else "#composer-to"
        self.query_one(target).focus()
        if self.attachments:
            self._show_attachments()
        if self.restored is not None:
            self.save_draft()
        elif self.mode == "forward":
            self._show_forwarded()
            body = self.query_one("#composer-body", TextArea)
            if self.lead and not body.text.strip():  # the original is still being fetched
                body.load_text(self.lead)
        self.guard.offer_held(self)
        if self.conversation is not None and self.conversation.message_ids:
            report_activity(self, Presence(self.conversation.message_ids[0], "replying"))

    def on_unmount(self) -> None:
        report_activity(self, None)

    def _show_forwarded(self) -> None:
        """A forward shows the customer's message it carries, to read and edit before sending."""
        body = self.query_one("#composer-body", TextArea)
        if FORWARD_DIVIDER in body.text:  # a saved draft holds it already
            self.shows_original = True
            return
        if body.text.strip() not in ("", self.lead.strip()) or self.conversation is None:
            return
        text = self.replies.forward_text(self.conversation.id)
        if text is None:
            self._fetch_forwarded(self.conversation.id)
            return
        text = f"{self.lead}\n\n{text}" if self.lead else text
        body.load_text(text)
        body.move_cursor((0, 0))
        self.prefilled = replace(self.prefilled, body=text)
        self.shows_original = True

    @work(thread=True, exclusive=True, group="forwarded", exit_on_error=False)
    def _fetch_forwarded(self, conversation_id: str) -> None:
        """The original is not in the store: fetch it off the UI thread, then show it."""
        self.replies.fetch_original(conversation_id)
        self.app.call_from_thread(self._show_forwarded_fetched)

    def _show_forwarded_fetched(self) -> None:
        conversation = self.conversation
        if self.is_attached and conversation is not None and self.replies.forward_text(conversation.id):
            self._show_forwarded()

    # -- the draft ------------------------------------------------------------------

    @property
    def body(self) -> str:
        return self.query_one("#composer-body", TextArea).text

    def _typed(self) -> Draft:
        subject = self.query_one("#composer-subject", Input).value if self.mode == "new" else ""
        return Draft(
            mode=self.mode,
            body=self.body,
            to=self.query_one("#composer-to", Input).value,
            cc=self.query_one("#composer-cc", Input).value,
            subject=subject,
        )

    def _has_draft(self) -> bool:
        typed = self._typed()
        if typed.body.strip() != self.prefilled.body.strip():
            return True
        return replace(typed, body="") != replace(self.prefilled, body="")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._schedule_save()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.is_mounted:
            self._schedule_save()

    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_draft)

    def save_draft(self) -> None:
        """Write what was typed to the store now; a form left as it was opened removes the draft."""
        self._stop_saving()
        value = self._typed().to_setting() if self._has_draft() else None
        self.session.store.set_setting(self.draft_id, value)

    def _stop_saving(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None

    # -- actions ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_attachment":
            return bool(self.attachments)
        return hasattr(self, f"action_{action}")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("composer-remove-attachment"):
            self._remove_attachment(int(event.button.name or 0))
            return
        for button_id, _, action in BUTTONS:
            if event.button.id == button_id:
                await self.run_action(action)

    def action_close_composer(self) -> None:
        self.save_draft()
        note = "Not sent; the draft is kept." if self._has_draft() else "Not sent."
        self.notify(note, markup=False)
        self.dismiss(None)

    def action_discard_draft(self) -> None:
        """Throw the draft away (a reply the Traffic Cop held too): nothing is sent or kept."""
        self.discard()

    def discard(self) -> None:
        self._stop_saving()
        self.guard.release()
        self.session.store.set_setting(self.draft_id, None)
        what = "Message" if self.mode == "new" else "Reply"
        self.notify(f"{what} discarded.", markup=False)
        self.dismiss(None)

    def show_news(self, message_ids: frozenset[str]) -> None:
        """After the Traffic Cop: the messages that arrived meanwhile, marked new in the thread."""
        for panel in self.query(ThreadPanel):
            panel.show(new=message_ids)

    def action_send(self) -> None:
        if self.guard.stop(self, self.action_send):
            return
        queued = self._queue(send_at=None)
        if queued is None:
            return
        seconds = int(self.replies.policy.undo_window.total_seconds())
        undo_key = describe_keys(effective_keys(self.session.config.keys)["undo_send"])
        what = "Message" if self.mode == "new" else "Reply"
        changed = f"; now {', '.join(queued.changes)}" if queued.changes else ""
        self.app.notify(f"{what} queued{changed}; undo with {undo_key} within {seconds} s", markup=False)
        self.dismiss(None)
        self.after_queued(queued)

    def action_send_later(self) -> None:
        if not self.body.strip():
            self._refuse_empty()
            return
        if self.guard.stop(self, self.action_send_later):
            return
        presets = snooze_presets(self.replies.now())
        choices = [(key, label) for key, label, _ in presets]
        prompt = ChoicePrompt("Send later", choices, typed_hint=SEND_LATER_HINT)
        self.app.push_screen(prompt, partial(self._send_later, {key: at for key, _, at in presets}))

    def _send_later(self, presets: dict[str, datetime], picked: Picked | None) -> None:
        if picked is None:
            return
        if picked.choice is not None:
            when = presets[picked.choice]
        else:
            try:
                when = parse_follow_up(picked.text, self.replies.now().astimezone())
            except FollowUpError as exc:
                self.notify(str(exc), title="Send later", severity="error", markup=False)
                return
        queued = self._queue(send_at=when)
        if queued is None:
            return
        self.app.notify(f"Scheduled for {when.astimezone():%a %d %b %Y %H:%M}", markup=False)
        self.dismiss(None)
        self.after_queued(queued)

    def action_attach(self) -> None:
        prompt = TextPrompt("Attach a file", placeholder="path to the file, e.g. ~/Documents/invoice.pdf")
        self.app.push_screen(prompt, self._attach_typed)

    def _attach_typed(self, typed: str | None) -> None:
        if typed is None:
            return
        try:
            attachment = load_attachment(typed)
        except AttachmentError as exc:
            self.notify(str(exc), title="Not attached", severity="error", markup=False)
            return
        total = sum(len(a.data) for a in self.attachments) + len(attachment.data)
        if total > MAX_ATTACHMENT_BYTES:
            limit = human_size(MAX_ATTACHMENT_BYTES)
            self.notify(f"Together the attachments would exceed {limit}.", severity="error", markup=False)
            return
        self.attachments.append(attachment)
        self._show_attachments()

    def action_remove_attachment(self) -> None:
        if len(self.attachments) <= 1:
            self._remove_attachment(0)
            return
        choices = [(str(index), _describe(a)) for index, a in enumerate(self.attachments)]
        self.app.push_screen(ChoicePrompt("Remove attachment", choices), self._picked_for_removal)

    def _picked_for_removal(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice is not None:
            self._remove_attachment(int(picked.choice))

    def _remove_attachment(self, index: int) -> None:
        if 0 <= index < len(self.attachments):
            removed = self.attachments.pop(index)
            self.notify(f"Removed {removed.filename}.", markup=False)
            self._show_attachments()

    def _show_attachments(self) -> None:
        """One row per attachment: name, size and a button that removes it."""
        listing = self.query_one("#composer-attachments", Vertical)
        listing.remove_children()
        rows = []
        for index, attachment in enumerate(self.attachments):
            rows.append(
                Horizontal(
                    Static(Content(_describe(attachment)), markup=False),
                    Button("Remove", name=str(index), compact=True, classes="composer-remove-attachment"),
                    classes="composer-attachment",
                )
            )
        listing.mount_all(rows)
        self.refresh_bindings()

    def action_external_editor(self) -> None:
        outcome = edit_text(self.body, suspend=self.app.suspend)
        if outcome.problem is not None:
            self.notify(outcome.problem, title="Editor", severity="warning", markup=False)
            return
        self.query_one("#composer-body", TextArea).load_text(outcome.text)
        self.save_draft()

    # -- queueing ---------------------------------------------------------------

    def _queue(self, *, send_at: datetime | None) -> Queued | None:
        """Queue the form as shown; on any problem say why, keep the form open and return None."""
        try:
            draft = ReplyDraft(
                mode=self.mode,
                body=self.body,
                conversation_id=self.conversation.id if self.conversation is not None else None,
                to=tuple(parse_addresses(self.query_one("#composer-to", Input).value)),
                cc=tuple(parse_addresses(self.query_one("#composer-cc", Input).value)),
                subject=self.query_one("#composer-subject", Input).value if self.mode == "new" else "",
                attachments=tuple(self.attachments),
                canned=tuple(self.canned_inserted),
                send_at=send_at,
                shows_original=self.shows_original and FORWARD_DIVIDER in self.body,
            )
            queued = self.replies.queue(draft)
        except ReplyError as exc:
            self.notify(str(exc), title="Not queued", severity="error", markup=False)
            return None
        self._stop_saving()
        self.session.store.set_setting(self.draft_id, None)
        self.guard.release()
        self.canned_inserted = []
        for problem in queued.problems:
            self.app.notify(problem, title="Action not applied", severity="warning", markup=False)
        return queued

    def _refuse_empty(self) -> None:
        what = "message" if self.mode == "new" else "reply"
        self.notify(f"The {what} is empty.", severity="warning", markup=False)


def _describe(attachment: OutgoingAttachment) -> str:
    return f"{attachment.filename} ({human_size(len(attachment.data))})"
