"""The status bar keeps the mailbox's state and the team's apart: a refused events folder turns
team sharing off, while the mailbox stays idle with IDLE on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot

from shared_inbox.config import load_config
from shared_inbox.services.session import open_session
from shared_inbox.ui.app import InboxApp
from tests.integration.support import write_config
from tests.integration.test_team_sharing_off import refused_events_folder
from tests.rig.cyrus import CyrusServer
from tests.ui.test_app import drive, until

pytestmark = pytest.mark.integration


def test_the_status_bar_shows_team_sharing_off_beside_an_idle_mailbox(
    cyrus: CyrusServer, tmp_path: Path
) -> None:
    box = refused_events_folder(cyrus)
    config = load_config(write_config(tmp_path, box), os.environ)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await until(pilot, lambda: "team sharing off" in app.status_line and "IDLE on" in app.status_line)
        assert app.status_line.startswith("idle · ")
        assert "Permission denied" in app.status_line and "Retrying" not in app.status_line
        me = app.session.config.team.me  # a long reason comes last and hides nothing
        assert app.status_line.index(me) < app.status_line.index("team sharing off")
        assert any(n.title == "Team" for n in app._notifications)

    with open_session(config) as session:
        drive(InboxApp(session, sync=True), scenario)
