"""`shared-inbox demo` in a real terminal, used the way a person uses it (see drive.py for the steps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tmux.drive import TmuxPane, demo_command, walk_through_demo


@pytest.mark.integration
def test_a_person_triages_and_replies_in_the_demo_and_quits_cleanly(tmp_path: Path) -> None:
    with TmuxPane.start(demo_command(), home=tmp_path) as pane:
        walk_through_demo(pane)
