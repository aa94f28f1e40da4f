"""Stopping long-running commands cleanly on Ctrl+C, SIGTERM and SIGHUP.

The first signal asks the work to stop (it finishes the IMAP command in flight, leaves IDLE
and logs out, so nothing waits on a half-closed connection); a second Ctrl+C interrupts at
once, as Ctrl+C usually does.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stop_on_signals(stop: threading.Event, what: str = "Stopping") -> Iterator[None]:
    """Within the block, the signals set `stop` (call only from the main thread)."""
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            return
        stop.set()
        print(f"{what}…", file=sys.stderr, flush=True)

    for signum in STOP_SIGNALS:
        signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
