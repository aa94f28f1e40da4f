"""Running the TUI on a loaded config, with the same one-sentence errors as the other commands."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from shared_inbox.config import Config
from shared_inbox.ui.keys import KeyConfigError, effective_keys

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

EXIT_OK, EXIT_FAILURE = 0, 1


def _fail(message: str) -> int:
    print(f"shared-inbox: {message}", file=sys.stderr)
    return EXIT_FAILURE


def run_tui(config: Config) -> int:
    """Run the TUI until the user quits; the store opens in the background behind the first screen."""
    try:
        effective_keys(config.keys)
    except KeyConfigError as exc:
        return _fail(str(exc))
    from shared_inbox.ui.app import InboxApp

    opened: list[Session] = []

    def opener() -> Session:
        from shared_inbox.services.session import open_session

        session = open_session(config)
        opened.append(session)
        return session

    app = InboxApp(config=config, opener=opener, own_signals=True)
    try:
        app.run()
    finally:
        for session in opened:
            session.close()
    if app.failure is not None:
        return _fail(app.failure)
    if app.ended_by_signal is not None:  # whatever else finished meanwhile, the shell hears of the signal
        return 128 + app.ended_by_signal
    if app.return_code:
        return app.return_code
    return EXIT_OK
