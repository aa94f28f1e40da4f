"""The tmux tests need tmux: skipped on a machine without it, a failure in CI (where .ci/run installs it)."""

from __future__ import annotations

import os

import pytest

from tests.tmux.drive import tmux_path


@pytest.fixture(autouse=True)
def tmux_installed() -> None:
    if tmux_path() is None:
        message = "tmux missing: .ci/run must install it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
