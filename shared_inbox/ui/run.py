"""Starting the TUI from the command line, with the same one-sentence errors as the other commands."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared_inbox.config import Config, ConfigError, load_config, locate_config
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

    app = InboxApp(config=config, opener=opener)
    try:
        app.run()
    finally:
        for session in opened:
            session.close()
    if app.failure is not None:
        return _fail(app.failure)
    if app.return_code:
        return app.return_code
    return EXIT_OK


def run_tui_from_args(config_arg: str | None, env: Mapping[str, str]) -> int:
    """`shared-inbox` with no command: locate and load the config, then run the TUI."""
    path = locate_config(config_arg, env)
    try:
        config = load_config(path, env)
    except FileNotFoundError:
        return _fail(f"no config file at {path}; write one (see README) or pass --config PATH.")
    except ConfigError as exc:
        return _fail(f"the config file {path} has problems:\n{exc}")
    for warning in config.warnings:
        print(f"shared-inbox: warning: {warning}", file=sys.stderr)
    return run_tui(config)
