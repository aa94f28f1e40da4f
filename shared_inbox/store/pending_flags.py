"""Local flag changes (read, unread, flagged, answered) that still have to reach the server.

A change is applied to the local copy at once and queued durably, so marking a
message read works offline and survives a restart; the next sync pushes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from shared_inbox.domain.model import SYNCED_FLAGS
from shared_inbox.store.store import Store

__all__ = ["SETTING", "FlagChange", "PendingFlags"]

SETTING = "pending_flags"
FlagChange = tuple[str, str, bool]  # message_id, flag, add


class PendingFlags:
    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> list[FlagChange]:
        raw = self.store.get_setting(SETTING, [])
        out: list[FlagChange] = []
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, list) and len(item) == 3 and item[1] in SYNCED_FLAGS:
                out.append((str(item[0]), str(item[1]), bool(item[2])))
        return out

    def mark(self, message_ids: Iterable[str], flag: str, add: bool) -> int:
        """Change `flag` locally on each message and queue it for the server."""
        if flag not in SYNCED_FLAGS:
            raise ValueError(f"{flag} is not a flag shared-inbox keeps in sync")
        changes: dict[str, frozenset[str]] = {}
        queued = self.load()
        for mid in message_ids:
            meta = self.store.message(mid)
            if meta is None:
                continue
            flags = meta.flags | {flag} if add else meta.flags - {flag}
            if flags != meta.flags:
                changes[mid] = frozenset(flags)
                queued = [c for c in queued if not (c[0] == mid and c[1] == flag)]
                queued.append((mid, flag, add))
        if changes:
            self.store.set_setting(SETTING, [list(c) for c in queued])
            self.store.update_flags(changes)
        return len(changes)

    def clear(self, done: Sequence[FlagChange]) -> None:
        """Forget the pushed changes, keeping any queued meanwhile."""
        finished = set(done)
        remaining = [c for c in self.load() if c not in finished]
        self.store.set_setting(SETTING, [list(c) for c in remaining])
