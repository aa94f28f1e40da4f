"""Internal notes in the reader: how a note shows in the thread, and the modal that writes one.

A note sits in the thread at the time it was written, styled apart from mail (the team sees it,
the customer never does). Its text came from a teammate through the mailbox, so it is shown as
plain `Content`, like mail. The editor is a TextArea in a modal; a line under it shows whom the
``@names`` typed so far will notify, and Tab completes a partial ``@name`` when one teammate fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from shared_inbox.domain.notes import MAX_NOTE_CHARS, Note, find_mentions
from shared_inbox.ui.widgets.message_view import plain

Member = tuple[str, str]  # (name, email)


def note_heading(note: Note, members: Sequence[Member], zone: tzinfo | None = None) -> Content:
    """The words "Internal note", its author (by team name when known) and when it was written or edited."""
    names = {email: name for name, email in members}
    author = names.get(note.author) or note.author
    when = note.created_at.astimezone(zone).strftime("%a %d %b %Y %H:%M")
    parts: list[Content | str | tuple[str, str]] = [
        ("Internal note", "bold"),
        " · ",
        plain(author),
        "  ",
        when,
    ]
    if note.edited_at is not None:
        parts.append((f"  (edited {note.edited_at.astimezone(zone).strftime('%d %b %H:%M')})", "italic"))
    if note.mentions:
        mentioned = ", ".join("@" + (names.get(email) or email).split()[0] for email in note.mentions)
        parts += ["\n", "For ", plain(mentioned)]
    return Content.assemble(*parts)


class NoteView(Vertical, can_focus=True):
    """One internal note in the thread; the edit key or a click opens it in the editor, if it is yours."""

    class Chosen(Message):
        def __init__(self, note: Note) -> None:
            super().__init__()
            self.note = note

    def __init__(
        self, note: Note, members: Sequence[Member], zone: tzinfo | None = None, *, mine: bool
    ) -> None:
        super().__init__(classes="internal-note" + (" mine" if mine else ""))
        self.note = note
        self.members = members
        self.zone = zone
        self.mine = mine

    def compose(self) -> ComposeResult:
        yield Static(note_heading(self.note, self.members, self.zone), classes="note-heading", markup=False)
        yield Static(plain(self.note.text), classes="note-text", markup=False)

    def on_click(self, event: Click) -> None:
        event.stop()
        self.focus()
        if self.mine:
            self.post_message(self.Chosen(self.note))


@dataclass(frozen=True)
class NoteDraft:
    """What the editor answers: the text and the teammates it mentions, or a deletion."""

    text: str = ""
    mentions: tuple[str, ...] = ()
    delete: bool = False


class NoteEditor(ModalScreen[NoteDraft | None]):
    """Write a note or change one: Ctrl+S saves, Escape cancels, Delete (or saving it empty) removes it."""

    DEFAULT_CSS = """
    NoteEditor { align: center middle; }
    NoteEditor > Vertical {
        width: 80;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        background: $panel;
        border: round $warning;
    }
    NoteEditor .note-editor-title { height: auto; margin-bottom: 1; }
    NoteEditor TextArea { height: 10; }
    NoteEditor #note-mentions { height: auto; color: $text-muted; margin-top: 1; }
    NoteEditor Horizontal { height: auto; margin-top: 1; }
    NoteEditor Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("tab", "complete", "Complete @name", priority=True),
    ]

    def __init__(self, members: Sequence[Member], note: Note | None = None) -> None:
        super().__init__()
        self.members = list(members)
        self.note = note

    def compose(self) -> ComposeResult:
        title = "Edit your internal note" if self.note else "New internal note"
        with Vertical():
            yield Static(
                Content.assemble((title, "bold"), "  (the team sees it; the customer never does)"),
                classes="note-editor-title",
            )
            yield TextArea(self.note.text if self.note else "", id="note-text", soft_wrap=True)
            yield Static("", id="note-mentions", markup=False)
            with Horizontal():
                yield Button("Save (ctrl+s)", id="note-save", variant="primary")
                if self.note is not None:
                    yield Button("Delete", id="note-delete", variant="error")
                yield Button("Cancel", id="note-cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self._show_mentions()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed)
    def _show_mentions(self) -> None:
        mentions = find_mentions(self.text, self.members)
        names = {email: name or email for name, email in self.members}
        line = (
            "Notifies: " + ", ".join(names[e] for e in mentions)
            if mentions
            else "Type @name to notify a teammate"
        )
        self.query_one("#note-mentions", Static).update(Content(line))

    def action_complete(self) -> None:
        """Complete the `@name` before the cursor when exactly one teammate's handle starts with it."""
        area = self.query_one(TextArea)
        row, column = area.cursor_location
        before = area.document.get_line(row)[:column]
        word = before.rsplit(maxsplit=1)[-1] if before.strip() else ""
        partial = word[1:].casefold() if word.startswith("@") and not before.endswith(" ") else None
        handles = {email.partition("@")[0] for _, email in self.members}
        fits = sorted(h for h in handles if partial is not None and h.casefold().startswith(partial))
        if partial is not None and len(fits) == 1:
            area.insert(fits[0][len(partial) :] + " ")
        else:
            self.focus_next()  # Tab keeps its usual meaning: on to the buttons

    def action_save(self) -> None:
        text = self.text.strip()
        if not text and self.note is not None:
            self.dismiss(NoteDraft(delete=True))  # an emptied note is a deleted note
            return
        if not text:
            self.notify("Write something first (or Escape to cancel).", severity="warning", markup=False)
            return
        if len(text) > MAX_NOTE_CHARS:
            self.notify(f"A note has at most {MAX_NOTE_CHARS} characters.", severity="error", markup=False)
            return
        self.dismiss(NoteDraft(text, find_mentions(text, self.members)))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#note-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#note-delete")
    def _delete_pressed(self) -> None:
        self.dismiss(NoteDraft(delete=True))

    @on(Button.Pressed, "#note-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
