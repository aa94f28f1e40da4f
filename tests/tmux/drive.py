"""The real TUI in a real terminal: tmux runs it, keys go in, and the checks read what the pane shows.

Run it as a script to watch every screen of the demo walk-through go by:

    python tests/tmux/drive.py

The tests import `TmuxPane` (any command in a private tmux server with its own HOME) and
`walk_through_demo` (a person triaging and replying in `shared-inbox demo`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

WIDTH, HEIGHT = 140, 40
WAIT_SECONDS = 30.0  # how long a screen may take to appear before the step counts as failed
POLL_SECONDS = 0.1
TMUX_CONF = """\
set -g remain-on-exit on
set -g escape-time 0
set -g status off
"""
ME = "dana"  # the demo's own agent (docs/demo.md)
SEARCH_WORD = "order"
REPLY_TEXT = "Thanks for your patience, we are looking into it."
SIDEBAR_ROW = re.compile(r"^\s*(Unassigned|Mine|All open|Pending|Snoozed|Closed|Spam)\s+(\d+)\s*▕")
ROW_START = 4  # a conversation row has text within this many cells of the list's left edge
SEARCH_LINE = re.compile(r"Search: (.+?)\s+·\s+(\d+) found")
LIST_TITLE = re.compile(r"^ \S.*·\s+\d+ conversations?\s+·\s+sorted ")
COLUMN_HEADERS = re.compile(r"^\s+Customer\s+Subject\s+Status\b")

Screen = str
Show = Callable[[str, Screen], None]


def tmux_path() -> str | None:
    """The tmux executable, or None when it is not installed."""
    return shutil.which("tmux")


class ScreenNotShown(AssertionError):
    """A step waited for a screen that never came; the message carries the last screen seen."""


class TmuxPane:
    """One command in one pane of a tmux server of our own, with HOME and XDG dirs under `home`.

    The server has its own socket, so it never touches a tmux the person may be running;
    `remain-on-exit` keeps the pane after the command ends, so its exit status can be read.
    """

    def __init__(self, tmux: str, socket: str, env: Mapping[str, str], show: Show | None) -> None:
        self._tmux = tmux
        self.socket = socket
        self._env = dict(env)
        self._show = show
        self.last_screen: Screen = ""

    @classmethod
    @contextlib.contextmanager
    def start(
        cls, command: Sequence[str], *, home: Path, show: Show | None = None, width: int = WIDTH
    ) -> Iterator[TmuxPane]:
        """Run `command` in a new `width`xHEIGHT pane; the tmux server is killed on the way out."""
        tmux = tmux_path()
        if tmux is None:
            raise RuntimeError("tmux is not installed")
        conf = home / "tmux.conf"
        conf.write_text(TMUX_CONF, encoding="utf-8")
        pane = cls(tmux, f"shared-inbox-{os.getpid()}-{uuid.uuid4().hex[:8]}", private_env(home), show)
        pane.tmux(
            "-f", str(conf), "new-session", "-d", "-x", str(width), "-y", str(HEIGHT), "-s", "main",
            "-c", str(home), *command,
        )  # fmt: skip
        socket_path = Path(pane.tmux("display-message", "-p", "#{socket_path}").strip())
        try:
            yield pane
        finally:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                pane.tmux("kill-server")
            socket_path.unlink(missing_ok=True)  # tmux leaves the socket file of a killed server behind

    def tmux(self, *args: str) -> str:
        """Run a tmux command against this server and return what it printed."""
        done = subprocess.run(
            [self._tmux, "-L", self.socket, *args],
            env=self._env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
            timeout=15,
        )
        return done.stdout

    def screen(self) -> Screen:
        """The visible text of the pane, one line per row, trailing spaces dropped."""
        self.last_screen = self.tmux("capture-pane", "-p", "-t", "main")
        return self.last_screen

    def press(self, *keys: str) -> None:
        """Send keys by tmux name: "j", "Enter", "Escape", "C-s"."""
        self.tmux("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        """Type `text` literally, character by character."""
        self.tmux("send-keys", "-t", "main", "-l", text)

    def display(self, format_string: str) -> str:
        """A tmux format (e.g. "#{pane_title}") expanded for the pane."""
        return self.tmux("display-message", "-p", "-t", "main", format_string).rstrip("\n")

    def resize(self, width: int) -> None:
        """Make the terminal `width` columns wide, as a person dragging the window would."""
        self.tmux("resize-window", "-t", "main", "-x", str(width), "-y", str(HEIGHT))

    def colours(self) -> Screen:
        """The pane with its colours and attributes as escape sequences (SGR), one line per row."""
        return self.tmux("capture-pane", "-e", "-p", "-t", "main")

    def title(self) -> str:
        """The pane title, which a terminal title escape (OSC 0/2) would change."""
        return self.display("#{pane_title}")

    def exit_status(self) -> int | None:
        """The command's exit status once it has ended (minus the signal number if killed), else None."""
        dead, status, signal = self.display("#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}").split(":")
        if dead != "1":
            return None
        return int(status) if status else -int(signal or 0)

    def wait_for(self, step: str, shown: Callable[[Screen], bool]) -> Screen:
        """Poll the pane until `shown(screen)` holds; the screen is passed to `show` under `step`."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            screen = self.screen()
            if shown(screen):
                if self._show is not None:
                    self._show(step, screen)
                return screen
            status = self.exit_status()
            if status is not None or time.monotonic() > deadline:
                why = "the expected screen did not appear" if status is None else f"it ended ({status})"
                raise ScreenNotShown(f"{step}: {why}; last screen:\n{screen}")
            time.sleep(POLL_SECONDS)

    def wait_for_exit(self) -> int:
        """Wait for the command to end and return its exit status."""
        deadline = time.monotonic() + WAIT_SECONDS
        while (status := self.exit_status()) is None:
            if time.monotonic() > deadline:
                raise ScreenNotShown(f"the program did not exit; last screen:\n{self.screen()}")
            time.sleep(POLL_SECONDS)
        return status


def private_env(home: Path) -> dict[str, str]:
    """This process's environment with HOME, XDG dirs and TMPDIR moved under `home`, UTF-8 on."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TMUX", "TEXTUAL", "XDG_", "SHARED_INBOX"))
    }
    dirs = {"XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data", "XDG_CACHE_HOME": "cache",
            "XDG_STATE_HOME": "state", "TMPDIR": "tmp"}  # fmt: skip
    for key, name in dirs.items():
        (home / name).mkdir(mode=0o700, exist_ok=True)
        env[key] = str(home / name)
    env["HOME"] = str(home)
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    return env


# -- reading the inbox screen -------------------------------------------------------------------------


def list_rows(screen: Screen) -> list[str]:
    """The conversation rows of the inbox screen, right of the sidebar.

    A row starts at the left edge of the list (selection mark, then customer); lines that are blank
    there are empty space, perhaps with a notification floating over its right side. The title and
    the column headers over the rows are not rows.
    """
    rows = []
    for line in screen.splitlines():
        if "▕" in line:
            text = line.split("▕", 1)[1]
            if LIST_TITLE.match(text) or COLUMN_HEADERS.match(text):
                continue
            if text[:ROW_START].strip():
                rows.append(text.strip())
    return rows


def list_title(screen: Screen) -> str:
    """The line over the list: view (or search), count and order."""
    return next(
        (text.strip() for line in screen.splitlines() if LIST_TITLE.match(text := line.partition("▕")[2])), ""
    )


def column_headers(screen: Screen) -> list[str]:
    """The column titles over the list, left to right."""
    for line in screen.splitlines():
        if COLUMN_HEADERS.match(text := line.partition("▕")[2]):
            return text.split()
    return []


def without_age(rows: list[str]) -> list[str]:
    """Rows without their last column, the age, which may tick over while a walk-through runs."""
    return [row.rsplit(None, 1)[0] for row in rows]


def sidebar_counts(screen: Screen) -> dict[str, int]:
    """The sidebar's view counts, e.g. {"Mine": 4, "Closed": 6}."""
    return {m.group(1): int(m.group(2)) for line in screen.splitlines() if (m := SIDEBAR_ROW.match(line))}


def reader_header(screen: Screen) -> str:
    """The reader's first line: subject, status, assignee, tags."""
    return next(line for line in screen.splitlines() if line.strip()).strip()


def header_subject(screen: Screen) -> str:
    """The subject on the reader's first line."""
    return reader_header(screen).split("  ")[0]


def is_inbox(screen: Screen) -> bool:
    return "All open" in screen and bool(list_rows(screen))


def is_reader(screen: Screen) -> bool:
    return "Back to the list" in screen and "All open" not in screen


def is_help(screen: Screen) -> bool:
    return "─ Keys ─" in screen


# -- the demo walk-through ----------------------------------------------------------------------------


def demo_command() -> list[str]:
    return [sys.executable, "-m", "shared_inbox", "demo"]


def walk_through_demo(pane: TmuxPane) -> None:
    """Move, open, read help, search, assign, close, reply and quit, checking the screen at each step."""
    first = pane.wait_for("the demo lists its conversations", lambda s: is_inbox(s) and len(list_rows(s)) > 3)
    rows = list_rows(first)

    pane.press("j", "j", "k", "Enter")
    reader = pane.wait_for("j j k Enter opens the second conversation", is_reader)
    subject = header_subject(reader)[:20]
    assert [i for i, row in enumerate(rows[:3]) if subject in row] == [1], (subject, rows[:3])

    pane.press("?")
    help_screen = pane.wait_for("? shows the keys", is_help)
    assert "Assign to me" in help_screen and "Show keys" in help_screen
    pane.press("Escape")
    pane.wait_for("Esc closes the help over the reader", lambda s: is_reader(s) and not is_help(s))
    pane.press("q")
    inbox = pane.wait_for("q goes back to the list", is_inbox)
    assert without_age(list_rows(inbox)) == without_age(rows)

    pane.press("/")
    pane.wait_for("/ asks what to search for", lambda s: "Search conversations" in s and "▔" in s)
    pane.type(SEARCH_WORD)
    pane.press("Enter")
    found = pane.wait_for("the search shows its results", lambda s: SEARCH_LINE.search(s) is not None)
    match = SEARCH_LINE.search(found)
    assert match is not None and match.group(1) == SEARCH_WORD
    hits = list_rows(found)
    assert 0 < len(hits) == int(match.group(2)) < len(rows)
    assert any(SEARCH_WORD in row.lower() for row in hits)
    pane.press("Escape")
    pane.wait_for(
        "Esc clears the search",
        lambda s: "Search:" not in s and without_age(list_rows(s)) == without_age(rows),
    )

    before = sidebar_counts(inbox)
    assert ME not in rows[0].split()
    pane.press("m")
    assigned = pane.wait_for("m assigns to me", lambda s: sidebar_counts(s)["Mine"] == before["Mine"] + 1)
    assert ME in list_rows(assigned)[0].split()

    pane.press("c")
    closed = pane.wait_for("c closes it", lambda s: sidebar_counts(s)["Closed"] == before["Closed"] + 1)
    assert sidebar_counts(closed)["All open"] == before["All open"] - 1
    assert without_age(list_rows(closed))[0] == without_age(rows)[1]

    counts = sidebar_counts(closed)
    pane.press("Enter")
    pane.wait_for("Enter opens the next conversation", is_reader)
    pane.press("r")
    pane.wait_for("r opens the reply", lambda s: "Queue the reply" in s and "Reply: " in s)
    pane.type(REPLY_TEXT)
    pane.wait_for("the reply shows what was typed", lambda s: REPLY_TEXT in s)
    pane.press("C-s")
    pane.wait_for("ctrl+s queues the reply", lambda s: "Reply queued" in s and is_reader(s))
    pane.press("q")
    pane.wait_for(
        "the replied conversation waits for the customer",
        lambda s: is_inbox(s) and sidebar_counts(s)["Pending"] == counts["Pending"] + 1,
    )

    pane.press("C-q")
    quit_with_held_reply(pane)
    status = pane.wait_for_exit()
    assert status == 0, f"shared-inbox demo exited with {status}:\n{pane.screen()}"


def quit_with_held_reply(pane: TmuxPane) -> None:
    """Quitting inside the reply's undo window asks first: send it now (unless it has left already)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while pane.exit_status() is None and time.monotonic() < deadline:
        screen = pane.screen()
        if "still held for undo" in screen and "Send now, then quit" in screen:
            pane.press("Enter")
            return
        time.sleep(POLL_SECONDS)


def print_screen(step: str, screen: Screen) -> None:
    print(f"\n=== {step} ".ljust(WIDTH, "="))
    print(screen.rstrip("\n"))


def main() -> int:
    if tmux_path() is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="shared-inbox-tmux-") as home,
        TmuxPane.start(demo_command(), home=Path(home), show=print_screen) as pane,
    ):
        walk_through_demo(pane)
    print("\nThe demo walk-through passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
