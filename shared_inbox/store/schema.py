"""The store's schema version (in meta.json) and the hook that upgrades old stores.

`MIGRATIONS[n]` turns a version n-1 store into a version n store. It gets the
store directory, runs while the store is locked and before anything is loaded,
and must be safe to run again: the version is bumped only after it returns, so
a crash in the middle repeats it on the next open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shared_inbox.store.errors import StoreCorrupt, StoreError, StoreTooNew
from shared_inbox.store.files import atomic_write
from shared_inbox.store.storage import encode_json, read_json_file

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MIGRATIONS: dict[int, Callable[[Path], None]] = {}
META_NAME = "meta.json"


@dataclass(frozen=True, slots=True)
class StoreMeta:
    schema_version: int
    created: str  # ISO 8601, UTC


def read_meta(store_path: Path) -> StoreMeta | None:
    path = store_path / META_NAME
    data = read_json_file(path)
    if data is None:
        return None
    version = data.get("schema_version") if isinstance(data, dict) else None
    created = data.get("created") if isinstance(data, dict) else None
    if isinstance(version, bool) or not isinstance(version, int) or not isinstance(created, str):
        raise StoreCorrupt(f"{path} does not hold a schema version; the store is damaged.")
    if version < 1:
        raise StoreCorrupt(f"{path} does not hold a schema version; the store is damaged.")
    return StoreMeta(version, created)


def write_meta(store_path: Path, meta: StoreMeta) -> None:
    atomic_write(
        store_path / META_NAME, encode_json({"schema_version": meta.schema_version, "created": meta.created})
    )


def new_meta() -> StoreMeta:
    return StoreMeta(SCHEMA_VERSION, datetime.now(UTC).isoformat())


def upgrade(store_path: Path, meta: StoreMeta) -> StoreMeta:
    """Bring the store to SCHEMA_VERSION one migration at a time; refuse newer stores."""
    if meta.schema_version > SCHEMA_VERSION:
        raise StoreTooNew(
            f"{store_path} was written by a newer shared-inbox (schema version {meta.schema_version}, "
            f"this program understands up to {SCHEMA_VERSION}); upgrade shared-inbox to open it."
        )
    while meta.schema_version < SCHEMA_VERSION:
        target = meta.schema_version + 1
        migration = MIGRATIONS.get(target)
        if migration is None:
            raise StoreError(
                f"{store_path} has schema version {meta.schema_version} and this program has no "
                f"migration to version {target}."
            )
        log.info("migrating store %s to schema version %d", store_path, target)
        migration(store_path)
        meta = StoreMeta(target, meta.created)
        write_meta(store_path, meta)
    return meta
