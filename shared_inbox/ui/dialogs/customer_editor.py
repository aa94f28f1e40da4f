"""The customer profile form: one Input per field, your notes on the customer, and a new note.

It answers with only what changed, so saving an untouched form records nothing and a teammate's
concurrent change to another field is not overwritten. Your own notes are editable in place (an
emptied note is deleted); teammates' notes are shown, read-only, with their author.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from shared_inbox.domain.notes import Note
from shared_inbox.domain.profiles import FIELD_LABELS, FIELDS, MAX_FIELD_CHARS, CustomerRecord
from shared_inbox.ui.widgets.message_view import plain

FIELD_HINTS = {
    "name": "how they like to be addressed",
    "company": "employer or organisation",
    "preferences": "e.g. phone after 2pm, no marketing",
    "birthday": "e.g. 3 March",
    "interests": "e.g. sailing, early access",
    "tags": "comma-separated, e.g. vip, reseller",
}


@dataclass(frozen=True)
class ProfileChanges:
    """Only what the form changed: field values, edited and deleted notes, a new note."""

    fields: dict[str, str] = field(default_factory=dict)
    edited: dict[str, str] = field(default_factory=dict)
    deleted: tuple[str, ...] = ()
    new_note: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields or self.edited or self.deleted or self.new_note)


def note_caption(note: Note, zone: tzinfo | None) -> Content:
    when = note.created_at.astimezone(zone).strftime("%d %b %Y %H:%M")
    edited = " (edited)" if note.edited_at else ""
    return Content.assemble(plain(note.author), (f"  {when}{edited}", "$text-muted"))


class CustomerEditor(ModalScreen[ProfileChanges | None]):
    """Edit what the team knows about one customer; Ctrl+S saves, Escape cancels."""

    DEFAULT_CSS = """
    CustomerEditor { align: center middle; }
    CustomerEditor > VerticalScroll {
        width: 84;
        height: 90%;
        padding: 1 2;
        background: $panel;
        border: round $primary;
    }
    CustomerEditor Label { margin-top: 1; color: $text-muted; }
    CustomerEditor .editor-title { height: auto; text-style: bold; }
    CustomerEditor TextArea { height: 5; }
    CustomerEditor .theirs { height: auto; padding: 0 1; background: $boost; }
    CustomerEditor Horizontal { height: auto; margin-top: 1; }
    CustomerEditor Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, email: str, record: CustomerRecord, me: str, zone: tzinfo | None = None) -> None:
        super().__init__()
        self.email = email
        self.record = record
        self.me = me
        self.zone = zone

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(plain(f"Customer profile: {self.email}"), classes="editor-title", markup=False)
            for name in FIELDS:
                yield Label(FIELD_LABELS[name])
                yield Input(
                    self.record.value(name),
                    placeholder=FIELD_HINTS[name],
                    max_length=MAX_FIELD_CHARS,
                    id=f"field-{name}",
                )
            yield Label("Notes on this customer (empty one of yours to delete it)")
            for note in self.record.notes:
                yield Static(note_caption(note, self.zone), markup=False)
                if note.author == self.me:
                    yield TextArea(note.text, id=f"cnote-{note.id}", classes="own-note", soft_wrap=True)
                else:
                    yield Static(plain(note.text), classes="theirs", markup=False)
            yield Label("New note")
            yield TextArea("", id="new-customer-note", soft_wrap=True)
            with Horizontal():
                yield Button("Save (ctrl+s)", id="profile-save", variant="primary")
                yield Button("Cancel", id="profile-cancel")

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

    def changes(self) -> ProfileChanges:
        """What differs between the form and the record it was opened with."""
        fields = {
            name: value
            for name in FIELDS
            if (value := " ".join(self.query_one(f"#field-{name}", Input).value.split()))
            != self.record.value(name)
        }
        edited: dict[str, str] = {}
        deleted: list[str] = []
        for note in self.record.notes:
            if note.author != self.me:
                continue
            text = self.query_one(f"#cnote-{note.id}", TextArea).text.strip()
            if not text:
                deleted.append(note.id)
            elif text != note.text:
                edited[note.id] = text
        new_note = self.query_one("#new-customer-note", TextArea).text.strip()
        return ProfileChanges(fields, edited, tuple(deleted), new_note)

    def action_save(self) -> None:
        changes = self.changes()
        self.dismiss(changes if changes else None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#profile-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#profile-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
