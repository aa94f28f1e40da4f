"""Which columns the conversation list shows at a given width, and how wide each one is.

The subject, the age and the countdown to the next deadline are what an agent triages by, so
they stay at every width; the message count, the tags and the assignee give way, in that
order, before the subject becomes unreadable. The customer column grows with the terminal.
Rows and column headers are laid out by the same function, so they always line up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

MARK_WIDTH = 2  # the selection mark, with no space after it
MIN_SUBJECT = 20  # optional columns give way before the subject gets narrower than this
MIN_CUSTOMER = 14
MAX_CUSTOMER = 32
CUSTOMER_SHARE = 0.2  # of the list's width
NARROW_CUSTOMER = 8  # the least the customer keeps when even the required columns do not fit
WIDE = 150  # from this width on, tags and assignee get more room


@dataclass(frozen=True)
class Column:
    """One column of the list: an id the row code knows, a header title, a width and an alignment."""

    id: str
    title: str
    width: int
    align: Literal["<", ">"] = "<"


def _required(customer: int) -> list[Column]:
    return [
        Column("mark", "", MARK_WIDTH),
        Column("customer", "Customer", customer),
        Column("subject", "Subject", MIN_SUBJECT),
        Column("status", "Status", 7),
        Column("age", "Age", 4, ">"),
        Column("due", "Due", 5, ">"),
    ]


def _optional(width: int) -> list[Column]:
    """The columns that may give way, the first to go first."""
    wide = width >= WIDE
    return [
        Column("count", "Msgs", 4, ">"),
        Column("tags", "Tags", 20 if wide else 14),
        Column("assignee", "Assignee", 12 if wide else 9),
    ]


ORDER = ("mark", "customer", "subject", "status", "assignee", "tags", "count", "age", "due")


def used_width(columns: list[Column]) -> int:
    """Cells the columns take, with one space between neighbours (none after the mark)."""
    gaps = sum(1 for column in columns[1:-1])  # a space after every column but the mark and the last
    return sum(column.width for column in columns) + gaps


def layout(width: int) -> list[Column]:
    """The columns shown in `width` cells, in display order; the subject takes what is left."""
    customer = max(MIN_CUSTOMER, min(MAX_CUSTOMER, round(width * CUSTOMER_SHARE)))
    columns = _required(customer) + _optional(width)
    optional = [column.id for column in _optional(width)]
    while used_width(columns) > width and optional:
        dropped = optional.pop(0)
        columns = [column for column in columns if column.id != dropped]
    spare = width - used_width(columns)
    if spare < 0:  # even the required columns do not fit: the customer gives up to its own minimum
        give = min(-spare, customer - NARROW_CUSTOMER)
        columns = [replace(c, width=c.width - give) if c.id == "customer" else c for c in columns]
        spare += give
    columns = [replace(c, width=max(1, c.width + spare)) if c.id == "subject" else c for c in columns]
    return sorted(columns, key=lambda column: ORDER.index(column.id))
