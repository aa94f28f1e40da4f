"""A signal ending the real app in a real terminal leaves the terminal as it found it: main
screen, no mouse reporting, cursor shown, line wrapping on; and the store is closed, so the
next start opens it.

tmux records everything the app writes (pipe-pane); the terminal's final state is the last
setting of each private mode in that stream. (A dead pane's own cursor flag is always off.)
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sys
from pathlib import Path

import psutil
import pytest

from tests.tmux.drive import TmuxPane, is_inbox
from tests.tmux.test_hostile_in_tmux import write_hostile_inbox

PRIVATE_MODE = re.compile(rb"\x1b\[\?([0-9;]+)([hl])")
# mode -> the setting a shell expects back: alternate screen, mouse reporting (four kinds),
# focus events and bracketed paste off; cursor shown and auto-wrap on.
RESTORED = {
    "1049": "l", "1000": "l", "1003": "l", "1006": "l", "1015": "l", "1004": "l", "2004": "l",
    "25": "h", "7": "h",
}  # fmt: skip


def final_modes(stream: bytes) -> dict[str, str]:
    modes: dict[str, str] = {}
    for numbers, setting in PRIVATE_MODE.findall(stream):
        for number in numbers.decode().split(";"):
            modes[number] = setting.decode()
    return modes


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_restores_the_terminal_and_closes_the_store(signum: int, tmp_path: Path) -> None:
    config = write_hostile_inbox(tmp_path)
    log, go = tmp_path / "terminal.log", tmp_path / "go"
    app = shlex.join([sys.executable, "-m", "shared_inbox", "--config", str(config)])
    wait_for_go = f"while [ ! -e {go} ]; do sleep 0.05; done; exec {app}"
    with TmuxPane.start(["sh", "-c", wait_for_go], home=tmp_path) as pane:
        pane.tmux("pipe-pane", "-t", "main", f"cat >> {shlex.quote(str(log))}")
        go.touch()
        pane.wait_for("the inbox is up", is_inbox)
        assert pane.display("#{alternate_on}") == "1"  # the app did take the terminal over
        os.kill(int(pane.display("#{pane_pid}")), signum)  # the shell exec'd the app: same process
        pane.wait_for_exit()  # (tmux does not always report the status of a pane that just died)
    modes = final_modes(log.read_bytes())
    assert {mode: modes.get(mode) for mode in RESTORED} == RESTORED
    again = tmp_path / "again"
    again.mkdir()
    with TmuxPane.start(["sh", "-c", f"exec {app}"], home=again) as pane:
        pane.wait_for("the store opens again", is_inbox)


def test_closing_the_terminal_ends_the_app(tmp_path: Path) -> None:
    config = write_hostile_inbox(tmp_path)
    command = [sys.executable, "-m", "shared_inbox", "--config", str(config)]
    with TmuxPane.start(command, home=tmp_path) as pane:
        pane.wait_for("the inbox is up", is_inbox)
        top = psutil.Process(int(pane.display("#{pane_pid}")))
        app = [p for p in [top, *top.children(recursive=True)] if "shared_inbox" in " ".join(p.cmdline())]
    # Leaving the block killed the tmux server: the terminal is gone, the app got SIGHUP.
    gone, alive = psutil.wait_procs(app, timeout=30)  # a bound on a hang, not a timing assertion
    for leftover in alive:
        leftover.kill()
    assert alive == []
