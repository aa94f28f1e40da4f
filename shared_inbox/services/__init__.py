"""The service layer between front ends (CLI, TUI) and the domain and adapters."""
