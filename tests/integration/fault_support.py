"""Shared pieces of the fault-injection tests: configs routed through a FaultProxy, and
reading a running command's stderr line by line."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from tests.integration.support import write_config
from tests.rig.faultproxy import FaultProxy

BEFORE_TLS = frozenset({"greeting", "capability", "starttls"})
RETRY = re.compile(r"Retrying in (\d+) s")
BASE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def security_for(stage: str) -> str:
    """Stages up to STARTTLS are seen in a STARTTLS session; later ones need plaintext to be seen."""
    return "starttls" if stage in BEFORE_TLS else "none"


def proxied_config(directory: Path, mailbox: Any, proxy: FaultProxy, stage: str, **options: Any) -> Path:
    return write_config(directory, mailbox, port=proxy.port, security=security_for(stage), **options)


def mail(n: int, subject: str = "Order problem") -> bytes:
    lines = [
        f"From: Customer {n} <ann{n}@customer.test>",
        "To: Acme Support <support@example.com>",
        f"Subject: {subject} {n}",
        f"Date: {format_datetime(BASE + timedelta(minutes=n))}",
        f"Message-ID: <m{n}@customer.test>",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, this is message {n}.",
        "",
    ]
    return "\r\n".join(lines).encode()


def start_cli(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


class LineReader:
    """Reads a child's stderr in a thread, so waiting for a line is bounded."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stderr is not None
        stream = proc.stderr
        threading.Thread(target=lambda: [self.lines.put(line) for line in stream], daemon=True).start()

    def wait_for(self, needle: str | Callable[[str], bool], timeout: float = 30) -> str:
        found = needle if callable(needle) else lambda line: needle in line
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if found(line):
                return line
        raise AssertionError(f"no line with {needle!r} in:\n{''.join(self.seen)}")

    def rest(self, timeout: float = 5) -> str:
        """What is left once the process closed its stderr."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                self.seen.append(self.lines.get(timeout=remaining))
            except queue.Empty:
                break
        return "".join(self.seen)


def main_loop_wait(seconds: int) -> Callable[[str], bool]:
    """Matches the mail sync's line announcing a wait of `seconds` (not the team watcher's)."""
    return lambda line: main_loop_waits([line]) == [seconds]


def main_loop_waits(lines: list[str]) -> list[int]:
    """The waits the mail sync announced (the team watcher's lines are its own)."""
    return [int(m.group(1)) for line in lines if "[team-off]" not in line and (m := RETRY.search(line))]
