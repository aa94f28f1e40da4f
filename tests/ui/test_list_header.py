"""Where am I: the view's title, count and order over the list, column headers, and columns that fit.

At 80 columns the subject, the age and the deadline must stay readable; at 200 the customer
column grows; the headers line up with the cells under them at every width.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from textual.pilot import Pilot

from shared_inbox.display.text import age, countdown
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.views import view_order
from shared_inbox.ui.widgets.list_columns import MIN_SUBJECT, Column, layout, used_width
from shared_inbox.ui.widgets.list_header import ColumnHeaders, ListTitle
from tests.ui.test_app import NOW, inbox_of, session

__all__ = ["session"]


def spans(columns: list[Column]) -> dict[str, tuple[int, int]]:
    """Each column's first and past-the-end cell within a row."""
    found, start = {}, 0
    for index, column in enumerate(columns):
        found[column.id] = (start, start + column.width)
        start += column.width + (1 if 0 < index < len(columns) - 1 else 0)
    return found


@pytest.mark.parametrize("width", range(40, 320, 7))
def test_the_layout_fills_the_width_and_keeps_subject_age_and_deadline(width: int) -> None:
    columns = layout(width)
    ids = [column.id for column in columns]
    assert {"customer", "subject", "status", "age", "due"} <= set(ids)
    assert used_width(columns) == width or width < used_width(columns) and width < 50
    subject = next(column for column in columns if column.id == "subject")
    if width >= 56:
        assert subject.width >= MIN_SUBJECT


@pytest.mark.parametrize(
    ("terminal", "shown", "customer_at_least"),
    [
        (80, {"Customer", "Subject", "Status", "Age", "Due"}, 14),
        (120, {"Customer", "Subject", "Status", "Assignee", "Tags", "Msgs", "Age", "Due"}, 20),
        (200, {"Customer", "Subject", "Status", "Assignee", "Tags", "Msgs", "Age", "Due"}, 30),
    ],
)
def test_headers_title_and_cells_line_up_at_each_width(
    session: Session, terminal: int, shown: set[str], customer_at_least: int
) -> None:
    deadlines_seen: list[str] = []
    first = view_order("open", session.inbox.conversations("status:active"))[:3]
    for hours, conv in enumerate(first, start=-1):
        session.commands.set_promise(conv.id, "Call back", NOW + timedelta(hours=hours * 5))

    async def run() -> None:
        app = InboxApp(session, sync=False, now=lambda: NOW)
        async with app.run_test(size=(terminal, 30)) as pilot:
            await pilot.pause()
            await check(pilot)

    async def check(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        listing = screen.conversation_list
        title = str(screen.query_one(ListTitle).visual)
        assert "All open" in title and f"{len(listing.rows)} conversations" in title
        assert "sorted by waiting time" in title
        headers = screen.query_one(ColumnHeaders)
        header = str(headers.render())
        assert set(header.split()) == shown
        assert headers.columns == listing.columns == layout(listing.size.width)
        where = spans(listing.columns)
        assert where["customer"][1] - where["customer"][0] >= customer_at_least
        assert where["subject"][1] - where["subject"][0] >= MIN_SUBJECT
        for name in ("Age", "Due"):  # right-aligned titles end where their values end
            start, end = where[name.lower()]
            assert header[start:end].strip() == name and header[end - 1] == name[-1]
        tracker = screen.deadlines_of
        for y, conv in enumerate(listing.rows[:5]):
            row = listing.render_line(y).text
            start, end = where["age"]
            assert row[start:end].strip() == age(conv.last_customer_message, NOW)
            start, end = where["due"]
            assert row[start:end].strip() == countdown(tracker(conv).next_due, NOW)
            deadlines_seen.append(row[start:end].strip())
            start, end = where["subject"]
            assert row[start:end].strip() == conv.subject[: end - start].strip()
        await pilot.press("S")
        await pilot.pause()
        assert "sorted by next deadline" in str(screen.query_one(ListTitle).visual)

    asyncio.run(run())
    assert any(deadlines_seen), "the store has deadlines to show"
