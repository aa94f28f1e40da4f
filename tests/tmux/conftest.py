"""The tmux tests need tmux: without it they fail, naming the command that installs it."""

from __future__ import annotations

import pytest

from tests.rig.setup import install_command
from tests.tmux.drive import tmux_path


@pytest.fixture(autouse=True)
def tmux_installed() -> None:
    if tmux_path() is None:
        pytest.fail(f"tmux is not installed; run: {install_command()}")
