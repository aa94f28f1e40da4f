"""Internal notes and the customer profile, inside the reader.

Notes are placed in the thread at the time they were written, between the messages. Writing,
editing and deleting go through the shared command layer (each one an event, never mail); then
the notes in the thread are laid out again from the inbox, so the screen shows what the store says.
The customer panel's profile is edited in a form and redrawn the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button

from shared_inbox.config.model import ThreadOrder
from shared_inbox.domain.model import Conversation, MessageMeta
from shared_inbox.domain.notes import Note
from shared_inbox.services.commands import CommandError
from shared_inbox.services.customers import customer_profile, link_suggestions
from shared_inbox.services.notes import conversation_notes
from shared_inbox.ui.dialogs.customer_editor import CustomerEditor, ProfileChanges
from shared_inbox.ui.dialogs.note_editor import Member, NoteDraft, NoteEditor, NoteView
from shared_inbox.ui.widgets.customer_panel import CustomerPanel
from shared_inbox.ui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session


def thread_items(
    metas: Sequence[MessageMeta],
    notes: Sequence[Note],
    members: Sequence[Member],
    me: str,
    zone: tzinfo | None,
    guessed: Callable[[str], bool] = lambda _message_id: False,
    *,
    newest_first: bool = False,
) -> Iterator[Widget]:
    """Messages and notes in one stream, each note just before the first message written after it.

    ``newest_first`` turns the whole stream round: the latest message or note on top.
    """
    items: list[Widget] = []
    pending = sorted(notes, key=lambda note: (note.created_at, note.id))
    for meta in metas:
        while pending and pending[0].created_at < meta.date:
            note = pending.pop(0)
            items.append(NoteView(note, members, zone, mine=note.author == me))
        items.append(MessageView(meta, zone, guessed=guessed(meta.message_id)))
    items += [NoteView(note, members, zone, mine=note.author == me) for note in pending]
    yield from reversed(items) if newest_first else items


class ReaderNotes:
    """Mixed into the reader screen, which provides `query_one`, `focused`, `notify` and the session."""

    session: Session
    conversation: Conversation
    zone: tzinfo | None
    app: App[object]

    @property
    def newest_first(self) -> bool:
        return self.session.config.interface.thread_order is ThreadOrder.NEWEST_FIRST

    @property
    def members(self) -> list[Member]:
        return [(member.name, member.email) for member in self.session.config.team.members]

    def note_widgets(self) -> Iterator[Widget]:
        """The thread's messages and notes, for the reader's compose."""
        inbox = self.session.inbox
        notes = conversation_notes(inbox, self.conversation.id)
        me = self.session.config.team.me
        metas = inbox.messages_of(self.conversation)
        yield from thread_items(
            metas, notes, self.members, me, self.zone, inbox.joined_by_subject, newest_first=self.newest_first
        )
        yield Button("+ Internal note (n)", id="add-note", compact=True)

    @property
    def selected_note(self) -> NoteView | None:
        """The note `e` edits: yours under the focus, else your latest in the thread, focused or not."""
        focused = self.focused  # type: ignore[attr-defined]
        if isinstance(focused, NoteView) and focused.mine:
            return focused
        mine = [view for view in self.query(NoteView) if view.mine]  # type: ignore[attr-defined]
        return mine[-1] if mine else None

    # -- conversation notes ----------------------------------------------------------

    def action_add_note(self) -> None:
        self.app.push_screen(NoteEditor(self.members), partial(self._save_note, None))

    def action_edit_note(self) -> None:
        if (view := self.selected_note) is not None:
            view.focus()
            self._edit(view.note)

    def on_note_view_chosen(self, event: NoteView.Chosen) -> None:
        self._edit(event.note)

    def _edit(self, note: Note) -> None:
        self.app.push_screen(NoteEditor(self.members, note), partial(self._save_note, note))

    def _save_note(self, note: Note | None, draft: NoteDraft | None) -> None:
        if draft is None:
            return
        commands, ref = self.session.commands, self.conversation.id
        try:
            if note is None:
                commands.add_note(ref, draft.text, draft.mentions)
            elif draft.delete:
                commands.delete_note(ref, note.id)
            else:
                commands.edit_note(ref, note.id, draft.text, draft.mentions)
        except CommandError as exc:
            self.app.notify(str(exc), title="Note", severity="error", markup=False)
            return
        self.relayout_notes()

    def refresh_notes(self) -> None:
        """Lay the notes out again when the inbox's differ from those on screen."""
        shown = [view.note for view in self.query(NoteView)]  # type: ignore[attr-defined]
        if shown != conversation_notes(self.session.inbox, self.conversation.id):
            self.relayout_notes()

    def relayout_notes(self) -> None:
        """Put the thread's notes back as the inbox has them now, each at its time."""
        thread = self.query_one("#thread", VerticalScroll)  # type: ignore[attr-defined]
        for view in list(thread.query(NoteView)):
            view.remove()
        messages = list(thread.query(MessageView))
        notes = conversation_notes(self.session.inbox, self.conversation.id)
        me = self.session.config.team.me
        for note in reversed(notes) if self.newest_first else notes:
            view = NoteView(note, self.members, self.zone, mine=note.author == me)
            if self.newest_first:  # before the latest message written before it
                following = next((m for m in messages if m.meta.date <= note.created_at), None)
            else:
                following = next((m for m in messages if m.meta.date > note.created_at), None)
            thread.mount(view, before=following if following is not None else thread.query_one("#add-note"))
        self.refresh_bindings()  # type: ignore[attr-defined]  # `e` is offered once the thread holds a note of yours

    # -- customer profile ------------------------------------------------------------

    def action_edit_customer(self) -> None:
        who = self.conversation.customer
        if who is None:
            self.app.notify("This conversation has no customer address.", markup=False)
            return
        profile = customer_profile(self.session.inbox, who.email, who.name)
        editor = CustomerEditor(profile.email, profile.record, self.session.config.team.me, self.zone)
        self.app.push_screen(editor, self._save_profile)

    def _save_profile(self, changes: ProfileChanges | None) -> None:
        who = self.conversation.customer
        if changes is None or who is None:
            return
        commands, ref, email = self.session.commands, self.conversation.id, who.email
        try:
            for name, value in changes.fields.items():
                commands.set_customer_field(ref, email, name, value)
            for note_id in changes.deleted:
                commands.delete_customer_note(ref, email, note_id)
            for note_id, text in changes.edited.items():
                commands.edit_customer_note(ref, email, note_id, text)
            if changes.new_note:
                commands.add_customer_note(ref, email, changes.new_note)
        except CommandError as exc:
            self.app.notify(str(exc), title="Customer", severity="error", markup=False)
        self.refresh_customer()

    def refresh_customer(self) -> None:
        who = self.conversation.customer
        if who is None:
            return
        panel = self.query_one(CustomerPanel)  # type: ignore[attr-defined]
        panel.profile = customer_profile(self.session.inbox, who.email, who.name)
        panel.suggestions = link_suggestions(self.session.inbox, panel.profile)
        panel.refresh(recompose=True)
