"""How often each canned reply was sent, kept in the store so ranking can prefer the usual ones."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

__all__ = ["USAGE_SETTING", "record_use", "usage_counts"]

USAGE_SETTING = "canned.usage"


class SettingsStore(Protocol):
    def get_setting(self, key: str, default: object = None) -> object: ...

    def set_setting(self, key: str, value: object) -> None: ...


def usage_counts(store: SettingsStore) -> dict[str, int]:
    """Reply id -> times sent; anything malformed in the setting is ignored."""
    value = store.get_setting(USAGE_SETTING)
    if not isinstance(value, dict):
        return {}
    return {
        key: count
        for key, count in value.items()
        if isinstance(key, str) and isinstance(count, int) and not isinstance(count, bool) and count > 0
    }


def record_use(store: SettingsStore, reply_ids: Iterable[str]) -> dict[str, int]:
    """Count one more use of each reply sent (a reply inserted twice in one message counts once)."""
    counts = usage_counts(store)
    for reply_id in dict.fromkeys(reply_ids):
        counts[reply_id] = counts.get(reply_id, 0) + 1
    store.set_setting(USAGE_SETTING, counts)
    return counts
