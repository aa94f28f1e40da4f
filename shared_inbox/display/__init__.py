"""Text shaped for a terminal, free of any interface toolkit, so the CLI and the TUI show the same."""
