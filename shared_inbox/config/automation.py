"""The `[automation]` section: how the team's copies send mail on their own.

[automation]
auto_reply_window = "24h"   # at most one automatic reply per address within this time
"""

from __future__ import annotations

from datetime import timedelta

from shared_inbox.config.levels import AutomationConfig
from shared_inbox.config.reader import Table
from shared_inbox.config.service_levels import read_duration
from shared_inbox.domain.auto_reply import DEFAULT_WINDOW

AUTOMATION_KEYS = frozenset({"auto_reply_window"})
MAX_WINDOW = timedelta(days=30)


def read_automation(root: Table) -> AutomationConfig:
    table = root.table("automation", AUTOMATION_KEYS)
    window = read_duration(table, "auto_reply_window") or DEFAULT_WINDOW
    if window > MAX_WINDOW:
        table.problem("auto_reply_window", "is longer than 30 days", 'e.g. "24h" or "7d"')
        window = DEFAULT_WINDOW
    return AutomationConfig(auto_reply_window=window)
