"""Starting the interface: the one place the command line reaches into the TUI, and only when asked.

Importing the interface loads textual, so this happens inside the call: `list --json` and the
other scripting commands never pay for it.
"""

from __future__ import annotations

from shared_inbox.config import Config


def run_interface(config: Config) -> int:
    """Run the TUI on `config` until the user quits; the exit code for the shell."""
    from shared_inbox.ui.run import run_tui

    return run_tui(config)
