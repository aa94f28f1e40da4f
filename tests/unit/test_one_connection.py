"""Team sharing's states when the team exchange shares the INBOX connection."""

from __future__ import annotations

from shared_inbox.services.one_connection import SharingStates, idle_wait, shares_connection
from shared_inbox.services.team_states import TEAM_OFF, TEAM_ON


def test_sharing_off_is_said_once_per_reason_and_on_once_it_is_back() -> None:
    said: list[tuple[str, str]] = []
    states = SharingStates(lambda state, detail: said.append((state, detail)))
    states.after(None)
    states.after("refused")
    states.after("refused")
    states.after("gone")
    states.after(None)
    states.after(None)
    assert said == [
        (TEAM_OFF, "team sharing off: refused"),
        (TEAM_OFF, "team sharing off: gone"),
        (TEAM_ON, "team sharing on"),
    ]


def test_only_one_connection_with_a_team_shortens_the_idle() -> None:
    assert shares_connection(1, object()) and not shares_connection(2, object())
    assert not shares_connection(1, None)
    assert idle_wait(300.0, 30.0) == 30.0 and idle_wait(300.0, None) == 300.0
