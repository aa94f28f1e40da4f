"""The demo's list in a real terminal: where you are, columns that fit 80 to 200 columns, a visible cursor.

tmux gives the app a 256-colour terminal, where near colours collapse into one: the cursor row
must still be drawn differently from the unread rows around it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.tmux.drive import TmuxPane, column_headers, demo_command, is_inbox, list_rows, list_title

SGR = re.compile(r"\x1b\[([0-9;]*)m")
COUNTDOWN = re.compile(r"^-?\d+[mhdw]$")
AGE = re.compile(r"^(\d+[mhdw]|now)$")


def backgrounds(line: str) -> set[str]:
    """The background colours a captured line sets, right of the sidebar (as SGR parameters)."""
    found = set()
    for match in SGR.finditer(line.partition("▕")[2]):
        params = match.group(1).split(";")
        for index, param in enumerate(params):
            if param == "48":
                found.add(";".join(params[index : index + 3]))
    return found


@pytest.mark.integration
def test_the_list_says_where_you_are_fits_each_width_and_shows_its_cursor(tmp_path: Path) -> None:
    with TmuxPane.start(demo_command(), home=tmp_path, width=80) as pane:
        first = pane.wait_for(
            "the demo lists its conversations", lambda s: is_inbox(s) and len(list_rows(s)) > 3
        )
        assert re.match(r"All open\s+·\s+\d+ conversations\s+·\s+sorted by waiting time", list_title(first))
        for width, wanted in (
            (80, ["Customer", "Subject", "Status", "Age", "Due"]),
            (120, ["Customer", "Subject", "Status", "Assignee", "Tags", "Msgs", "Age", "Due"]),
            (200, ["Customer", "Subject", "Status", "Assignee", "Tags", "Msgs", "Age", "Due"]),
        ):
            pane.resize(width)
            screen = pane.wait_for(f"the list at {width} columns", lambda s, w=wanted: column_headers(s) == w)
            rows = list_rows(screen)
            assert all(AGE.match(row.split()[-2]) for row in rows), rows  # the age, on every row
            assert sum(bool(COUNTDOWN.match(row.split()[-1])) for row in rows) > len(rows) // 2, rows
            assert all(len(line) <= width for line in screen.splitlines())
        pane.press("S")
        pane.wait_for(
            "S sorts by deadline, and says so", lambda s: "sorted by next deadline" in list_title(s)
        )
        pane.press("g", "j")
        pane.wait_for(
            "g j puts the cursor on the second row", lambda s: second_row_stands_out(pane.colours())
        )


def second_row_stands_out(captured: str) -> bool:
    """Whether the second row sets a background that neither the first nor the third has."""
    lines = [line for line in captured.splitlines() if "▕" in line]
    start = next(i for i, line in enumerate(lines) if "Customer" in line) + 1
    above, cursor, below = (backgrounds(line) for line in lines[start : start + 3])
    return bool(cursor - above) and bool(cursor - below)
