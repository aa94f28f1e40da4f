"""Merging two conversations in `shared-inbox demo` and taking it back, in a real terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tmux.drive import TmuxPane, demo_command, is_inbox, list_rows, sidebar_counts


@pytest.mark.integration
def test_select_two_merge_them_and_undo_in_the_demo(tmp_path: Path) -> None:
    with TmuxPane.start(demo_command(), home=tmp_path) as pane:
        first = pane.wait_for(
            "the demo lists its conversations", lambda s: is_inbox(s) and len(list_rows(s)) > 3
        )
        rows, open_count = list_rows(first), sidebar_counts(first)["All open"]
        pane.press("x", "x", "&")
        merged = pane.wait_for(
            "x x & merges the first two and says so",
            lambda s: sidebar_counts(s)["All open"] == open_count - 1 and "Merged 2 conversations" in s,
        )
        assert "Merged 2 conversations" in merged and "U undoes" in merged
        assert len(list_rows(merged)) == len(rows) - 1
        pane.press("U")
        undone = pane.wait_for(
            "U takes it back and says so",
            lambda s: sidebar_counts(s)["All open"] == open_count and "Undone — Merged" in s,
        )
        assert "Undone — Merged 2 conversations" in undone
        pane.press("C-q")
        assert pane.wait_for_exit() == 0
