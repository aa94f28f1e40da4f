"""Message metadata, sharded into small tinydb files by arrival order.

tinydb rewrites a whole file (and rebuilds its table dict) on every change, so
one big table would make each flag change cost time proportional to the whole
mailbox. Shards hold at most `shard_size` messages; new messages go to the
last shard, so old shards change only when their messages do. Every public
write makes at most one durable write per shard it touches.

Indexes (Message-ID -> meta and shard, folder/UIDVALIDITY/UID -> Message-ID)
live in memory and are rebuilt on open; they are updated only after the
matching shard write succeeded, so memory never claims more than the disk.
Only the few most recently written shards keep their tinydb documents in
memory: rereading a shard from the page cache costs about as much as encoding
it, and a large mailbox would otherwise hold every message twice.
A server location belongs to one message only: a message reported at a
location that another message held takes it over.
"""

from __future__ import annotations

import logging
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType

from tinydb import TinyDB
from tinydb.table import Table

from shared_inbox.domain.model import Location, MessageMeta
from shared_inbox.store.codec import CodecError, Doc, MetaDecoder, meta_to_dict
from shared_inbox.store.errors import StoreCorrupt
from shared_inbox.store.files import make_private_dir, remove_leftover_temp_files
from shared_inbox.store.merge import merge_meta, without_folder, without_locations
from shared_inbox.store.snapshot import SNAPSHOT_NAME, ShardRows, read_snapshot, shards_digest, write_snapshot
from shared_inbox.store.storage import AtomicJSONStorage

log = logging.getLogger(__name__)

MESSAGES_NAME = "messages"
# One flag change rewrites a whole shard; 250 documents keep that at a few milliseconds.
SHARD_SIZE = 250
HOT_SHARDS = 8  # shards whose documents stay in memory between writes
TABLE_NAME = "messages"
_SHARD_FILE = re.compile(r"^(\d{5,})\.json$")
_META_FIELDS = operator.attrgetter(*(f.name for f in fields(MessageMeta)))

# Told, after each write, the Message-IDs that were new and those that changed.
MessagesWritten = Callable[[frozenset[str], frozenset[str]], None]


def _copy(meta: MessageMeta) -> MessageMeta:
    """A detached copy (all fields are immutable values), so callers cannot change the index."""
    return MessageMeta(*_META_FIELDS(meta))


@dataclass(eq=False)
class _Shard:
    number: int
    path: Path
    db: TinyDB
    doc_ids: dict[str, int] = field(default_factory=dict)  # message_id -> tinydb doc id

    @property
    def table(self) -> Table:
        return self.db.table(TABLE_NAME)

    @property
    def storage(self) -> AtomicJSONStorage:
        storage = self.db.storage
        assert isinstance(storage, AtomicJSONStorage)
        return storage


@dataclass
class _ShardChange:
    updates: dict[str, Doc] = field(default_factory=dict)
    inserts: list[Doc] = field(default_factory=list)


class MessageShards:
    def __init__(self, directory: Path, shard_size: int = SHARD_SIZE) -> None:
        if shard_size < 1:
            raise ValueError("a shard must hold at least one message")
        self.directory = directory
        self.shard_size = shard_size
        self._shards: list[_Shard] = []
        self._metas: dict[str, MessageMeta] = {}
        self._home: dict[str, _Shard] = {}
        self._by_location: dict[str, dict[int, dict[int, str]]] = {}  # folder -> uidvalidity -> uid -> id
        self._decoder = MetaDecoder()
        self._hot: OrderedDict[_Shard, None] = OrderedDict()
        self._snapshot_current = False  # whether snapshot.bin matches the shards (see snapshot.py)
        self._digest: bytes | None = None  # of the shard files as they are, once computed
        self.listeners: list[MessagesWritten] = []
        # The one copy in memory of every message, read-only to others; entries are replaced, never changed.
        self.table: Mapping[str, MessageMeta] = MappingProxyType(self._metas)

    @classmethod
    def open(cls, directory: Path, *, shard_size: int = SHARD_SIZE) -> MessageShards:
        make_private_dir(directory)
        remove_leftover_temp_files(directory)
        shards = cls(directory, shard_size)
        numbered = []
        for entry in directory.iterdir():
            match = _SHARD_FILE.match(entry.name)
            if match:
                numbered.append((int(match.group(1)), entry))
        numbered.sort()
        if not shards._load_snapshot(numbered):
            for number, path in numbered:
                shards._load_shard(number, path)
        return shards

    def close(self) -> None:
        if self._shards and not self._snapshot_current:
            self._save_snapshot()
        for shard in self._shards:
            shard.db.close()
        self._shards.clear()
        self._hot.clear()

    # -- snapshot --------------------------------------------------------------

    def _load_snapshot(self, numbered: list[tuple[int, Path]]) -> bool:
        """Fill the indexes from snapshot.bin when it matches the shards; False to read them instead."""
        if not numbered:
            return False
        self._digest = shards_digest(numbered)
        snapshot = read_snapshot(self.directory / SNAPSHOT_NAME, self._digest)
        if snapshot is None or [number for number, _ in snapshot] != [number for number, _ in numbered]:
            return False
        decode = self._decoder.from_compact
        try:
            for (number, path), (_, rows) in zip(numbered, snapshot, strict=True):
                shard = _Shard(number, path, TinyDB(path, storage=AtomicJSONStorage))
                self._shards.append(shard)
                for doc_id, row in rows:
                    meta = decode(row)
                    mid = meta.message_id
                    shard.doc_ids[mid] = doc_id
                    self._home[mid] = shard
                    self._metas[mid] = meta
                    self._index(mid, meta)
        except (ValueError, TypeError) as exc:
            log.warning("the messages snapshot does not fit this version (%s); reading the shards", exc)
            self._forget_all()
            return False
        finally:
            self._decoder.forget_ids()
        self._snapshot_current = True
        return True

    def _forget_all(self) -> None:
        for shard in self._shards:
            shard.db.close()
        self._shards.clear()
        self._metas.clear()
        self._home.clear()
        self._by_location.clear()
        self._hot.clear()

    def _save_snapshot(self) -> None:
        """Best effort: a snapshot that cannot be written only makes the next open slower."""
        rows: dict[_Shard, list[tuple[int, MessageMeta]]] = {shard: [] for shard in self._shards}
        for mid, meta in self._metas.items():
            shard = self._home[mid]
            rows[shard].append((shard.doc_ids[mid], meta))
        shards: list[ShardRows] = [(shard.number, rows[shard]) for shard in self._shards]
        try:
            digest = self.digest()
            write_snapshot(self.directory / SNAPSHOT_NAME, digest, shards)
        except OSError as exc:
            log.warning("could not save the messages snapshot (%s); the next start reads the shards", exc)
            return
        self._snapshot_current = True

    def digest(self) -> bytes:
        """A digest of the shard files as they are now: what the messages in memory were read from."""
        if self._digest is None:
            self._digest = shards_digest([(shard.number, shard.path) for shard in self._shards])
        return self._digest

    # -- reads -----------------------------------------------------------------

    def get(self, message_id: str) -> MessageMeta | None:
        meta = self._metas.get(message_id)
        return None if meta is None else _copy(meta)

    def __iter__(self) -> Iterator[MessageMeta]:
        return (_copy(meta) for meta in list(self._metas.values()))

    def __len__(self) -> int:
        return len(self._metas)

    def uid_map(self, folder: str, uidvalidities: Collection[int] | None = None) -> dict[int, str]:
        """UID -> Message-ID for `folder`, limited to the given UIDVALIDITY values when given."""
        result: dict[int, str] = {}
        for validity, uids in sorted(self._by_location.get(folder, {}).items()):
            if uidvalidities is None or validity in uidvalidities:
                result.update(uids)
        return result

    # -- writes ----------------------------------------------------------------

    def upsert(self, metas: Sequence[MessageMeta]) -> list[str]:
        """Store new messages and merge known ones (see merge.py); returns the ids that were new."""
        pending: dict[str, MessageMeta] = {}
        new_ids: list[str] = []
        claims: dict[Location, str] = {}
        for meta in metas:
            mid = meta.message_id
            if not isinstance(mid, str) or not mid:
                raise ValueError("a message needs a non-empty Message-ID")
            base = pending[mid] if mid in pending else self._metas.get(mid)
            if base is None:
                new_ids.append(mid)
                # (dataclasses.replace for every new message cost a tenth of a header sync's store time)
                flags = meta.flags
                pending[mid] = meta if type(flags) is frozenset else replace(meta, flags=frozenset(flags))
            else:
                pending[mid] = merge_meta(base, meta)
            for loc in meta.locations:
                holder = claims.get(loc) or self._holder(loc)
                if holder is not None and holder != mid:
                    held = pending[holder] if holder in pending else self._metas[holder]
                    pending[holder] = without_locations(held, {loc})
                claims[loc] = mid
        self._commit(pending, set(new_ids))
        return new_ids

    def set_flags(self, changes: Mapping[str, Iterable[str]]) -> None:
        pending = {}
        for mid, flags in changes.items():
            meta = self._metas.get(mid)
            if meta is not None:
                pending[mid] = replace(meta, flags=frozenset(flags))
        self._commit(pending, set())

    def remove_locations(
        self, folder: str, uids: Iterable[int], uidvalidities: Collection[int] | None = None
    ) -> None:
        wanted = set(uids)
        gone: dict[str, set[Location]] = {}
        for validity, table in self._by_location.get(folder, {}).items():
            if uidvalidities is not None and validity not in uidvalidities:
                continue
            for uid in wanted & table.keys():
                gone.setdefault(table[uid], set()).add(Location(folder, validity, uid))
        self._commit({mid: without_locations(self._metas[mid], locs) for mid, locs in gone.items()}, set())

    def drop_folder(self, folder: str) -> None:
        """Forget every location in `folder` (its UIDVALIDITY changed, all UIDs are void)."""
        pending = {
            mid: without_folder(meta, folder)
            for mid, meta in self._metas.items()
            if any(loc.folder == folder for loc in meta.locations)
        }
        self._commit(pending, set())

    # -- internals -------------------------------------------------------------

    def _holder(self, loc: Location) -> str | None:
        return self._by_location.get(loc.folder, {}).get(loc.uidvalidity, {}).get(loc.uid)

    def _commit(self, pending: Mapping[str, MessageMeta], new: set[str]) -> None:
        """Write changed messages, one durable write per touched shard, then update the indexes."""
        changed = {mid: m for mid, m in pending.items() if mid in new or self._metas.get(mid) != m}
        if not changed:
            return
        docs = {mid: meta_to_dict(meta) for mid, meta in changed.items()}  # fail before any write
        plan: dict[_Shard, _ShardChange] = {}
        for mid in changed:
            if mid not in new:
                plan.setdefault(self._home[mid], _ShardChange()).updates[mid] = docs[mid]
        to_insert = [mid for mid in changed if mid in new]
        shard = self._shard_with_room() if to_insert else None
        while shard is not None:
            room = self.shard_size - len(shard.doc_ids)
            take, to_insert = to_insert[:room], to_insert[room:]
            plan.setdefault(shard, _ShardChange()).inserts.extend(docs[mid] for mid in take)
            shard = self._new_shard() if to_insert else None
        self._snapshot_current = False
        self._digest = None
        written: list[str] = []
        try:
            for shard, change in plan.items():
                inserted = self._write(shard, change)
                self._index_written(shard, change, inserted, changed)
                self._keep_hot(shard)
                written.extend(change.updates)
                written.extend(str(doc["message_id"]) for doc in change.inserts)
        finally:
            self._tell(written, new)

    def _tell(self, written: list[str], new: set[str]) -> None:
        """Tell the listeners what reached the disk (and memory), even when a later shard failed."""
        if not written or not self.listeners:
            return
        fresh = frozenset(mid for mid in written if mid in new)
        updated = frozenset(written) - fresh
        for listener in self.listeners:
            listener(fresh, updated)

    def _write(self, shard: _Shard, change: _ShardChange) -> list[int]:
        updates = change.updates

        def replace_document(doc: MutableMapping[str, object]) -> None:
            fresh = updates[str(doc["message_id"])]
            doc.clear()
            doc.update(fresh)

        with shard.storage.batch():
            if updates:
                shard.table.update(replace_document, doc_ids=[shard.doc_ids[mid] for mid in updates])
            return shard.table.insert_multiple(change.inserts) if change.inserts else []

    def _index_written(
        self, shard: _Shard, change: _ShardChange, inserted: list[int], metas: Mapping[str, MessageMeta]
    ) -> None:
        """Index what was written. The codec round-trips exactly (a property test holds it to
        that), so memory equals a reload without decoding the documents again."""
        for mid in change.updates:
            self._unindex(mid, self._metas[mid])
            self._metas[mid] = meta = _copy(metas[mid])
            self._index(mid, meta)
        for doc, doc_id in zip(change.inserts, inserted, strict=True):
            mid = doc["message_id"]
            shard.doc_ids[mid] = doc_id
            self._home[mid] = shard
            self._metas[mid] = meta = _copy(metas[mid])
            self._index(mid, meta)

    def _index(self, mid: str, meta: MessageMeta) -> None:
        for loc in meta.locations:
            self._by_location.setdefault(loc.folder, {}).setdefault(loc.uidvalidity, {})[loc.uid] = mid

    def _unindex(self, mid: str, meta: MessageMeta) -> None:
        for loc in meta.locations:
            by_validity = self._by_location.get(loc.folder, {})
            uids = by_validity.get(loc.uidvalidity, {})
            if uids.get(loc.uid) == mid:
                del uids[loc.uid]
                if not uids:
                    del by_validity[loc.uidvalidity]
                if not by_validity:
                    del self._by_location[loc.folder]

    def _keep_hot(self, shard: _Shard) -> None:
        self._hot[shard] = None
        self._hot.move_to_end(shard)
        while len(self._hot) > HOT_SHARDS:
            cold, _ = self._hot.popitem(last=False)
            cold.storage.drop_cache()

    def _shard_with_room(self) -> _Shard:
        if not self._shards or len(self._shards[-1].doc_ids) >= self.shard_size:
            return self._new_shard()
        return self._shards[-1]

    def _new_shard(self) -> _Shard:
        number = self._shards[-1].number + 1 if self._shards else 0
        path = self.directory / f"{number:05d}.json"
        shard = _Shard(number, path, TinyDB(path, storage=AtomicJSONStorage))
        self._shards.append(shard)
        return shard

    def _load_shard(self, number: int, path: Path) -> None:
        shard = _Shard(number, path, TinyDB(path, storage=AtomicJSONStorage))
        self._shards.append(shard)
        # Straight from the storage rather than table.all(), which would copy every document.
        tables = shard.storage.read() or {}
        for key, document in tables.get(TABLE_NAME, {}).items():
            try:
                doc_id = int(key)
                meta = self._decoder.decode(document)
            except (ValueError, CodecError) as exc:
                raise StoreCorrupt(
                    f"{path} is damaged: message document {key} is unreadable ({exc})."
                ) from exc
            mid = meta.message_id
            if mid in self._metas:
                log.warning("%s: document %d repeats a stored Message-ID; ignored", path, doc_id)
                continue
            shard.doc_ids[mid] = doc_id
            self._home[mid] = shard
            self._metas[mid] = meta
            self._index(mid, meta)
        self._keep_hot(shard)
