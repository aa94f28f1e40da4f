"""A human-readable conversation list for the terminal (scripts use --json)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared_inbox.domain.model import Conversation


def print_table(convs: Sequence[Conversation], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("id", "status", "assignee", "customer", "subject", "msgs", "last activity"):
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for conv in convs:
        customer = conv.customer.display() if conv.customer else ""
        # Text objects, never markup strings: subjects and names come from strangers.
        table.add_row(
            Text(conv.id),
            Text(conv.state.status.value),
            Text(conv.state.assignee or "-"),
            Text(customer),
            Text(conv.subject, style="bold" if conv.unread else ""),
            Text(str(len(conv.message_ids))),
            Text(conv.last_activity.strftime("%Y-%m-%d %H:%M") if conv.last_activity else ""),
        )
    console.print(table)
    console.print(Text(f"{len(convs)} conversations"))
