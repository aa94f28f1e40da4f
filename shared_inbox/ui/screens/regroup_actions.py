"""Merge and split keys: correcting threading by hand, each change one key away from undo.

In the list, merge joins the selected conversations, or (one target) the one under the cursor
with a conversation picked from a short list: the customer's other conversations first. The
reader hands merge to the list like any triage key, and splits the message under the cursor
(picked in a list that starts there) out with its replies. Both go through the one merging
service the command line uses, and leave an undo step in the list's undo history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll

from shared_inbox.display.text import inert
from shared_inbox.domain.model import Conversation, MessageMeta
from shared_inbox.domain.subjects import base_subject
from shared_inbox.services import merging
from shared_inbox.services.commands import CommandError
from shared_inbox.services.customers import customer_profile
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked
from shared_inbox.ui.screens.inbox_triage import UndoStep, which
from shared_inbox.ui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session
    from shared_inbox.ui.screens.reader_triage import ListTriage
    from shared_inbox.ui.widgets.conversation_list import ConversationList

CANDIDATES = 30  # conversations offered to merge with; typing an id reaches any other
READ_PAST = 3  # a message with no more than this many lines left at the top of the view has been read


def merge_candidates(
    session: Session, conv: Conversation, shown: Sequence[Conversation]
) -> list[tuple[str, str]]:
    """(id, label) of conversations to merge ``conv`` with: the same customer's first, then those
    with the same subject (a reply that lost its headers), then the rest of the list."""
    same = customer_profile(session.inbox, conv.customer.email).conversations if conv.customer else ()
    subject = base_subject(conv.subject)
    alike = [other for other in shown if subject and base_subject(other.subject) == subject]
    picked: dict[str, Conversation] = {}
    for other in (*same, *alike, *shown):
        if other.id != conv.id and other.id not in picked and len(picked) < CANDIDATES:
            picked[other.id] = other
    return [(other.id, _label(other)) for other in picked.values()]


def _label(conv: Conversation) -> str:
    who = (conv.customer.name or conv.customer.email) if conv.customer else "no customer"
    return inert(f"{conv.subject or '(no subject)'} · {who} · {conv.id}")


class ListRegroup:
    """Mixed into the list screen, which provides targets, the undo history and the pin."""

    session: Session
    _undo: list[UndoStep]

    if TYPE_CHECKING:
        app: App[object]
        _pinned: Conversation | None

        @property
        def conversation_list(self) -> ConversationList: ...

        def _targets(self) -> list[Conversation]: ...

        def reload(self) -> None: ...

        def _pinned_done(self) -> None: ...

        def tell(self, what: str, *, undo: str | None = "undo") -> None: ...

    def action_merge(self) -> None:
        targets = self._targets()
        if len(targets) >= 2:
            self._merge(targets, [conv.id for conv in targets])
            return
        if not targets:
            return
        conv = targets[0]
        choices = merge_candidates(self.session, conv, self.conversation_list.rows)
        prompt = ChoicePrompt(f"Merge {which([conv])} with", choices, typed_hint="or type a conversation id")
        self.app.push_screen(prompt, partial(self._merge_picked, conv))

    def _merge_picked(self, conv: Conversation, picked: Picked | None) -> None:
        if picked is None:
            return  # the pin lasts until the list is shown again, as with every prompt
        other = picked.choice or picked.text.strip()
        if other:
            self._merge([conv], [conv.id, other])

    def _merge(self, convs: Sequence[Conversation], refs: list[str]) -> None:
        inbox, commands = self.session.inbox, self.session.commands
        try:
            done = merging.merge(inbox, commands, refs)
        except CommandError as exc:
            self.app.notify(str(exc), title="Merge", severity="error", markup=False)
        else:
            merged = inbox.conversation(done.conversation_id)
            what = f"Merged {len(refs)} conversations into {which([merged] if merged else convs)}"
            self.remember_undo(UndoStep(what, [partial(merging.undo, inbox, commands, done.event)]))
            self.tell(what)
            if self._pinned is None:
                self.conversation_list.clear_selection()
        self.reload()
        self._pinned_done()

    def remember_undo(self, step: UndoStep) -> None:
        """Keep a change the reader made (a split) in the one undo history."""
        self._undo.append(step)


class ReaderRegroup:
    """Mixed into the reader, which provides the conversation, the list that opened it and a reload."""

    session: Session
    conversation: Conversation
    zone: tzinfo | None
    list_triage: ListTriage | None

    if TYPE_CHECKING:
        app: App[object]

        def _triage(self, action: str) -> None: ...

        def reload_conversation(self) -> None: ...

    def action_merge(self) -> None:
        self._triage("merge")

    def action_split(self) -> None:
        metas = self.session.inbox.messages_of(self.conversation)
        if len(metas) < 2:
            self.app.notify("A conversation of one message has nothing to split off.", markup=False)
            return
        later = metas[1:]
        under = self.message_under_cursor()
        start = next((n for n, meta in enumerate(later) if meta.message_id == under), 0)
        choices = [(meta.message_id, self._message_label(meta)) for meta in later]
        prompt = ChoicePrompt("Split off which message, with its replies?", choices, highlighted=start)
        self.app.push_screen(prompt, self._split)

    def message_under_cursor(self) -> str | None:
        """The message the agent is at: the one holding the focus, else the first one still in view."""
        views: list[MessageView] = list(self.query(MessageView))  # type: ignore[attr-defined]
        focused = self.focused  # type: ignore[attr-defined]
        for view in views:
            if focused is view or (focused is not None and view in getattr(focused, "ancestors", ())):
                return view.meta.message_id
        top = self.query_one("#thread", VerticalScroll).scroll_y  # type: ignore[attr-defined]
        for view in views:
            region = view.virtual_region
            if region.y + region.height > top + READ_PAST:
                return view.meta.message_id
        return views[-1].meta.message_id if views else None

    def _message_label(self, meta: MessageMeta) -> str:
        when = meta.date.astimezone(self.zone).strftime("%d %b %H:%M")
        return inert(f"{when} · {meta.sender.name or meta.sender.email}")

    def _split(self, picked: Picked | None) -> None:
        if picked is None or not picked.choice:
            return
        inbox, commands = self.session.inbox, self.session.commands
        try:
            done = merging.split(inbox, commands, picked.choice)
        except CommandError as exc:
            self.app.notify(str(exc), title="Split", severity="error", markup=False)
            return
        moved = inbox.conversation(done.conversation_id)
        count = f"{done.moved} message" + ("" if done.moved == 1 else "s")
        what = f"Split {count} off into {which([moved]) if moved else done.conversation_id}"
        undo: Callable[[], object] = partial(merging.undo, inbox, commands, done.event)
        if self.list_triage is not None:
            self.list_triage.remember_undo(UndoStep(what, [undo]))
        self.tell_split(what, undoable=self.list_triage is not None)
        self.reload_conversation()

    def tell_split(self, what: str, *, undoable: bool) -> None:
        from shared_inbox.ui.keys import shown_key

        hint = f"  ·  {shown_key(self.app, self.session.config.keys, 'undo')} undoes" if undoable else ""
        self.app.notify(f"{what}{hint}", markup=False)
