"""Replacing the event messages of the folder by a snapshot of the events that can still win.

The compactor reads every message it can, appends a snapshot of
:func:`compact` over their events, and only then deletes exactly the messages
it read. Two teammates compacting at once each delete only what their own
snapshot holds, so the folder always holds, between all snapshots and
batches, every event that can still decide the state. Unreadable messages
(another version's format, damage) and messages the team key does not vouch
for are left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.compaction import compact
from shared_inbox.domain.events import Event
from shared_inbox.team.encoding import encode_batch
from shared_inbox.team.folder import EventsFolder, Ignored
from shared_inbox.team.presence import stale_uids
from shared_inbox.team.signing import NO_KEY, TeamKeys, split_by_clock

log = logging.getLogger(__name__)

SNAPSHOT_EVENTS = 50_000  # per snapshot message; far below the decoder's limits


@dataclass(frozen=True)
class CompactReport:
    messages_before: int
    events_before: int
    events_kept: int
    snapshots: int
    ignored: list[Ignored] = field(default_factory=list)  # every message of the folder not taken in

    @property
    def done(self) -> bool:
        return self.snapshots > 0


def compact_folder(
    folder: EventsFolder, *, sender: str, now: datetime, keys: TeamKeys = NO_KEY
) -> CompactReport:
    """Compact the folder when that saves anything; the folder is left selected read-write.

    Only messages `keys` accept are read into the snapshot and deleted: anything else (a stranger's
    message, mail filed here by a rule) stays where it is. The snapshot is signed with the current
    key, so messages still signed with the previous key are re-signed by being compacted.
    """
    read = folder.read_after(0, keys=keys, readonly=False)
    folder.delete(stale_uids(read.presence, now))  # expired presence: never part of a snapshot
    uids = [uid for uid, _ in read.batches]
    events: dict[str, Event] = {}
    for _, batch in read.batches:
        for event in split_by_clock(batch.events, now)[0]:
            events.setdefault(event.id, event)
    kept = compact(events.values())
    single_snapshot = len(read.batches) == 1 and read.batches[0][1].snapshot
    if not uids or single_snapshot or (len(uids) == 1 and len(kept) == len(events)):
        return CompactReport(len(uids), len(events), len(kept), 0, read.ignored)
    covers = (min(uids), max(uids))
    snapshots = 0
    for start in range(0, max(1, len(kept)), SNAPSHOT_EVENTS):
        part = kept[start : start + SNAPSHOT_EVENTS]
        folder.append(encode_batch(part, sender=sender, now=now, covers=covers, keys=keys))
        snapshots += 1
    folder.delete(uids)
    log.info("compacted %d event messages (%d events) into %d kept events", len(uids), len(events), len(kept))
    return CompactReport(len(uids), len(events), len(kept), snapshots, read.ignored)
