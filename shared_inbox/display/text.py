"""Short, inert strings for terminal columns: mail text made harmless, ages and countdowns made compact.

Both the TUI and the CLI print these, so they depend on nothing but rich's cell widths.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.cells import set_cell_size

# Terminal control characters must never reach the screen, whatever the mail layer let through.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def inert(text: str) -> str:
    """`text` with terminal control characters (ESC, BEL, tabs, newlines) replaced by spaces."""
    return _CONTROL.sub(" ", text.replace("\t", "    "))


def fit(text: str, width: int) -> str:
    """`text` made inert and cut or padded to exactly `width` cells."""
    return set_cell_size(inert(text), width) if width > 0 else ""


def age(since: datetime | None, now: datetime) -> str:
    """A compact age such as 5m, 3h, 2d or 6w; empty when unknown."""
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


def countdown(due: datetime | None, now: datetime) -> str:
    """Time left as "45m", "3h", "2d"; negative once overdue ("-5h"); empty without a due time."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}0m"


def short_assignee(assignee: str | None) -> str:
    """The local part of an assignee's address: the team knows each other by name."""
    return assignee.partition("@")[0] if assignee else ""
