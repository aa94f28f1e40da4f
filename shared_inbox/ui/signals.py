"""Ending the app cleanly when a signal asks it to: SIGTERM, SIGHUP (the terminal closed) or a
SIGINT sent by another program.

Left to their default, these kill the process with the terminal still in the app's modes
(alternate screen, mouse reporting, hidden cursor). Here each one runs the ordinary exit, which
stops the workers, closes the outbox and the store, and gives the terminal back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
GRACE_SECONDS = 5.0  # for the ordinary exit, before the process ends without it


def exit_on_signals(on_signal: Callable[[int], None]) -> Callable[[], None]:
    """Route the signals to `on_signal(signum)` on the running loop; returns the undo.

    Only the main thread can own signals: elsewhere (an app under test in a worker thread)
    nothing is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    for signum in EXIT_SIGNALS:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)

    def remove() -> None:
        for signum in installed:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)

    return remove


def end_anyway_after(signum: int, grace: float = GRACE_SECONDS) -> None:
    """End the process `grace` seconds from now if the ordinary exit has not by then.

    After SIGHUP the terminal is gone, and restoring it can block for good; every write to
    the store is durable when it returns, so ending without the rest loses nothing.
    """

    def end() -> None:
        os._exit(128 + signum)

    timer = threading.Timer(grace, end)
    timer.daemon = True
    timer.start()
