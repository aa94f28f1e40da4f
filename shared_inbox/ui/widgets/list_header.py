"""The two lines above the conversation list: where you are, and what each column is.

The title names the view (or the search), how many conversations it holds and how they are
sorted, with the key that changes the order; the column headers come from the same layout as
the rows (`list_columns.layout`), so they line up at every width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from shared_inbox.display.text import fit
from shared_inbox.ui.widgets.conversation_list import ConversationList
from shared_inbox.ui.widgets.list_columns import Column

# How each view orders its rows when not sorted by deadline (see `views.view_order`).
VIEW_ORDER = {"closed": "newest first", "spam": "newest first", "snoozed": "by wake-up time"}
WAITING = "by waiting time"
BY_DUE = "by next deadline"


def view_order_name(view_id: str, by_due: bool) -> str:
    """How the list is sorted right now, in words."""
    return BY_DUE if by_due else VIEW_ORDER.get(view_id, WAITING)


def title_text(label: str, count: int, order: str, other: str, sort_key: str) -> Text:
    """ "All open · 18 conversations · by waiting time (S: by next deadline)", as plain text."""
    noun = "conversation" if count == 1 else "conversations"
    return Text.assemble(
        (label, "bold"),
        f"  ·  {count} {noun}  ·  sorted {order}",
        (f"  ({sort_key}: {other})", "dim"),
        no_wrap=True,
        overflow="ellipsis",
    )


def header_text(columns: Sequence[Column]) -> Text:
    """Each column's title, cut or padded to its width and aligned as its cells are."""
    parts = []
    for index, column in enumerate(columns):
        gap = " " if 0 < index < len(columns) - 1 else ""
        title = f"{column.title:>{column.width}}" if column.align == ">" else column.title
        parts.append(fit(title, column.width) + gap)
    return Text("".join(parts), no_wrap=True, end="")


class ColumnHeaders(Widget):
    """The column titles over the list; `show` gives it the list's current columns."""

    DEFAULT_CSS = """
    ColumnHeaders {
        height: 1;
        background: $surface;
        color: $text-muted;
        text-style: bold;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="column-headers")
        self.columns: list[Column] = []

    def show(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.refresh()

    def render(self) -> Text:
        return header_text(self.columns)


class ListTitle(Static):
    """The view (or search), its count and its order."""

    DEFAULT_CSS = """
    ListTitle {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="list-title", markup=False)


def list_pane(conversations: ConversationList) -> ComposeResult:
    """Title, column headers and the list, stacked: the inbox and the start screen share it."""
    with Vertical(id="list-pane"):
        yield ListTitle()
        yield ColumnHeaders()
        yield conversations
