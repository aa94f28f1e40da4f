"""Replacing the event messages of the folder by a snapshot of the events that can still win.

The compactor reads every message it can, appends a snapshot of
:func:`compact` over their events, and only then deletes exactly the messages
it read. Two teammates compacting at once each delete only what their own
snapshot holds, so the folder always holds, between all snapshots and
batches, every event that can still decide the state. Unreadable messages
(another version's format, damage) and messages the team key does not vouch
for are left alone, unless they are ours (see :func:`compact_folder`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.compaction import compact
from shared_inbox.domain.events import Event
from shared_inbox.team.encoding import BatchError, batch_from, encode_batch
from shared_inbox.team.envelope import Envelope
from shared_inbox.team.folder import EventsFolder, Ignored
from shared_inbox.team.presence import PresenceError, note_from, stale_uids
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
    folder: EventsFolder,
    *,
    sender: str,
    now: datetime,
    keys: TeamKeys = NO_KEY,
    ours: Callable[[], Mapping[str, Event]] = dict,
) -> CompactReport:
    """Compact the folder when that saves anything; the folder is left selected read-write.

    Only messages `keys` accept are read into the snapshot and deleted: anything else (a stranger's
    message, mail filed here by a rule) stays where it is, with one exception that makes turning a
    key on possible: an unsigned batch whose every event we already hold (`ours`: our store's
    events by id) is ours, and goes into the snapshot from our own copies. The snapshot is signed
    with the current key, so what the previous key signed is re-signed by being compacted.
    """
    read = folder.read_after(0, keys=keys, readonly=False)
    # Expired presence, ours or vouched for, is never part of a snapshot.
    unsigned_own = [(uid, env) for uid, env in read.unsigned if env.kind == "presence" and _by(env, sender)]
    stale = stale_uids(read.presence + unsigned_own, now)
    folder.delete(stale)
    uids = [uid for uid, _ in read.batches]
    events: dict[str, Event] = {}
    for _, batch in read.batches:
        for event in split_by_clock(batch.events, now)[0]:
            events.setdefault(event.id, event)
    adopted = _adopt(read.unsigned, ours)
    for copies in adopted.values():
        for event in copies:
            events.setdefault(event.id, event)
    uids = sorted([*uids, *adopted])
    ignored = [entry for entry in read.ignored if entry.uid not in adopted and entry.uid not in stale]
    kept = compact(events.values())
    single_snapshot = len(read.batches) == 1 and read.batches[0][1].snapshot and not adopted
    unchanged = single_snapshot or (len(uids) == 1 and len(kept) == len(events))
    if not uids or (unchanged and not read.previous_key):
        return CompactReport(len(uids), len(events), len(kept), 0, ignored)
    covers = (min(uids), max(uids))
    snapshots = 0
    for start in range(0, max(1, len(kept)), SNAPSHOT_EVENTS):
        part = kept[start : start + SNAPSHOT_EVENTS]
        folder.append(encode_batch(part, sender=sender, now=now, covers=covers, keys=keys))
        snapshots += 1
    folder.delete(uids)
    log.info("compacted %d event messages (%d events) into %d kept events", len(uids), len(events), len(kept))
    return CompactReport(len(uids), len(events), len(kept), snapshots, ignored)


def _adopt(
    unsigned: list[tuple[int, Envelope]], ours: Callable[[], Mapping[str, Event]]
) -> dict[int, list[Event]]:
    """Unsigned batches that hold nothing but events we already have, with our copies of those events."""
    known: Mapping[str, Event] | None = None  # read from the store only when there is a candidate
    adopted: dict[int, list[Event]] = {}
    for uid, envelope in unsigned:
        if envelope.kind == "presence":
            continue
        try:
            batch = batch_from(envelope)
        except BatchError:
            continue
        known = ours() if known is None else known
        copies = [known.get(event.id) for event in batch.events]
        if batch.events and not batch.rejected and all(copy is not None for copy in copies):
            adopted[uid] = [copy for copy in copies if copy is not None]
    return adopted


def _by(envelope: Envelope, sender: str) -> bool:
    """Whether a presence note says it is `sender`'s (deleting a forged one of those loses nothing)."""
    try:
        return note_from(envelope).agent == sender
    except PresenceError:
        return False
