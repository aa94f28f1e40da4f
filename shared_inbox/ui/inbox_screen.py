"""The main screen: a sidebar of views with live counts beside the conversation list.

Triage keys act on the conversation under the cursor through the shared command
layer, then the list and the counts are rebuilt from the inbox, so what is shown
is always what the store says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.domain.model import Conversation, Status
from shared_inbox.services.commands import CommandError
from shared_inbox.ui.conversation_list import ConversationList
from shared_inbox.ui.keys import bindings_for

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


class StatusBar(Static):
    """One line: connection state, last sync, IDLE, who you are. Follows the app's `status_line`."""

    def __init__(self) -> None:
        super().__init__("", markup=False, classes="status-bar")

    def on_mount(self) -> None:
        self.watch(self.app, "status_line", self._show)

    def _show(self, line: str) -> None:
        self.update(Content(line))


class InboxScreen(Screen[None]):
    """Sidebar, list, status bar and footer."""

    # Defaults; the app's keymap applies the user's overrides by binding id.
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("list", {})]

    def __init__(self, session: Session, *, now: Now = _utc_now) -> None:
        super().__init__()
        self.session = session
        self._now = now
        self.view_id = "open"
        self.counts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="inbox-body"):
            yield OptionList(*[Option(view.label, id=view.id) for view in VIEWS], id="sidebar")
            yield ConversationList(now=self._now, id="conversations")
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
        """Rebuild counts and the current view from the inbox."""
        now = self._now()
        groups = partition(self.session.inbox.conversations(), self.session.config.team.me, now)
        self.counts = {view_id: len(convs) for view_id, convs in groups.items()}
        sidebar = self.query_one("#sidebar", OptionList)
        for index, view in enumerate(VIEWS):
            label = Content.assemble((f"{view.label:<11}", ""), (f"{self.counts[view.id]:>6}", "bold"))
            sidebar.replace_option_prompt_at_index(index, label)
        self.conversation_list.set_conversations(groups[self.view_id])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None and event.option.id != self.view_id:
            self.view_id = event.option.id
            self.conversation_list.cursor = 0
            self.reload()
        self.conversation_list.focus()

    def on_conversation_list_open(self, event: ConversationList.Open) -> None:
        from shared_inbox.ui.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(self.session, event.conversation), lambda _: self.reload())

    # -- list actions ----------------------------------------------------------

    def action_assign_me(self) -> None:
        self._change(lambda ref: self.session.commands.assign(ref, self.session.config.team.me))

    def action_close(self) -> None:
        self._set_status(Status.CLOSED)

    def action_pending(self) -> None:
        self._set_status(Status.PENDING)

    def action_spam(self) -> None:
        self._set_status(Status.SPAM)

    def action_reopen(self) -> None:
        self._set_status(Status.ACTIVE)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys whose feature this screen does not offer, instead of showing dead keys."""
        return hasattr(self, f"action_{action}")

    def _set_status(self, status: Status) -> None:
        self._change(lambda ref: self.session.commands.set_status(ref, status.value))

    def _change(self, command: Callable[[str], object]) -> None:
        conv = self.conversation_list.current
        if conv is None:
            return
        try:
            command(conv.id)
        except CommandError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.reload()
