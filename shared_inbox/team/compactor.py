"""Replacing the event messages of the folder by a snapshot of the events that can still win.

The compactor reads every message it can, appends a snapshot of
:func:`compact` over their events, and only then deletes exactly the messages
it read. Two teammates compacting at once each delete only what their own
snapshot holds, so the folder always holds, between all snapshots and
batches, every event that can still decide the state. Unreadable messages
(another version's format, damage) are left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from shared_inbox.domain.compaction import compact
from shared_inbox.domain.events import Event
from shared_inbox.team.encoding import encode_batch
from shared_inbox.team.folder import EventsFolder
from shared_inbox.team.presence import stale_uids

log = logging.getLogger(__name__)

SNAPSHOT_EVENTS = 50_000  # per snapshot message; far below the decoder's limits


@dataclass(frozen=True)
class CompactReport:
    messages_before: int
    events_before: int
    events_kept: int
    snapshots: int

    @property
    def done(self) -> bool:
        return self.snapshots > 0


def compact_folder(folder: EventsFolder, *, sender: str, now: datetime) -> CompactReport:
    """Compact the folder when that saves anything; the folder is left selected read-write."""
    read = folder.read_after(0, readonly=False)
    folder.delete(stale_uids(read.presence, now))  # expired presence: never part of a snapshot
    uids = [uid for uid, _ in read.batches]
    events: dict[str, Event] = {}
    for _, batch in read.batches:
        for event in batch.events:
            events.setdefault(event.id, event)
    kept = compact(events.values())
    single_snapshot = len(read.batches) == 1 and read.batches[0][1].snapshot
    if not uids or single_snapshot or (len(uids) == 1 and len(kept) == len(events)):
        return CompactReport(len(uids), len(events), len(kept), 0)
    covers = (min(uids), max(uids))
    snapshots = 0
    for start in range(0, max(1, len(kept)), SNAPSHOT_EVENTS):
        part = kept[start : start + SNAPSHOT_EVENTS]
        folder.append(encode_batch(part, sender=sender, now=now, covers=covers))
        snapshots += 1
    folder.delete(uids)
    log.info("compacted %d event messages (%d events) into %d kept events", len(uids), len(events), len(kept))
    return CompactReport(len(uids), len(events), len(kept), snapshots)
