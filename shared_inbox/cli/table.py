"""Human-readable tables for the terminal (scripts use --json), and the conversation list.

Ids are typed back into `set` and `reply`, so they are always shown whole, as is the
status; when the line is too short (a pipe counts as 80 columns) the names and the
subject are cut, and past that the least useful columns are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    console.print(
        fitted_table([_cells(conv) for conv in convs], COLUMNS, console.width, WHOLE, LEFT_OUT_FIRST)
    )
    console.print(Text(f"{len(convs)} conversations"))


def fitted_table(
    rows: Sequence[Mapping[str, Text]],
    columns: Sequence[str],
    width: int,
    whole: frozenset[str],
    left_out_first: Sequence[str] = (),
) -> Table:
    """A table of `rows` within `width` cells: the `whole` columns (ids, states) never cut.

    Rich shares out a short line itself, but it cuts every column alike and may even drop
    the first ones, so the widths are set here.
    """
    natural = {name: max([len(name)] + [row[name].cell_len for row in rows]) for name in columns}
    widths = column_widths(natural, width, whole, left_out_first)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name, cells in widths.items():
        table.add_column(name, width=cells, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*(row[name] for name in widths))
    return table


def column_widths(
    natural: Mapping[str, int], width: int, whole: frozenset[str], left_out_first: Sequence[str] = ()
) -> dict[str, int]:
    """Column -> width within `width` cells: whole columns as wide as their content, the others cut evenly."""
    shown = list(natural)

    def least(names: list[str]) -> int:
        cut = sum(natural[n] if n in whole else min(natural[n], NARROWEST) for n in names)
        return cut + GAP * (len(names) - 1)

    for name in left_out_first:
        if least(shown) <= width:
            break
        shown.remove(name)
    room = width - GAP * (len(shown) - 1) - sum(natural[n] for n in shown if n in whole)
    flexible = [n for n in shown if n not in whole]
    level = max((natural[n] for n in flexible), default=0)
    while level > NARROWEST and sum(min(natural[n], level) for n in flexible) > room:
        level -= 1
    return {n: natural[n] if n in whole else min(natural[n], level) for n in shown}


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
