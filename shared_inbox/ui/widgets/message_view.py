"""One message in the reader: a clickable heading, the body with its folds, the attachments.

Everything from the mail is shown as plain `Content`; attachment names are the sanitized
names from :mod:`shared_inbox.mail.attachments`, and the raw bytes stay here so a save or
open works on exactly the message on screen.
"""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widgets import Button, Static

from shared_inbox.display.text import inert
from shared_inbox.domain.model import Address, MessageKind, MessageMeta
from shared_inbox.domain.summary.sentences import sentences
from shared_inbox.mail.attachments import AttachmentInfo, human_size
from shared_inbox.mail.body import read_message

FOLDED = {
    "quote": "··· quoted text hidden (z or a click on the heading shows it)",
    "signature": "··· signature hidden (z or a click on the heading shows it)",
}


def plain(text: str) -> Content:
    """Mail text as inert content: control characters are replaced, markup is never parsed."""
    return Content("\n".join(inert(line) for line in text.split("\n")))


# What the heading calls mail from machines, and the class that dims it.
MACHINE_LABELS = {
    MessageKind.AUTO_REPLY: ("Automatic reply", "auto-reply"),
    MessageKind.BOUNCE: ("Delivery report", "bounce"),
    MessageKind.BULK: ("Bulk mail", "bulk"),
}


def _addresses(addresses: tuple[Address, ...]) -> str:
    return ", ".join(a.display() for a in addresses)


JOINED_BY_SUBJECT = "joined this conversation by its subject only: its mail client sent no reply headers"


def message_heading(meta: MessageMeta, zone: tzinfo | None = None, *, guessed: bool = False) -> Content:
    """Sender and time (in `zone`, the local zone when None), then To and, when present, Cc.

    `guessed`: the message joined its conversation by its subject alone, which the agent is told.
    """
    when = meta.date.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z").rstrip()
    parts: list[Content | str] = []
    label = None if meta.outgoing else MACHINE_LABELS.get(meta.kind)
    if label is not None:
        parts += [Content(label[0]).stylize("italic"), " · "]
    parts += [plain(meta.sender.display()).stylize("bold"), "  ", when]
    parts += ["\n", "To: ", plain(_addresses(meta.to) or "(nobody)")]
    if meta.cc:
        parts += ["\n", "Cc: ", plain(_addresses(meta.cc))]
    if guessed:
        parts += ["\n", Content("≈ " + JOINED_BY_SUBJECT).stylize("italic $warning")]
    if not meta.outgoing and meta.kind is MessageKind.BOUNCE:
        for failure in meta.delivery_failures:
            parts += ["\n", plain("✗ " + failure.describe()).stylize("bold $error")]
    return Content.assemble(*parts)


class MessageHeading(Static):
    """Who wrote the message and to whom; a click folds or unfolds this message's quotes."""

    class Clicked(Message):
        def __init__(self, heading: MessageHeading) -> None:
            super().__init__()
            self.heading = heading

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self))


class MessagePreview(Static):
    """A collapsed message's one line: who, when, how it starts; a click opens the message."""

    class Clicked(Message):
        pass

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Clicked())


def preview_line(meta: MessageMeta, first_words: str, zone: tzinfo | None = None) -> Content:
    """ "Ann Lee · Tue 02 Apr 10:00 · My parcel has not arrived…", on one line."""
    when = meta.date.astimezone(zone).strftime("%a %d %b %H:%M")
    who = meta.sender.name or meta.sender.email
    words = " ".join(first_words.split())
    parts: list[Content | str] = ["▸ ", plain(who).stylize("bold"), " · ", when]
    if words:
        parts += [" · ", plain(words)]
    return Content.assemble(*parts)


def first_words(raw: bytes) -> str:
    """The start of what the author wrote this time (no greeting, quotes or signature), for a preview."""
    own = "".join(segment.text for segment in read_message(raw).segments if segment.kind == "text")
    return " ".join(sentences(own))[:PREVIEW_CHARS]


PREVIEW_CHARS = 200  # more than any terminal line; the line is cut to the width on screen


class AttachmentRow(Horizontal, can_focus=True):
    """One attachment: its safe name, type and size, with Save and Open buttons."""

    class Chosen(Message):
        """Save or open was asked for, by key or by button."""

        def __init__(self, row: AttachmentRow, action: str) -> None:
            super().__init__()
            self.row = row
            self.action = action  # "save" | "open"

    def __init__(self, info: AttachmentInfo, raw: bytes) -> None:
        super().__init__(classes="attachment")
        self.info = info
        self.raw = raw

    def compose(self) -> ComposeResult:
        info = self.info
        label = f"📎 {info.filename}  {info.content_type}, {human_size(info.size)}"
        yield Static(plain(label), classes="attachment-label", markup=False)
        for action, title in (("save", "Save"), ("open", "Open")):
            button = Button(title, compact=True, classes=f"attachment-{action}")
            button.can_focus = False  # the row holds the focus; the buttons are for the mouse
            yield button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.focus()
        action = "save" if event.button.has_class("attachment-save") else "open"
        self.post_message(self.Chosen(self, action))

    def on_click(self, event: Click) -> None:
        self.focus()


class MessageView(Vertical):
    """One message: who, when, to whom, then its body segments and attachments."""

    def __init__(self, meta: MessageMeta, zone: tzinfo | None = None, *, guessed: bool = False) -> None:
        label = None if meta.outgoing else MACHINE_LABELS.get(meta.kind)
        kind = "agent" if meta.outgoing else f"customer machine {label[1]}" if label else "customer"
        super().__init__(classes=f"message {kind}")
        self.meta = meta
        self.zone = zone
        self.guessed = guessed
        self._raw: bytes | None = None
        self.has_body = False  # the body (not a placeholder) is on screen

    def preload(self, raw: bytes | None) -> None:
        """Give the cached body before mounting, so it is composed with the view instead of mounted later."""
        self._raw = raw

    def compose(self) -> ComposeResult:
        words = first_words(self._raw) if self._raw is not None else ""
        yield MessagePreview(
            preview_line(self.meta, words, self.zone), classes="message-preview", markup=False
        )
        heading = message_heading(self.meta, self.zone, guessed=self.guessed)
        yield MessageHeading(heading, classes="message-heading", markup=False)
        with Vertical(classes="message-body"):
            if self._raw is not None:
                yield from self._body_widgets(self._raw)
                self.has_body = True

    def toggle_folds(self) -> None:
        """Show or hide this message's quotes and signature (z does it for every message)."""
        self.toggle_class("show-folded")

    def on_message_heading_clicked(self, event: MessageHeading.Clicked) -> None:
        event.stop()
        self.toggle_folds()

    @property
    def collapsed(self) -> bool:
        return self.has_class("collapsed")

    def set_collapsed(self, collapsed: bool) -> None:
        """Show only the one-line preview (True), or the whole message."""
        self.set_class(collapsed, "collapsed")

    def on_message_preview_clicked(self, event: MessagePreview.Clicked) -> None:
        event.stop()
        self.set_collapsed(False)

    def show_text(self, text: str) -> None:
        body = self.query_one(".message-body", Vertical)
        body.remove_children()
        body.mount(Static(plain(text), classes="note", markup=False))
        self.has_body = False

    def show_body(self, raw: bytes) -> None:
        body = self.query_one(".message-body", Vertical)
        body.remove_children()
        body.mount_all(self._body_widgets(raw))
        self.has_body = True
        preview = preview_line(self.meta, first_words(raw), self.zone)
        self.query_one(".message-preview", MessagePreview).update(preview)

    @staticmethod
    def _body_widgets(raw: bytes) -> list[Static | AttachmentRow]:
        read = read_message(raw)
        widgets: list[Static | AttachmentRow] = []
        for segment in read.segments:
            text = segment.text.strip("\n")
            if not text:
                continue
            if segment.kind == "text":
                widgets.append(Static(plain(text), classes="segment text", markup=False))
            else:
                widgets.append(Static(plain(FOLDED[segment.kind]), classes="fold-marker", markup=False))
                widgets.append(Static(plain(text), classes=f"segment folded {segment.kind}", markup=False))
        widgets.extend(AttachmentRow(info, raw) for info in read.attachments)
        for note in read.notes:
            widgets.append(Static(plain(f"Note: {note}"), classes="note", markup=False))
        return widgets
