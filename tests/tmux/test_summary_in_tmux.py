"""The summary and the folded thread in `shared-inbox demo`, in a real terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tmux.drive import TmuxPane, demo_command, header_subject, is_inbox, is_reader, list_rows

FOLDED = "▸ "  # how a folded message starts its one line


@pytest.mark.integration
def test_a_person_reads_a_long_thread_folded_shows_its_summary_and_escalates(tmp_path: Path) -> None:
    with TmuxPane.start(demo_command(), home=tmp_path) as pane:
        pane.wait_for("the demo lists its conversations", lambda s: is_inbox(s) and len(list_rows(s)) > 3)
        pane.press("/")
        pane.wait_for("/ asks what to search for", lambda s: "Search conversations" in s and "▔" in s)
        pane.type("reset")
        pane.press("Enter")
        pane.wait_for("the search finds the password thread", lambda s: "Password reset not working" in s)
        pane.press("Enter")
        reader = pane.wait_for("Enter opens it", is_reader)
        assert header_subject(reader) == "Password reset not working"
        assert sum(FOLDED in line for line in reader.splitlines()) == 4  # five messages: the latest open

        pane.press("S")
        shown = pane.wait_for("S shows the summary", lambda s: "Summary  (S hides it)" in s and "Ask:" in s)
        assert "Ask: The password reset email never arrives." in shown
        assert "What happened:" in shown and "Mood: " in shown

        pane.press("X")
        pane.wait_for("X opens every message", lambda s: FOLDED not in s)
        pane.press("X")
        pane.wait_for("X again folds them back", lambda s: FOLDED in s)

        pane.press("E")
        pane.wait_for("E offers teammates and a forward", lambda s: "Escalate with the summary" in s)
        pane.press("Escape")
        pane.wait_for("Esc cancels the escalation", lambda s: is_reader(s) and "Escalate with" not in s)
        pane.press("S")
        pane.wait_for("S hides the summary", lambda s: "Summary  (S hides it)" not in s)

        pane.press("C-q")
        assert pane.wait_for_exit() == 0
