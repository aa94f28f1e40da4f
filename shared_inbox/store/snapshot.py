"""A compact copy of every stored message, so that a large store opens quickly.

Parsing the JSON shards and checking every field of every document costs about a
second for 50k messages. When the store closes after changes, the messages it
holds in memory are saved in one marshal file together with a digest of the
shard files they match; opening uses the snapshot only when that digest still
matches the shards byte for byte and the snapshot's own checksum holds.
Otherwise (a crash after a change, an older or damaged snapshot, shards edited by
hand) the shards are read as before. The snapshot is a cache: losing or damaging
it costs time, never data, and it is never the only copy of anything.

marshal rather than JSON: loading it takes a tenth of the time. It only ever reads
bytes this module wrote, in a 0600 file inside the 0700 store, behind a checksum.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared_inbox.domain.model import MessageMeta
from shared_inbox.store.files import atomic_write

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "snapshot.bin"
_MAGIC = b"shared-inbox messages snapshot 1\n"
_CHECKSUM_SIZE = 20
_FORMAT = 2  # 2: message kinds and delivery failures

# One shard as (shard number, [(tinydb doc id, message), ...]).
ShardRows = tuple[int, list[tuple[int, MessageMeta]]]
CompactShard = tuple[int, list[tuple[int, tuple[Any, ...]]]]


def shards_digest(shard_files: Sequence[tuple[int, Path]]) -> bytes:
    """A digest of the shard files' names and bytes (about 30 ms for 50k messages)."""
    digest = hashlib.sha1(usedforsecurity=False)
    for number, path in shard_files:
        data = path.read_bytes()
        digest.update(f"{number}:{len(data)}:".encode())
        digest.update(data)
    return digest.digest()


def write_snapshot(path: Path, digest: bytes, shards: Sequence[ShardRows]) -> None:
    """Save the messages of every shard atomically, tagged with the shards' digest."""
    compact = [(number, [(doc_id, _compact(meta)) for doc_id, meta in rows]) for number, rows in shards]
    payload = marshal.dumps((_FORMAT, digest, compact))
    checksum = hashlib.sha1(payload, usedforsecurity=False).digest()
    atomic_write(path, _MAGIC + checksum + payload)


def read_snapshot(path: Path, digest: bytes) -> list[CompactShard] | None:
    """The snapshot's shards when it exists, is intact and matches `digest`; else None."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read the messages snapshot %s (%s); reading the shards", path, exc)
        return None
    head = len(_MAGIC) + _CHECKSUM_SIZE
    if not data.startswith(_MAGIC) or len(data) < head:
        log.warning("%s is not a messages snapshot; reading the shards", path)
        return None
    payload = memoryview(data)[head:]
    if hashlib.sha1(payload, usedforsecurity=False).digest() != data[len(_MAGIC) : head]:
        log.warning("the messages snapshot %s is damaged; reading the shards", path)
        return None
    try:
        fmt, stored_digest, shards = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        log.warning("the messages snapshot %s is unreadable; reading the shards", path)
        return None
    if fmt != _FORMAT or stored_digest != digest:
        return None  # the shards changed after it was written: the normal case after a crash
    result: list[CompactShard] = shards
    return result


def _compact(meta: MessageMeta) -> tuple[Any, ...]:
    """The message as a tuple of marshal-able values, in MessageMeta field order."""
    return (
        meta.message_id,
        meta.subject,
        (meta.sender.name, meta.sender.email),
        tuple((a.name, a.email) for a in meta.to),
        tuple((a.name, a.email) for a in meta.cc),
        meta.date.isoformat(),
        tuple(meta.in_reply_to),
        tuple(meta.references),
        meta.token,
        tuple((a.name, a.email) for a in meta.reply_to),
        tuple(sorted(meta.flags)),
        meta.size,
        tuple((loc.folder, loc.uidvalidity, loc.uid) for loc in meta.locations),
        meta.outgoing,
        meta.has_attachments,
        meta.synthetic_id,
        tuple(meta.header_notes),
        meta.received.isoformat() if meta.received else None,
        meta.kind.value,
        tuple((f.recipient, f.permanent, f.diagnostic) for f in meta.delivery_failures),
        meta.bounced_message_id,
    )
