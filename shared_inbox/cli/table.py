"""A human-readable conversation list for the terminal (scripts use --json).

Ids are typed back into `set` and `reply`, so they are always shown whole, as is the
status; when the line is too short (a pipe counts as 80 columns) the names and the
subject are cut, and past that the least useful columns are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared_inbox.domain.model import Conversation

COLUMNS = ("id", "status", "assignee", "customer", "subject", "msgs", "last activity")
WHOLE = frozenset({"id", "status", "msgs", "last activity"})
LEFT_OUT_FIRST = ("last activity", "msgs", "assignee", "customer")
GAP = 2  # the table's padding between two columns
NARROWEST = 8  # a cut column keeps at least this many cells


def print_table(convs: Sequence[Conversation], console: Console | None = None) -> None:
    console = console or Console()
    rows = [_cells(conv) for conv in convs]
    natural = {name: max([len(name)] + [row[name].cell_len for row in rows]) for name in COLUMNS}
    widths = column_widths(natural, console.width)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name, width in widths.items():
        table.add_column(name, width=width, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*(row[name] for name in widths))
    console.print(table)
    console.print(Text(f"{len(convs)} conversations"))


def column_widths(natural: dict[str, int], width: int) -> dict[str, int]:
    """Column -> width within `width` cells: whole columns as wide as their content, the others cut evenly."""
    shown = list(natural)

    def least(names: list[str]) -> int:
        cut = sum(natural[n] if n in WHOLE else min(natural[n], NARROWEST) for n in names)
        return cut + GAP * (len(names) - 1)

    for name in LEFT_OUT_FIRST:
        if least(shown) <= width:
            break
        shown.remove(name)
    room = width - GAP * (len(shown) - 1) - sum(natural[n] for n in shown if n in WHOLE)
    flexible = [n for n in shown if n not in WHOLE]
    level = max((natural[n] for n in flexible), default=0)
    while level > NARROWEST and sum(min(natural[n], level) for n in flexible) > room:
        level -= 1
    return {n: natural[n] if n in WHOLE else min(natural[n], level) for n in shown}


def _cells(conv: Conversation) -> dict[str, Text]:
    """One row; Text objects, never markup strings: subjects and names come from strangers."""
    customer = conv.customer.display() if conv.customer else ""
    last = conv.last_activity.strftime("%Y-%m-%d %H:%M") if conv.last_activity else ""
    return {
        "id": Text(conv.id),
        "status": Text(conv.state.status.value),
        "assignee": Text(conv.state.assignee or "-"),
        "customer": Text(customer),
        "subject": Text(conv.subject, style="bold" if conv.unread else ""),
        "msgs": Text(str(len(conv.message_ids))),
        "last activity": Text(last),
    }
