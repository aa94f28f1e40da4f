"""The main screen: a sidebar of views with live counts beside the conversation list.

Triage keys act on the selected conversations, or the one under the cursor when
none are selected, through the shared command layer; then the list and the counts
are rebuilt from the inbox, so what is shown is always what the store says. Each
change remembers the commands that take it back, for undo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.display.text import inert
from shared_inbox.domain.model import SEEN, Conversation
from shared_inbox.domain.query import QueryError
from shared_inbox.services.commands import CommandError
from shared_inbox.services.flags import mark_messages, mark_read
from shared_inbox.services.notes import mentioned_conversations
from shared_inbox.services.ratings import complaints
from shared_inbox.services.traffic_cop import HeldReplies
from shared_inbox.ui.dialogs.prompts import TextPrompt
from shared_inbox.ui.inbox_changes import InboxChange, follow_inbox
from shared_inbox.ui.keys import bindings_for, shown_key, spec_for
from shared_inbox.ui.screens.first_screen import ROWS_KEPT, FirstScreen, save_first_screen
from shared_inbox.ui.screens.inbox_deadlines import ListDeadlines
from shared_inbox.ui.screens.inbox_server_search import ListServerSearch
from shared_inbox.ui.screens.inbox_triage import TriageActions, UndoStep, which
from shared_inbox.ui.screens.regroup_actions import ListRegroup
from shared_inbox.ui.views import VIEWS, Undo, inverse_commands, partition
from shared_inbox.ui.widgets.conversation_list import ConversationList
from shared_inbox.ui.widgets.list_header import (
    ColumnHeaders,
    ListTitle,
    list_pane,
    title_text,
    view_order_name,
)
from shared_inbox.ui.widgets.presence_badges import ShownPresence, follow_presence
from shared_inbox.ui.widgets.steady_footer import SteadyFooter
from shared_inbox.wallclock import Now, utc_now

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

REMEMBER_AFTER = 2.0  # seconds after a change before the list is kept for the next start


def _search_binding() -> Binding:
    """The global search key, bound on this screen so it runs this screen's search."""
    spec = spec_for("search")
    return Binding(spec.key, "search", spec.description, show=spec.show, id=spec.id)


class StatusBar(Static):
    """One line: connection state, last sync, IDLE, who you are. Follows the app's `status_line`."""

    def __init__(self) -> None:
        super().__init__("", markup=False, classes="status-bar")

    def on_mount(self) -> None:
        self.watch(self.app, "status_line", self._show)

    def _show(self, line: str) -> None:
        self.update(Content(line))


class InboxScreen(TriageActions, ListRegroup, ListDeadlines, ListServerSearch, Screen[None]):
    """Sidebar, list, search line, status bar and footer."""

    DEFAULT_CSS = """
    InboxScreen #search-line {
        height: 1;
        padding: 0 1;
        background: $boost;
        display: none;
    }
    InboxScreen #search-line.-active {
        display: block;
    }
    """

    # Defaults; the app's keymap applies the user's overrides by binding id.
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings_for("triage", {}),
        *bindings_for("list", {}),
        _search_binding(),
    ]

    def __init__(self, session: Session, *, now: Now = utc_now, view_id: str = "open") -> None:
        super().__init__()
        self.session = session
        self._now = now
        self.view_id = view_id if view_id in {view.id for view in VIEWS} else "open"
        self._remember_timer: Timer | None = None
        self._shown: Sequence[Conversation] = []  # the rows of the list, in order
        self.search_query = ""
        self.counts: dict[str, int] = {}
        self._undo: list[UndoStep] = []
        self._anchor: str | None = None  # the conversation last toggled with `select`: one end of a range
        # A triage key pressed in the reader acts on the conversation shown there, not on the selection.
        self._pinned: Conversation | None = None
        self._pinned_row: int | None = None
        self._after_pinned: Callable[[], None] | None = None
        self._stale = False  # the inbox changed while the list was hidden

    def compose(self) -> ComposeResult:
        with Horizontal(id="inbox-body"):
            yield OptionList(*[Option(view.label, id=view.id) for view in VIEWS], id="sidebar")
            yield from list_pane(ConversationList(now=self._now, id="conversations"))
        yield Static("", id="search-line", markup=False)
        yield StatusBar()
        yield SteadyFooter()

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    def on_mount(self) -> None:
        sidebar = self.query_one("#sidebar", OptionList)
        sidebar.highlighted = [view.id for view in VIEWS].index(self.view_id)
        self.conversation_list.deadlines = self.deadlines_of
        self.conversation_list.kinds = self.session.inbox.kinds_of
        self.reload()
        self.conversation_list.focus()
        follow_inbox(self, self._inbox_changed)
        follow_presence(self, self._presence_shown)
        self.watch(self.app, "theme", lambda _theme: self.remember(), init=False)  # kept for the next start

    def _presence_shown(self, shown: ShownPresence) -> None:
        """Teammates' badges on the rows they are viewing or replying to."""
        self.conversation_list.presence = shown.badges
        self.conversation_list.refresh()

    def _inbox_changed(self, _change: InboxChange) -> None:
        """Mail arrived or left, flags or state changed (a burst at a time): counts and rows anew.

        Under a full screen (the reader) the list is hidden: it is rebuilt when it shows again.
        """
        if not self.is_attached:  # the app is closing
            return
        if self.app.screen is self or self.app.screen.is_modal:  # the list is on show
            self.reload()
        else:
            self._stale = True

    def on_unmount(self) -> None:
        self.remember()

    def remember(self) -> None:
        """Keep the top of the list for the next start (see `first_screen`); never a search's results."""
        if self._remember_timer is not None:
            self._remember_timer.stop()
            self._remember_timer = None
        if self.search_query or not self.counts:
            return
        views = [(view.id, view.label, self.counts.get(view.id, 0)) for view in VIEWS]
        rows = list(self._shown[:ROWS_KEPT])
        screen = FirstScreen(view_id=self.view_id, views=views, rows=rows, theme=self.app.theme)
        save_first_screen(self.session.config.store.path, screen)

    def reload(self) -> None:
        """Rebuild counts and the current view (or the search results) from the inbox."""
        self._stale = False
        if self._remember_timer is None:
            self._remember_timer = self.set_timer(REMEMBER_AFTER, self.remember)
        now = self._now()
        inbox = self.session.inbox
        me = self.session.config.team.me
        mentioned = mentioned_conversations(inbox, me)
        held = HeldReplies(self.session.store).conversation_ids()
        groups = partition(
            self.working(inbox.conversations()),
            me,
            now,
            mentioned=mentioned,
            deadlines=self.deadlines_of,
            held=held,
            delivery_failed=inbox.delivery_failed(),
            complaints=complaints(inbox),
        )
        self.counts = {view_id: len(convs) for view_id, convs in groups.items()}
        sidebar = self.query_one("#sidebar", OptionList)
        for index, view in enumerate(VIEWS):
            label = Content.assemble((f"{view.label:<11}", ""), (f"{self.counts[view.id]:>6}", "bold"))
            sidebar.replace_option_prompt_at_index(index, label)
        self._show_rows(inbox.conversations(self.search_query) if self.search_query else groups[self.view_id])

    def _show_rows(self, rows: list[Conversation]) -> None:
        """Fill the list with the view's or the search's rows, and the search line with what was searched."""
        self._shown = self.order_rows(rows)
        self.conversation_list.set_conversations(self._shown)
        line = self.query_one("#search-line", Static)
        line.set_class(bool(self.search_query), "-active")
        if self.search_query:
            note = self.server_note(rows)
            line.update(Content(f"Search: {self.search_query}  ·  {len(rows)} found{note}  ·  Esc clears"))
        self._show_title(len(rows))

    def _show_title(self, count: int) -> None:
        """The line over the list: the view or the search, how many, and in which order."""
        view = next(view for view in VIEWS if view.id == self.view_id)
        label = f"Search: {inert(self.search_query)}" if self.search_query else view.label
        order = view_order_name(self.view_id, self.sort_by_due)
        other = view_order_name(self.view_id, not self.sort_by_due)
        key = shown_key(self.app, self.session.config.keys, "sort_by_due")
        self.query_one(ListTitle).update(title_text(label, count, order, other, key))

    def on_conversation_list_columns_changed(self, event: ConversationList.ColumnsChanged) -> None:
        self.query_one(ColumnHeaders).show(event.columns)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.action_show_view(event.option.id)

    def action_show_view(self, view_id: str) -> None:
        """Switch the list to one of the sidebar's views (clearing a search)."""
        ids = [view.id for view in VIEWS]
        if view_id not in ids:
            return
        if view_id != self.view_id or self.search_query:
            self.view_id = view_id
            self.search_query = ""
            self.query_one("#sidebar", OptionList).highlighted = ids.index(view_id)
            self.reload()
            self.conversation_list.move_cursor(0)
        self.conversation_list.focus()

    def on_conversation_list_open(self, event: ConversationList.Open) -> None:
        from shared_inbox.ui.screens.reader import ReaderScreen, unread_in

        unread = unread_in(self.session, event.conversation)
        conv = self._mark_read(event.conversation)
        reader = ReaderScreen(self.session, conv, list_triage=self, unread=unread)
        self.app.push_screen(reader, lambda _: self.reload())

    def _mark_read(self, conv: Conversation) -> Conversation:
        """Mark the conversation read (the server follows at the next sync); redraw if it was unread."""
        marked = mark_read(self.session.inbox, conv)
        if marked is not conv:
            self.reload()
        return marked

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys whose feature this screen does not offer, instead of showing dead keys."""
        return hasattr(self, f"action_{action}")

    # -- search ----------------------------------------------------------------

    def action_search(self) -> None:
        prompt = TextPrompt(
            "Search conversations",
            placeholder="words, from:, to:, tag:, status:, assignee:me, is:unread, before:, after:",
            value=self.search_query,
        )
        self.app.push_screen(prompt, self._search)

    def _search(self, query: str | None) -> None:
        if query is None:
            return
        if not query.strip():
            self.action_clear_search()
            return
        try:
            self.session.inbox.conversations(query)
        except QueryError as exc:
            self.notify(str(exc), title="Search", severity="error", markup=False)
            return
        self.search_query = query.strip()
        # A search changes what the list shows, not the views' counts: no need to partition again.
        self._show_rows(self.session.inbox.conversations(self.search_query))
        self.conversation_list.move_cursor(0)

    def action_clear_search(self) -> None:
        if self.search_query:
            self.search_query = ""
            self.reload()

    def action_next_match(self) -> None:
        self._step_match(1)

    def action_prev_match(self) -> None:
        self._step_match(-1)

    def _step_match(self, step: int) -> None:
        listing = self.conversation_list
        if not self.search_query:
            self.notify("No search yet: press / to search.", markup=False)
        elif listing.rows:
            listing.move_cursor((listing.cursor + step) % len(listing.rows))

    # -- triage ----------------------------------------------------------------

    def action_select(self) -> None:
        listing = self.conversation_list
        if (conv := listing.current) is not None:
            listing.toggle_selected(conv)
            self._anchor = conv.id
            listing.action_cursor_down()

    def action_select_range(self) -> None:
        """Select every conversation between the last one toggled and the cursor (both included)."""
        listing = self.conversation_list
        ids = [conv.id for conv in listing.rows]
        if not ids:
            return
        start = ids.index(self._anchor) if self._anchor in ids else listing.cursor
        count = listing.select_rows(start, listing.cursor)
        self._anchor = ids[listing.cursor]
        self.notify(f"{len(listing.selected)} selected ({count} in this range)", markup=False)

    def action_toggle_unread(self) -> None:
        """Mark the targets unread, or read when they all are unread already; the server follows at sync."""
        targets = self._targets()
        if not targets:
            return
        make_read = all(conv.unread for conv in targets)
        inbox = self.session.inbox
        metas = [meta for conv in targets for meta in inbox.messages_of(conv)]
        if make_read:
            ids = [meta.message_id for meta in metas if meta.unread]
        else:  # unread means: the customer's latest message is new again, as in a mail client
            latest = [[m for m in inbox.messages_of(conv) if not m.outgoing][-1:] for conv in targets]
            ids = [meta.message_id for msgs in latest for meta in msgs if not meta.unread]
        mark_messages(inbox, ids, SEEN, make_read)
        self.tell(f"Marked {'read' if make_read else 'unread'} {which(targets)}", undo="toggle_unread")
        if self._pinned is None:
            self.conversation_list.clear_selection()
        self.reload()
        self._pinned_done()

    def action_compose(self) -> None:
        self._open_composer(None)

    def action_reports(self) -> None:
        """The team's figures; the screen opens at once and computes in the background."""
        from shared_inbox.ui.screens.reports import ReportsScreen

        self.app.push_screen(ReportsScreen(self.session, now=self._now))

    def action_reply(self) -> None:
        """Reply to the conversation under the cursor, as `r` does in the reader."""
        if (conv := self.conversation_list.current) is not None:
            self._open_composer(conv)

    def _open_composer(self, conv: Conversation | None) -> None:
        from shared_inbox.services.replies import Replies
        from shared_inbox.ui.screens.composer import ComposerScreen

        replies = getattr(self.app, "replies", None)
        if not isinstance(replies, Replies):
            self.notify("Writing mail is not available here.", severity="warning", markup=False)
            return
        if conv is None:
            composer = ComposerScreen(self.session, replies, None, mode="new")
        else:
            composer = ComposerScreen(self.session, replies, conv, mode="reply")
        self.app.push_screen(composer, lambda _: self.reload())

    def _targets(self) -> list[Conversation]:
        """The conversation open in the reader, else the selected ones, else the one under the cursor."""
        if self._pinned is not None:
            return [self._pinned]
        listing = self.conversation_list
        if selected := listing.selected:
            return selected
        return [listing.current] if listing.current is not None else []

    def _apply(self, command: Callable[[str], object], done: str) -> None:
        """Run `command` on every target, say what changed, remember how to undo it, clear the selection.

        `done` names the change for the agent ("Closed", "Tagged billing").
        """
        inverse: list[Undo] = []
        changed: list[Conversation] = []
        for conv in self._targets():
            before = replace(conv.state)
            try:
                made = command(conv.id)
            except CommandError as exc:
                self.notify(str(exc), severity="error", markup=False)
                break
            changed.append(conv)
            after = self.session.inbox.conversation(conv.id)
            if after is not None:
                inverse += inverse_commands(self.session.commands, conv.id, before, after.state, made)
        if inverse:
            self._undo.append(UndoStep(f"{done} {which(changed)}", inverse))
        if changed:
            self.tell(f"{done} {which(changed)}", undo="undo" if inverse else None)
        if self._pinned is None:
            self.conversation_list.clear_selection()
        self.reload()
        self._pinned_done()

    # -- acting for the reader -------------------------------------------------------

    def run_pinned(self, conv: Conversation, action: str, done: Callable[[], None]) -> None:
        """Run a triage action on `conv` (open in the reader); `done` runs once the change is made.

        Prompts (tag, snooze, assign to) answer later, so the pin lasts until the change is
        applied, or until this screen is shown again (a cancelled prompt).
        """
        rows = [c.id for c in self.conversation_list.rows]
        self._pinned = conv
        self._pinned_row = rows.index(conv.id) if conv.id in rows else None
        self._after_pinned = done
        method = getattr(self, f"action_{action}", None)
        if method is None:
            self._unpin()
            return
        method()

    def next_after(self, conv_id: str) -> Conversation | None:
        """The conversation the list shows after `conv_id`, which a change may have just moved away."""
        listing = self.conversation_list
        rows = [c.id for c in listing.rows]
        if conv_id in rows:
            index = rows.index(conv_id) + 1
        elif self._pinned_row is not None:
            index = self._pinned_row
        else:
            index = listing.cursor
        if not 0 <= index < len(rows):
            return None
        listing.move_cursor(index)
        return listing.rows[index]

    def _pinned_done(self) -> None:
        done = self._after_pinned
        self._pinned, self._after_pinned = None, None
        if done is not None:
            done()

    def _unpin(self) -> None:
        self._pinned, self._after_pinned, self._pinned_row = None, None, None

    def on_screen_resume(self) -> None:
        self._unpin()
        if self._stale:
            self.reload()
