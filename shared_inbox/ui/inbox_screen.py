"""The main screen: a sidebar of views with live counts beside the conversation list.

Triage keys act on the selected conversations, or the one under the cursor when
none are selected, through the shared command layer; then the list and the counts
are rebuilt from the inbox, so what is shown is always what the store says. Each
change remembers the commands that take it back, for undo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.domain.model import SEEN, Conversation, ConversationState, Status
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.domain.query import QueryError
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.flags import PendingFlags
from shared_inbox.ui.conversation_list import ConversationList
from shared_inbox.ui.keys import bindings_for, spec_for
from shared_inbox.ui.prompts import ChoicePrompt, Picked, TextPrompt, snooze_presets

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_snoozed(conv: Conversation, now: datetime) -> bool:
    until = conv.state.snoozed_until
    return until is not None and until > now and conv.state.status in (Status.ACTIVE, Status.PENDING)


@dataclass(frozen=True)
class View:
    """A named filter of the sidebar; `matches(conv, me, now)` decides membership."""

    id: str
    label: str
    matches: Callable[[Conversation, str, datetime], bool]


def _waiting(c: Conversation, now: datetime, status: Status = Status.ACTIVE) -> bool:
    return c.state.status is status and not is_snoozed(c, now)


def _unassigned(c: Conversation, me: str, now: datetime) -> bool:
    return _waiting(c, now) and c.state.assignee is None


def _mine(c: Conversation, me: str, now: datetime) -> bool:
    return c.state.assignee == me and (_waiting(c, now) or _waiting(c, now, Status.PENDING))


VIEWS: tuple[View, ...] = (
    View("unassigned", "Unassigned", _unassigned),
    View("mine", "Mine", _mine),
    View("open", "All open", lambda c, me, now: _waiting(c, now)),
    View("pending", "Pending", lambda c, me, now: _waiting(c, now, Status.PENDING)),
    View("snoozed", "Snoozed", lambda c, me, now: is_snoozed(c, now)),
    View("closed", "Closed", lambda c, me, now: c.state.status is Status.CLOSED),
    View("spam", "Spam", lambda c, me, now: c.state.status is Status.SPAM),
)


def partition(convs: Sequence[Conversation], me: str, now: datetime) -> dict[str, list[Conversation]]:
    """Each view's conversations, in the inbox's order."""
    return {view.id: [c for c in convs if view.matches(c, me, now)] for view in VIEWS}


Undo = Callable[[], object]


def inverse_commands(
    commands: Commands, ref: str, before: ConversationState, after: ConversationState
) -> list[Undo]:
    """The commands that take a conversation from `after` back to `before`, touching only what differs."""
    steps: list[Undo] = []
    if before.status is not after.status:
        steps.append(partial(commands.set_status, ref, before.status.value))
    if before.assignee != after.assignee:
        if before.assignee is None:
            steps.append(partial(commands.unassign, ref))
        else:
            steps.append(partial(commands.assign, ref, before.assignee))
    steps.extend(partial(commands.untag, ref, tag) for tag in sorted(after.tags - before.tags))
    steps.extend(partial(commands.tag, ref, tag) for tag in sorted(before.tags - after.tags))
    if before.snoozed_until != after.snoozed_until:
        if before.snoozed_until is None:
            steps.append(partial(commands.unsnooze, ref))
        else:
            steps.append(partial(commands.snooze, ref, before.snoozed_until))
    return steps


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


class InboxScreen(Screen[None]):
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
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("list", {}), _search_binding()]

    def __init__(self, session: Session, *, now: Now = _utc_now) -> None:
        super().__init__()
        self.session = session
        self._now = now
        self.view_id = "open"
        self.search_query = ""
        self.counts: dict[str, int] = {}
        self._undo: list[list[Undo]] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="inbox-body"):
            yield OptionList(*[Option(view.label, id=view.id) for view in VIEWS], id="sidebar")
            yield ConversationList(now=self._now, id="conversations")
        yield Static("", id="search-line", markup=False)
        yield StatusBar()
        yield Footer()

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    def on_mount(self) -> None:
        sidebar = self.query_one("#sidebar", OptionList)
        sidebar.highlighted = [view.id for view in VIEWS].index(self.view_id)
        self.reload()
        self.conversation_list.focus()

    def reload(self) -> None:
        """Rebuild counts and the current view (or the search results) from the inbox."""
        now = self._now()
        inbox = self.session.inbox
        groups = partition(inbox.conversations(), self.session.config.team.me, now)
        self.counts = {view_id: len(convs) for view_id, convs in groups.items()}
        sidebar = self.query_one("#sidebar", OptionList)
        for index, view in enumerate(VIEWS):
            label = Content.assemble((f"{view.label:<11}", ""), (f"{self.counts[view.id]:>6}", "bold"))
            sidebar.replace_option_prompt_at_index(index, label)
        rows = inbox.conversations(self.search_query) if self.search_query else groups[self.view_id]
        self.conversation_list.set_conversations(rows)
        line = self.query_one("#search-line", Static)
        line.set_class(bool(self.search_query), "-active")
        if self.search_query:
            line.update(Content(f"Search: {self.search_query}  ·  {len(rows)} found  ·  Esc clears"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None and (event.option.id != self.view_id or self.search_query):
            self.view_id = event.option.id
            self.search_query = ""
            self.conversation_list.cursor = 0
            self.reload()
        self.conversation_list.focus()

    def on_conversation_list_open(self, event: ConversationList.Open) -> None:
        from shared_inbox.ui.reader import ReaderScreen

        conv = self._mark_read(event.conversation)
        self.app.push_screen(ReaderScreen(self.session, conv), lambda _: self.reload())

    def _mark_read(self, conv: Conversation) -> Conversation:
        """Mark the conversation's unread messages read, locally now and on the server at the next sync."""
        unread = [meta.message_id for meta in self.session.inbox.messages_of(conv) if meta.unread]
        if not unread or not PendingFlags(self.session.store).mark(unread, SEEN, True):
            return conv
        for message_id in unread:
            self.session.inbox.reload_message(message_id)
        self.reload()
        return self.session.inbox.conversation(conv.id) or conv

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
        self.conversation_list.cursor = 0
        self.reload()

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
            listing.action_cursor_down()

    def action_assign_me(self) -> None:
        me = self.session.config.team.me
        self._apply(lambda ref: self.session.commands.assign(ref, me))

    def action_unassign(self) -> None:
        self._apply(self.session.commands.unassign)

    def action_close(self) -> None:
        self._set_status(Status.CLOSED)

    def action_pending(self) -> None:
        self._set_status(Status.PENDING)

    def action_spam(self) -> None:
        self._set_status(Status.SPAM)

    def action_reopen(self) -> None:
        self._set_status(Status.ACTIVE)

    def action_assign_to(self) -> None:
        if not self._targets():
            return
        members = [(m.email, m.display()) for m in self.session.config.team.members]
        self.app.push_screen(ChoicePrompt("Assign to", members), self._assign_to)

    def _assign_to(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            assignee = picked.choice
            self._apply(lambda ref: self.session.commands.assign(ref, assignee))

    def action_tag(self) -> None:
        if self._targets():
            self.app.push_screen(TextPrompt("Tag with", placeholder="one word, e.g. billing"), self._tag)

    def _tag(self, tag: str | None) -> None:
        if tag is not None and tag.strip():
            self._apply(lambda ref: self.session.commands.tag(ref, tag))

    def action_untag(self) -> None:
        tags = sorted({tag for conv in self._targets() for tag in conv.state.tags})
        if not tags:
            self.notify("No tags to remove.", markup=False)
            return
        self.app.push_screen(ChoicePrompt("Remove tag", [(t, t) for t in tags]), self._untag)

    def _untag(self, picked: Picked | None) -> None:
        if picked is not None and picked.choice:
            tag = picked.choice
            self._apply(lambda ref: self.session.commands.untag(ref, tag))

    def action_snooze(self) -> None:
        if not self._targets():
            return
        presets = snooze_presets(self._now())
        prompt = ChoicePrompt(
            "Snooze until",
            [(key, label) for key, label, _ in presets],
            typed_hint="or type a time: in 2 days, friday 14:00, 2024-12-03 9:00",
        )
        self.app.push_screen(prompt, partial(self._snooze, {key: at for key, _, at in presets}))

    def _snooze(self, presets: dict[str, datetime], picked: Picked | None) -> None:
        if picked is None:
            return
        if picked.choice is not None:
            until = presets[picked.choice]
        else:
            try:
                until = parse_follow_up(picked.text, self._now().astimezone())
            except FollowUpError as exc:
                self.notify(str(exc), title="Snooze", severity="error", markup=False)
                return
        self._apply(lambda ref: self.session.commands.snooze(ref, until))

    def action_undo(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo.", markup=False)
            return
        for step in self._undo.pop():
            try:
                step()
            except CommandError as exc:
                self.notify(str(exc), severity="error", markup=False)
        self.reload()

    def _set_status(self, status: Status) -> None:
        self._apply(lambda ref: self.session.commands.set_status(ref, status.value))

    def _targets(self) -> list[Conversation]:
        """The selected conversations, or else the one under the cursor."""
        listing = self.conversation_list
        if selected := listing.selected:
            return selected
        return [listing.current] if listing.current is not None else []

    def _apply(self, command: Callable[[str], object]) -> None:
        """Run `command` on every target, remember how to undo it, then clear the selection."""
        inverse: list[Undo] = []
        for conv in self._targets():
            before = replace(conv.state)
            try:
                command(conv.id)
            except CommandError as exc:
                self.notify(str(exc), severity="error", markup=False)
                break
            after = self.session.inbox.conversation(conv.id)
            if after is not None:
                inverse += inverse_commands(self.session.commands, conv.id, before, after.state)
        if inverse:
            self._undo.append(inverse)
        self.conversation_list.clear_selection()
        self.reload()
