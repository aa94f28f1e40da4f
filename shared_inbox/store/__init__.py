"""The durable local store (see store.py for the layout and guarantees)."""

from shared_inbox.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreNotFound,
    StoreTooNew,
    StoreUnusable,
)
from shared_inbox.store.schema import MIGRATIONS, SCHEMA_VERSION
from shared_inbox.store.store import Store
from shared_inbox.store.tables import FolderState

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "FolderState",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "StoreNotFound",
    "StoreUnusable",
    "StoreTooNew",
]
