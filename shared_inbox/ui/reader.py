"""The reader: one conversation, every message in order, quotes and signatures folded.

Bodies come from the raw cache; a message the sync has not downloaded yet is
fetched in a thread worker and filled in when it arrives. All mail text is shown
as plain `Content`, never parsed as markup.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from imapclient.exceptions import IMAPClientError
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from shared_inbox.config import PasswordError
from shared_inbox.domain.model import Conversation, MessageMeta
from shared_inbox.imap.connection import MailServerError
from shared_inbox.mail.body import read_message
from shared_inbox.mail.compose import ReplyMode
from shared_inbox.ui.composer import ComposerScreen, OutgoingMail
from shared_inbox.ui.conversation_list import inert, short_assignee
from shared_inbox.ui.inbox_screen import StatusBar
from shared_inbox.ui.keys import bindings_for

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

log = logging.getLogger(__name__)

NOT_DOWNLOADED = "Not downloaded yet; fetching it from the server…"
UNAVAILABLE = "Not downloaded yet, and the server could not be reached; it will appear after the next sync."
FOLDED = {"quote": "··· quoted text hidden (z shows it)", "signature": "··· signature hidden (z shows it)"}


def plain(text: str) -> Content:
    """Mail text as inert content: control characters are replaced, markup is never parsed."""
    return Content("\n".join(inert(line) for line in text.split("\n")))


def header_line(conv: Conversation) -> Content:
    state = conv.state
    tags = " ".join(f"#{tag}" for tag in sorted(state.tags))
    assignee = short_assignee(state.assignee) or "unassigned"
    return Content.assemble(
        plain(conv.subject or "(no subject)").stylize("bold"),
        "  ",
        (state.status.value, "$accent"),
        "  ",
        assignee,
        "  ",
        plain(tags),
    )


def message_heading(meta: MessageMeta) -> Content:
    recipients = ", ".join(a.display() for a in (*meta.to, *meta.cc))
    when = meta.date.strftime("%Y-%m-%d %H:%M UTC")
    return Content.assemble(
        plain(meta.sender.display()).stylize("bold"), "  ", when, "\n", "to ", plain(recipients)
    )


class MessageView(Vertical):
    """One message: who, when, to whom, then its body segments."""

    def __init__(self, meta: MessageMeta) -> None:
        kind = "agent" if meta.outgoing else "customer"
        super().__init__(classes=f"message {kind}")
        self.meta = meta

    def compose(self) -> ComposeResult:
        yield Static(message_heading(self.meta), classes="message-heading", markup=False)
        yield Vertical(classes="message-body")

    def show_text(self, text: str) -> None:
        body = self.query_one(".message-body", Vertical)
        body.remove_children()
        body.mount(Static(plain(text), classes="note", markup=False))

    def show_body(self, raw: bytes) -> None:
        body = self.query_one(".message-body", Vertical)
        body.remove_children()
        read = read_message(raw)
        widgets: list[Static] = []
        for segment in read.segments:
            text = segment.text.strip("\n")
            if not text:
                continue
            if segment.kind == "text":
                widgets.append(Static(plain(text), classes="segment text", markup=False))
            else:
                widgets.append(Static(plain(FOLDED[segment.kind]), classes="fold-marker", markup=False))
                widgets.append(Static(plain(text), classes=f"segment folded {segment.kind}", markup=False))
        for attachment in read.attachments:
            label = f"📎 {attachment.filename} ({attachment.content_type}, {attachment.size} bytes)"
            widgets.append(Static(plain(label), classes="attachment", markup=False))
        for note in read.notes:
            widgets.append(Static(plain(f"Note: {note}"), classes="note", markup=False))
        body.mount_all(widgets)


class ReaderScreen(Screen[None]):
    """The thread view, pushed over the inbox."""

    # Defaults; the app's keymap applies the user's overrides by binding id.
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("reader", {})]

    class BodyFetched(Message):
        def __init__(self, message_id: str, raw: bytes | None) -> None:
            super().__init__()
            self.message_id = message_id
            self.raw = raw

    def __init__(self, session: Session, conversation: Conversation) -> None:
        super().__init__()
        self.session = session
        self.conversation = conversation

    def compose(self) -> ComposeResult:
        yield Static(header_line(self.conversation), id="reader-header", markup=False)
        with VerticalScroll(id="thread"):
            for meta in self.session.inbox.messages_of(self.conversation):
                yield MessageView(meta)
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        missing: list[str] = []
        for view in self.query(MessageView):
            raw = self.session.store.load_raw(view.meta.message_id)
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
        """Download missing bodies over a connection of our own; blocking, so it runs in a thread."""
        from shared_inbox.imap.sync import FolderSync

        raws: dict[str, bytes | None] = dict.fromkeys(message_ids)
        try:
            service = self.session.sync_service()
            client = service.connect()
            try:
                engine = FolderSync(
                    client,
                    self.session.store,
                    our_addresses=service.plan.our_addresses,
                    sent_folder=service.plan.sent_folder,
                    batch_size=service.plan.batch_size,
                )
                for mid in message_ids:
                    raws[mid] = engine.fetch_body(mid)
            finally:
                client.logout()
        except (MailServerError, PasswordError, IMAPClientError, OSError, EOFError) as exc:
            log.info("could not fetch bodies for the reader: %s", type(exc).__name__)
        for mid, raw in raws.items():
            self.post_message(self.BodyFetched(mid, raw))

    def on_reader_screen_body_fetched(self, event: BodyFetched) -> None:
        for view in self.query(MessageView):
            if view.meta.message_id == event.message_id:
                if event.raw is None:
                    view.show_text(UNAVAILABLE)
                else:
                    view.show_body(event.raw)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys whose feature this screen does not offer, instead of showing dead keys."""
        return hasattr(self, f"action_{action}")

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle_quotes(self) -> None:
        self.toggle_class("show-folded")

    def action_scroll_down(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_up(animate=False)

    def action_reply(self) -> None:
        self._open_composer("reply")

    def action_reply_all(self) -> None:
        self._open_composer("reply_all")

    def action_forward(self) -> None:
        self._open_composer("forward")

    def _open_composer(self, mode: ReplyMode) -> None:
        outgoing = getattr(self.app, "outgoing", None)
        if not isinstance(outgoing, OutgoingMail):
            self.notify("Replying is not available here.", severity="warning", markup=False)
            return
        self.app.push_screen(ComposerScreen(self.session, outgoing, self.conversation, mode=mode))
