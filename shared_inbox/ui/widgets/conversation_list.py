"""The conversation list: one line per conversation, drawn only for the rows on screen.

A widget per row would cost seconds with tens of thousands of conversations, so
this is a ScrollView using the Line API: it keeps a plain Python list and
renders the visible lines on demand. Mail text enters only as `rich.text.Text`
plain strings, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from shared_inbox.display.text import age, countdown, fit, short_assignee
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.ui.keys import bindings_for
from shared_inbox.ui.widgets.list_columns import Column, layout
from shared_inbox.wallclock import Now, utc_now

if TYPE_CHECKING:
    from shared_inbox.domain.message_kinds import KindSummary
    from shared_inbox.services.deadlines import Deadlines

# By urgency (a deadline `Urgency` value); anything else owed is dim.
BADGE_CLASSES = {"at_risk": "conversation-list--due-at-risk", "overdue": "conversation-list--due-overdue"}

SELECTED_MARK = "●"
CURSOR_ACTIONS = frozenset({"cursor_down", "cursor_up", "first", "last", "open"})


class ConversationList(ScrollView, can_focus=True):
    """A virtualized list of conversations with a cursor."""

    # The cursor keys live here so the list works anywhere; triage keys belong to the screen.
    BINDINGS: ClassVar[list[BindingType]] = [
        binding for binding in bindings_for("list", {}) if binding.action in CURSOR_ACTIONS
    ]

    COMPONENT_CLASSES = {
        "conversation-list--cursor",
        "conversation-list--unread",
        "conversation-list--status-pending",
        "conversation-list--status-closed",
        "conversation-list--status-spam",
        "conversation-list--dim",
        "conversation-list--due",
        "conversation-list--due-at-risk",
        "conversation-list--due-overdue",
        "conversation-list--presence",
        "conversation-list--delivery-failed",
        "conversation-list--machine",
    }

    class ColumnsChanged(Message):
        """The list's width changed which columns it shows, or how wide they are."""

        def __init__(self, columns: list[Column]) -> None:
            super().__init__()
            self.columns = columns

    class Open(Message):
        """The user asked to open the conversation under the cursor."""

        def __init__(self, conversation: Conversation) -> None:
            super().__init__()
            self.conversation = conversation

    def __init__(
        self,
        *,
        now: Now = utc_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._now = now
        self._rows: list[Conversation] = []
        self._selected: set[str] = set()
        self.cursor = 0
        # Set by the screen: the countdown column asks it for the rows on screen only.
        self.deadlines: Callable[[Conversation], Deadlines] | None = None
        # Set by the app: a short badge per conversation a teammate is viewing or replying to.
        self.presence: Mapping[str, str] = {}
        # Set by the screen: who wrote each conversation's messages, for the delivery and bulk badges.
        self.kinds: Callable[[Conversation], KindSummary] | None = None
        self.columns: list[Column] = []
        self._columns_width = -1
        self._styles_now: dict[str, Style] | None = None  # while a repaint is under way

    # -- data ------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[Conversation]:
        return self._rows

    @property
    def current(self) -> Conversation | None:
        return self._rows[self.cursor] if 0 <= self.cursor < len(self._rows) else None

    @property
    def selected(self) -> list[Conversation]:
        """The selected conversations, in list order."""
        return [conv for conv in self._rows if conv.id in self._selected]

    def is_selected(self, conv: Conversation) -> bool:
        return conv.id in self._selected

    def toggle_selected(self, conv: Conversation) -> None:
        self._selected.symmetric_difference_update({conv.id})
        self.refresh()

    def select_rows(self, start: int, end: int) -> int:
        """Select every row from `start` to `end` inclusive (either order); returns how many rows."""
        low, high = sorted((max(0, start), min(end, len(self._rows) - 1)))
        self._selected.update(conv.id for conv in self._rows[low : high + 1])
        self.refresh()
        return max(0, high - low + 1)

    def clear_selection(self) -> None:
        self._selected.clear()
        self.refresh()

    def set_conversations(self, conversations: Sequence[Conversation]) -> None:
        """Replace the rows, keeping the cursor on the same conversation when it is still listed.

        Selected conversations that are no longer listed drop out of the selection, so a
        bulk action never touches something the user cannot see.
        """
        previous = self.current
        self._rows = list(conversations)
        self._selected.intersection_update(conv.id for conv in self._rows)
        position = self.cursor
        if previous is not None:
            for index, conv in enumerate(self._rows):
                if conv.id == previous.id:
                    position = index
                    break
        self.cursor = max(0, min(position, len(self._rows) - 1))
        self.virtual_size = Size(self.size.width, len(self._rows))
        self._follow_cursor()
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._rows))

    # -- cursor ----------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        if not self._rows:
            return
        target = max(0, min(row, len(self._rows) - 1))
        if target == self.cursor:
            return
        previous, top = self.cursor, self.scroll_offset.y
        self.cursor = target
        self._follow_cursor()
        if self.scroll_offset.y == top:  # the same rows on screen: only the two cursor rows change
            self.refresh_line(previous)
            self.refresh_line(target)
        else:
            self.refresh()

    def _follow_cursor(self) -> None:
        self.scroll_to_region(Region(0, self.cursor, max(1, self.size.width), 1), animate=False, force=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_open(self) -> None:
        if (conv := self.current) is not None:
            self.post_message(self.Open(conv))

    def on_click(self, event: Click) -> None:
        row = int(self.scroll_offset.y) + event.y
        if 0 <= row < len(self._rows):
            if row == self.cursor and event.chain >= 2:
                self.action_open()
            self.move_cursor(row)

    # -- rendering -------------------------------------------------------------

    def _lay_out(self, width: int) -> None:
        """Work out the columns for `width` and tell the column headers when they change."""
        self._columns_width = width
        columns = layout(width)
        if columns != self.columns:
            self.columns = columns
            self.post_message(self.ColumnsChanged(columns))

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the rows in `crop`, looking each style up once for all of them rather than once a row."""
        self._styles_now = {}
        try:
            return super().render_lines(crop)
        finally:
            self._styles_now = None

    def _style(self, name: str) -> Style:
        """A component class's style; kept for the rest of a repaint while one is under way."""
        kept = self._styles_now
        if kept is None:
            return self.get_component_rich_style(name)
        style = kept.get(name)
        if style is None:
            style = kept[name] = self.get_component_rich_style(name)
        return style

    def _base_style(self) -> Style:
        kept = self._styles_now
        if kept is None:
            return self.rich_style
        style = kept.get("")
        if style is None:
            style = kept[""] = self.rich_style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._columns_width:
            self._lay_out(width)
        base = self._base_style()
        index = int(self.scroll_offset.y) + y
        if index >= len(self._rows):
            return Strip.blank(width, base)
        text = self.row_text(self._rows[index], width, base)
        style = base
        if index == self.cursor:
            # Laid over the whole row last, so no unread, status or deadline colour can hide it.
            style = base + self._style("conversation-list--cursor")
            text.stylize(style)
        return Strip(list(text.render(self.app.console, end=""))).adjust_cell_length(width, style)

    def row_text(self, conv: Conversation, width: int, style: Style) -> Text:
        """One row as plain styled text, in the columns `layout(width)` keeps."""
        if conv.unread:
            style = style + self._style("conversation-list--unread")
        dim = style + self._style("conversation-list--dim")
        status = conv.state.status
        status_style = style
        if status is not Status.ACTIVE:
            status_style = style + self._style(f"conversation-list--status-{status.value}")
        due_text, due_style = self._countdown(conv, style)
        columns = self.columns if width == self._columns_width else layout(width)
        cells: dict[str, tuple[str, Style]] = {
            "mark": (SELECTED_MARK if conv.id in self._selected else "", style),
            "customer": (self._customer(conv, columns), style),
            "subject": (conv.subject or "(no subject)", style),
            "status": (status.value, status_style),
            "assignee": (short_assignee(conv.state.assignee), style),
            "tags": (" ".join(sorted(conv.state.tags)), dim),
            "count": (str(len(conv.message_ids)), dim),
            # Bulk mail waits on nobody, yet its age still tells how old the conversation is.
            "age": (age(conv.last_customer_message or conv.last_activity, self._now()), style),
            "due": (due_text, due_style),
        }
        parts: list[tuple[str, Style]] = []
        for index, column in enumerate(columns):
            text, cell_style = cells[column.id]
            gap = " " if 0 < index < len(columns) - 1 else ""
            if column.id == "subject" and (badges := self._subject_badges(conv, style, column.width)):
                room = column.width
                for badge, badge_style in badges:
                    parts.append((badge, badge_style))
                    room -= cell_len(badge)
                parts.append((fit(text, room) + gap, cell_style))
                continue
            shown = f"{text:>{column.width}}" if column.align == ">" else text
            parts.append((fit(shown, column.width) + gap, cell_style))
        return Text.assemble(*parts, no_wrap=True, end="")

    def _subject_badges(self, conv: Conversation, style: Style, width: int) -> list[tuple[str, Style]]:
        """Short notes before the subject: who is viewing it, where our mail bounced, bulk mail."""
        badges: list[tuple[str, Style]] = []
        if present := self.presence.get(conv.id, ""):
            presence = style + self._style("conversation-list--presence")
            badges.append((fit(present, min(cell_len(present), width // 3)) + " ", presence))
        summary = self.kinds(conv) if self.kinds is not None else None
        if summary is not None and summary.delivery_failures:
            failed = "✗ " + summary.delivery_failures[-1].describe()
            warn = style + self._style("conversation-list--delivery-failed")
            badges.append((fit(failed, min(cell_len(failed), width * 2 // 3)) + " ", warn))
        elif summary is not None and summary.counts["bulk"] and not summary.counts["customer"]:
            badges.append(("bulk ", style + self._style("conversation-list--machine")))
        return badges

    @staticmethod
    def _customer(conv: Conversation, columns: Sequence[Column]) -> str:
        """Name and address when they fit the column, else the name alone (the address is in the reader)."""
        who = conv.customer
        if who is None:
            return ""
        width = next((column.width for column in columns if column.id == "customer"), 0)
        full = who.display()
        return full if cell_len(full) <= width or not who.name else who.name

    def _countdown(self, conv: Conversation, style: Style) -> tuple[str, Style]:
        """The time to the next deadline, coloured by how urgent it is; empty when nothing is owed."""
        if self.deadlines is None:
            return "", style
        owed = self.deadlines(conv)
        if owed.next_due is None:
            return "", style
        name = BADGE_CLASSES.get(owed.urgency, "conversation-list--due")
        return countdown(owed.next_due, self._now()), style + self._style(name)
