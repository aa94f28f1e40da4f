"""Team sharing's own states, never the mailbox's: sharing can fail while mail syncs fine."""

from __future__ import annotations

TEAM_OFF = "team-off"  # detail: "team sharing off: why." (and "Retrying in N s." where it reconnects)
TEAM_ON = "team-on"  # detail: "team sharing on", after it had been off
