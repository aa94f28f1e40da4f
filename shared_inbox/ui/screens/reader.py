"""The reader: one conversation, every message in order, quotes and signatures folded.

Bodies come from the raw cache; a message the sync has not downloaded yet is
fetched in a thread worker and filled in when it arrives. All mail text is shown
as plain `Content`, never parsed as markup. Beside the thread, the customer panel
shows who wrote and their other conversations; attachments are saved and opened
by thread workers that only post back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Button, Static

from shared_inbox.display.text import short_assignee
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.presence import Presence
from shared_inbox.domain.satisfaction import Rating, RatingFact
from shared_inbox.mail.attachments import AttachmentInfo, open_with_system
from shared_inbox.mail.compose import ReplyMode
from shared_inbox.services.bodies import cached_body, fetch_bodies
from shared_inbox.services.customers import customer_profile, link_suggestions
from shared_inbox.services.flags import mark_read
from shared_inbox.services.ratings import ratings_of
from shared_inbox.services.replies import Replies
from shared_inbox.services.server_history import conversations_from_the_server
from shared_inbox.ui.dialogs.prompts import TextPrompt
from shared_inbox.ui.keys import bindings_for
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.inbox import StatusBar
from shared_inbox.ui.screens.reader_attachments import (
    Opener,
    chosen_folder,
    download_dir,
    open_copy,
    remember_download_dir,
    save_into,
)
from shared_inbox.ui.screens.reader_deadlines import ReaderDeadlines
from shared_inbox.ui.screens.reader_density import ReaderDensity, unread_in
from shared_inbox.ui.screens.reader_history import ReaderHistory
from shared_inbox.ui.screens.reader_links import ReaderLinks
from shared_inbox.ui.screens.reader_notes import ReaderNotes
from shared_inbox.ui.screens.reader_summary import ReaderSummary, SummaryPanel
from shared_inbox.ui.screens.reader_triage import ListTriage, ReaderTriage
from shared_inbox.ui.screens.regroup_actions import ReaderRegroup
from shared_inbox.ui.widgets.customer_panel import CustomerPanel
from shared_inbox.ui.widgets.message_view import FOLDED, AttachmentRow, MessageView, message_heading, plain
from shared_inbox.ui.widgets.presence_badges import follow_presence, report_activity
from shared_inbox.ui.widgets.rules_line import RulesLine
from shared_inbox.ui.widgets.steady_footer import SteadyFooter

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

__all__ = ["FOLDED", "MessageView", "ReaderScreen", "header_line", "message_heading", "plain", "unread_in"]

NOT_DOWNLOADED = "Not downloaded yet; fetching it from the server…"
UNAVAILABLE = "Not downloaded yet, and the server could not be reached; it will appear after the next sync."
ATTACHMENT_ACTIONS = frozenset({"save_attachment", "open_attachment"})


def header_line(conv: Conversation, message_count: int, ratings: Sequence[RatingFact] = ()) -> Content:
    """Subject, status, assignee, tags, customer, how many messages the thread has, and its ratings."""
    state = conv.state
    tags = " ".join(f"#{tag}" for tag in sorted(state.tags))
    assignee = short_assignee(state.assignee) or "unassigned"
    customer = conv.customer.display() if conv.customer else "no customer"
    count = f"{message_count} message" + ("" if message_count == 1 else "s")
    parts: list[Content | str | tuple[str, str]] = [
        plain(conv.subject or "(no subject)").stylize("bold"),
        "  ",
        (state.status.value, "$accent"),
        "  ",
        assignee,
    ]
    if tags:
        parts += ["  ", plain(tags)]
    parts += ["\n", plain(customer), " · ", count]
    if ratings:
        latest = ratings[-1]
        comment = f": \u201c{' '.join(latest.comment.split())[:80]}\u201d" if latest.comment else ""
        style = "$error" if latest.rating is Rating.NOT_GOOD else "$success"
        parts += [" · ", ("rated " + latest.rating.words, style), plain(comment)]
    return Content.assemble(*parts)


class ReaderScreen(
    ReaderDeadlines,
    ReaderDensity,
    ReaderNotes,
    ReaderLinks,
    ReaderRegroup,
    ReaderSummary,
    ReaderTriage,
    ReaderHistory,
    Screen[None],
):
    """The thread view, pushed over the inbox."""

    # Defaults; the app's keymap applies the user's overrides by binding id.
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("triage", {}), *bindings_for("reader", {})]

    class BodyFetched(Message):
        def __init__(self, message_id: str, raw: bytes | None) -> None:
            super().__init__()
            self.message_id = message_id
            self.raw = raw

    class AttachmentDone(Message):
        """A save or open finished (or failed); `text` is what the agent is told."""

        def __init__(self, text: str, *, failed: bool = False) -> None:
            super().__init__()
            self.text = text
            self.failed = failed

    def __init__(
        self,
        session: Session,
        conversation: Conversation,
        *,
        zone: tzinfo | None = None,
        opener: Opener = open_with_system,
        list_triage: ListTriage | None = None,
        unread: frozenset[str] | None = None,
    ) -> None:
        """`unread`: the messages that were unread before opening marked them read (opened whole)."""
        super().__init__()
        self.session = session
        self.list_triage = list_triage
        self.conversation = conversation
        self.zone = zone  # None: the machine's local time zone
        self.opener = opener
        self.panel_shown = True
        self.presence_line: Content | None = None  # who else is here; set by the app's presence display
        self.unread_on_open = unread if unread is not None else unread_in(session, conversation)

    def compose(self) -> ComposeResult:
        conv = self.conversation
        metas = self.session.inbox.messages_of(conv)
        ratings = ratings_of(self.session.inbox, conv)
        yield Static(header_line(conv, len(metas), ratings), id="reader-header", markup=False)
        presence = Static(self.presence_line or "", id="reader-presence", markup=False)
        presence.display = self.presence_line is not None
        yield presence
        yield RulesLine(self.session.inbox, conv.id, self.zone)
        yield self.deadlines_panel()
        with Horizontal(id="reader-body"):
            with VerticalScroll(id="thread"):
                yield SummaryPanel()
                for widget in self.note_widgets():  # the messages, with the team's notes at their times
                    if isinstance(widget, MessageView):
                        widget.preload(cached_body(self.session, widget.meta.message_id))
                    yield widget
            who = conv.customer
            profile = customer_profile(self.session.inbox, who.email, who.name) if who else None
            given = [
                fact.rating
                for other in (profile.conversations if profile is not None else ())
                for fact in ratings_of(self.session.inbox, other)
            ]
            suggested = link_suggestions(self.session.inbox, profile) if profile else []
            older = conversations_from_the_server(self.session, profile.conversations) if profile else set()
            panel = CustomerPanel(profile, conv.id, self.zone, suggested, ratings=given, from_server=older)
            panel.display = self.panel_shown
            yield panel
        yield StatusBar()
        yield SteadyFooter()

    def on_mount(self) -> None:
        self._load_bodies()
        self.arrange_density()
        self.follow_inbox_changes()
        follow_presence(self, lambda shown: self.show_presence(shown.line_for(self.conversation.id)))
        self.report_viewing()

    def on_unmount(self) -> None:
        report_activity(self, None)

    def report_viewing(self) -> None:
        """Say which conversation the agent is viewing; the latest reader shown is the one that counts."""
        anchors = self.conversation.message_ids
        report_activity(self, Presence(anchors[0], "viewing") if anchors else None)

    def on_screen_resume(self) -> None:
        """Back from the composer or a prompt: show what changed meanwhile (a reply makes it pending)."""
        if self.is_mounted:
            self.report_viewing()
            self.reload_conversation()

    def _load_bodies(self) -> None:
        missing: list[str] = []
        for view in self.query(MessageView):
            if view.has_body:
                continue  # composed with its cached body
            raw = cached_body(self.session, view.meta.message_id)
            if raw is None:
                view.show_text(NOT_DOWNLOADED)
                missing.append(view.meta.message_id)
            else:
                view.show_body(raw)
        if missing and getattr(self.app, "sync_enabled", False):
            self._fetch(missing)
        elif missing:
            for view in self.query(MessageView):
                if view.meta.message_id in missing:
                    view.show_text(UNAVAILABLE)
        self.query_one("#thread").focus()

    @work(thread=True, exclusive=True, group="reader-fetch", exit_on_error=False)
    def _fetch(self, message_ids: list[str]) -> None:
        """Download missing bodies; blocking, so it runs in a thread and only posts back."""
        for mid, raw in fetch_bodies(self.session, message_ids).items():
            self.post_message(self.BodyFetched(mid, raw))

    def on_reader_screen_body_fetched(self, event: BodyFetched) -> None:
        for view in self.query(MessageView):
            if view.meta.message_id == event.message_id:
                if event.raw is None:
                    view.show_text(UNAVAILABLE)
                else:
                    view.show_body(event.raw)
        if event.raw is not None and self.summary_shown:
            self.show_summary()  # with the words that just arrived

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys whose feature this screen does not offer, instead of showing dead keys.

        Saving and opening are offered only while an attachment is selected, editing a note
        only while the thread holds one of yours.
        """
        if action in ATTACHMENT_ACTIONS and self.selected_attachment is None:
            return False
        if action == "edit_note" and self.selected_note is None:
            return False
        return hasattr(self, f"action_{action}")

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle_quotes(self) -> None:
        self.toggle_class("show-folded")

    def action_scroll_down(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_up(animate=False)

    # -- customer panel ------------------------------------------------------------

    @property
    def customer_panel(self) -> CustomerPanel:
        return self.query_one(CustomerPanel)

    def action_toggle_customer(self) -> None:
        panel = self.customer_panel
        self.panel_shown = not panel.display
        panel.display = self.panel_shown
        if not self.panel_shown and self.focused is not None and panel in self.focused.ancestors:
            self.query_one("#thread").focus()

    def action_focus_customer(self) -> None:
        panel = self.customer_panel
        self.panel_shown = panel.display = True
        if not panel.focus_conversations():
            self.notify("The customer has no other conversations.", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The mouse way to the note editor and the profile form."""
        if event.button.id == "edit-customer":
            event.stop()
            self.action_edit_customer()
        elif event.button.id == "add-note":
            event.stop()
            self.action_add_note()

    def on_customer_panel_open_conversation(self, event: CustomerPanel.OpenConversation) -> None:
        conv = self.session.inbox.conversation(event.conversation_id)
        if conv is None:
            self.notify("That conversation is no longer in the inbox.", severity="warning", markup=False)
            return
        self.show_conversation(conv)

    def show_conversation(self, conv: Conversation) -> None:
        """Replace the conversation on screen (the next one, or one picked in the customer panel)."""
        self.unread_on_open, self.expanded_all = unread_in(self.session, conv), False
        self.conversation = mark_read(self.session.inbox, conv)
        self.report_viewing()
        self.call_later(self._show_current)

    async def _show_current(self) -> None:
        """Redraw the thread, unless the app is closing (a change heard while quitting)."""
        if self.taken_down:
            return
        await self.recompose()
        if not self.taken_down:
            self._load_bodies()
            self.arrange_density()
            self.show_summary()

    @property
    def taken_down(self) -> bool:
        """Whether the app is closing or has removed this screen's widgets (the app quitting)."""
        return not self.is_attached or not self.query("#thread")

    def show_presence(self, line: Content | None) -> None:
        """Name the teammates viewing or replying to this conversation; None hides the line."""
        if line == self.presence_line:
            return
        self.presence_line = line
        if self.is_mounted:
            widget = self.query_one("#reader-presence", Static)
            widget.update(line or "")
            widget.display = line is not None

    def refresh_header(self) -> None:
        count = len(self.session.inbox.messages_of(self.conversation))
        ratings = ratings_of(self.session.inbox, self.conversation)
        self.query_one("#reader-header", Static).update(header_line(self.conversation, count, ratings))
        self.query_one(RulesLine).show_for(self.conversation.id)
        self.refresh_deadlines()

    # -- attachments ---------------------------------------------------------------

    @property
    def selected_attachment(self) -> AttachmentRow | None:
        focused = self.focused
        return focused if isinstance(focused, AttachmentRow) else None

    def action_next_attachment(self) -> None:
        rows = list(self.query(AttachmentRow))
        if not rows:
            self.notify("No attachments in this conversation.", markup=False)
            return
        current = self.selected_attachment
        following = rows[(rows.index(current) + 1) % len(rows)] if current in rows else rows[0]
        following.focus()
        following.scroll_visible(animate=False)

    def action_save_attachment(self) -> None:
        if (row := self.selected_attachment) is not None:
            self._ask_folder(row)

    def action_open_attachment(self) -> None:
        if (row := self.selected_attachment) is not None:
            self._open(row.raw, row.info)

    def on_attachment_row_chosen(self, event: AttachmentRow.Chosen) -> None:
        if event.action == "save":
            self._ask_folder(event.row)
        else:
            self._open(event.row.raw, event.row.info)

    def _ask_folder(self, row: AttachmentRow) -> None:
        prompt = TextPrompt(f"Save {row.info.filename} into the folder", value=str(download_dir(self.app)))
        self.app.push_screen(prompt, partial(self._save_into, row.raw, row.info))

    def _save_into(self, raw: bytes, info: AttachmentInfo, answer: str | None) -> None:
        if answer is None:
            return
        try:
            folder = chosen_folder(answer)
        except NotADirectoryError as exc:
            self.notify(str(exc), title="Not saved", severity="error", markup=False)
            return
        remember_download_dir(self.app, folder)
        self._save(raw, info, folder)

    @work(thread=True, group="attachments", exit_on_error=False)
    def _save(self, raw: bytes, info: AttachmentInfo, folder: Path) -> None:
        """Write the file; blocking, so it runs in a thread and only posts the outcome."""
        try:
            path = save_into(raw, info, folder)
        except (OSError, IndexError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.post_message(self.AttachmentDone(f"Could not save {info.filename}: {reason}", failed=True))
        else:
            self.post_message(self.AttachmentDone(f"Saved to {path}"))

    @work(thread=True, group="attachments", exit_on_error=False)
    def _open(self, raw: bytes, info: AttachmentInfo) -> None:
        """Save a private copy and start the system opener; blocking, so it runs in a thread."""
        try:
            path, opened = open_copy(raw, info, self.opener)
        except (OSError, IndexError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.post_message(self.AttachmentDone(f"Could not open {info.filename}: {reason}", failed=True))
            return
        if opened:
            self.post_message(self.AttachmentDone(f"Opening {path.name}"))
        else:
            text = f"No program to open files was found; a copy is at {path}"
            self.post_message(self.AttachmentDone(text, failed=True))

    def on_reader_screen_attachment_done(self, event: AttachmentDone) -> None:
        severity: SeverityLevel = "warning" if event.failed else "information"
        self.notify(event.text, title="Attachment", severity=severity, markup=False)

    # -- replies -------------------------------------------------------------------

    def action_reply(self) -> None:
        self._open_composer("reply")

    def action_reply_all(self) -> None:
        self._open_composer("reply_all")

    def action_forward(self) -> None:
        self._open_composer("forward")

    def _open_composer(self, mode: ReplyMode) -> None:
        replies = getattr(self.app, "replies", None)
        if not isinstance(replies, Replies):
            self.notify("Replying is not available here.", severity="warning", markup=False)
            return
        self.app.push_screen(ComposerScreen(self.session, replies, self.conversation, mode=mode))
