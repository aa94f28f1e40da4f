"""The screen shown while the store opens: the list as the agent left it, read-only.

It has the inbox screen's layout, so swapping in the live screen changes nothing but the
data. It imports only what drawing needs; the mail, store and sync code load meanwhile.
Keys typed meanwhile are kept, and pressed again on the live screen: an agent who knows
the list types ahead, and a key dropped without a word is a change silently not made.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.ui.screens.first_screen import FirstScreen
from shared_inbox.ui.widgets.conversation_list import ConversationList
from shared_inbox.ui.widgets.list_header import ColumnHeaders, ListTitle, list_pane
from shared_inbox.ui.widgets.steady_footer import SteadyFooter

OPENING = "Opening the mailbox…"
TYPED_AHEAD = "Still opening the mailbox: the keys you type run as soon as it is open."
Typed = tuple[str, str | None]  # a key's name and the character it typed


def replay_keys(app: App[Any], keys: Sequence[Typed], screen: Screen[Any]) -> None:
    """Press `keys` again once `screen` is mounted, each after the one before has been handled."""

    def press(remaining: Sequence[Typed]) -> None:
        if not remaining:
            return
        if not screen.is_mounted:
            app.call_after_refresh(press, remaining)
            return
        key, character = remaining[0]
        app.post_message(events.Key(key, character))
        app.call_after_refresh(press, remaining[1:])

    app.call_after_refresh(press, list(keys))


class StartScreen(Screen[None]):
    """A preview of the inbox screen from `FirstScreen`; keys wait until the live screen replaces it."""

    def __init__(
        self, preview: FirstScreen | None, *, now: Callable[[], datetime], let_through: Collection[str] = ()
    ) -> None:
        """`let_through` names keys that act at once (quit), instead of waiting for the live screen."""
        super().__init__()
        self.preview = preview
        self._now = now
        self._let_through = frozenset(let_through)
        self.typed: list[Typed] = []

    def compose(self) -> ComposeResult:
        views = self.preview.views if self.preview else []
        with Horizontal(id="inbox-body"):
            options = [
                Option(Content.assemble((f"{label:<11}", ""), (f"{count:>6}", "bold")), id=view_id)
                for view_id, label, count in views
            ]
            yield OptionList(*options, id="sidebar")
            yield from list_pane(ConversationList(now=self._now, id="conversations"))
        note = OPENING if self.preview is None else f"{OPENING} showing the list as you left it"
        yield Static(Content(note), classes="status-bar", markup=False)
        yield SteadyFooter()

    def on_mount(self) -> None:
        if self.preview is None:
            return
        ids = [view_id for view_id, _, _ in self.preview.views]
        if self.preview.view_id in ids:
            self.query_one("#sidebar", OptionList).highlighted = ids.index(self.preview.view_id)
        listing = self.query_one(ConversationList)
        listing.set_conversations(self.preview.rows)
        listing.focus()
        label = next(
            (label for view_id, label, _ in self.preview.views if view_id == self.preview.view_id), ""
        )
        self.query_one(ListTitle).update(Text.assemble((label, "bold"), "  ·  opening…", no_wrap=True))

    def on_conversation_list_columns_changed(self, event: ConversationList.ColumnsChanged) -> None:
        self.query_one(ColumnHeaders).show(event.columns)

    def on_key(self, event: events.Key) -> None:
        """Keep the key for the live screen, and say so the first time."""
        if event.key in self._let_through:
            return
        event.stop()
        event.prevent_default()
        if not self.typed:
            self.notify(TYPED_AHEAD, markup=False)
        self.typed.append((event.key, event.character))

    def on_conversation_list_open(self, event: ConversationList.Open) -> None:
        self.notify("Still opening the mailbox; one moment.", markup=False)
