"""Small tinydb tables kept whole in memory: per-folder sync state and settings.

Both are tiny (one document per folder or setting), so tinydb's rewrite of the
whole file on each change is cheap; the atomic storage makes it crash-safe.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from shared_inbox.store.errors import StoreCorrupt
from shared_inbox.store.storage import AtomicJSONStorage, encode_json

FOLDERS_NAME = "folders.json"
SETTINGS_NAME = "settings.json"


@dataclass(frozen=True, slots=True)
class FolderState:
    """What the last sync of a folder saw, so the next one can resume or skip work."""

    name: str
    uidvalidity: int
    uidnext: int
    highestmodseq: int | None = None
    last_full_flag_sync: str | None = None  # ISO 8601, UTC


def _folder_from_doc(path: Path, doc: Document) -> FolderState:
    def field(key: str, kind: type, optional: bool = False) -> Any:
        value = doc.get(key)
        if (value is None and optional) or (isinstance(value, kind) and not isinstance(value, bool)):
            return value
        raise StoreCorrupt(f"{path} is damaged: folder document {doc.doc_id} has a bad {key!r}.")

    return FolderState(
        name=field("name", str),
        uidvalidity=field("uidvalidity", int),
        uidnext=field("uidnext", int),
        highestmodseq=field("highestmodseq", int, optional=True),
        last_full_flag_sync=field("last_full_flag_sync", str, optional=True),
    )


class FolderTable:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = TinyDB(path, storage=AtomicJSONStorage)
        self._table = self._db.table("folders")
        self._states: dict[str, tuple[int, FolderState]] = {}
        for doc in self._table:
            state = _folder_from_doc(path, doc)
            self._states[state.name] = (doc.doc_id, state)

    def get(self, name: str) -> FolderState | None:
        entry = self._states.get(name)
        return None if entry is None else entry[1]

    def names(self) -> list[str]:
        return sorted(self._states)

    def save(self, state: FolderState) -> None:
        doc = asdict(state)
        entry = self._states.get(state.name)
        if entry is None:
            doc_id = self._table.insert(doc)
        else:
            doc_id = entry[0]
            self._table.update(doc, doc_ids=[doc_id])
        self._states[state.name] = (doc_id, state)

    def close(self) -> None:
        self._db.close()


class SettingsTable:
    """JSON values by key; callers get copies, so mutating one never skips the disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = TinyDB(path, storage=AtomicJSONStorage)
        self._table = self._db.table("settings")
        self._values: dict[str, tuple[int, Any]] = {}
        for doc in self._table:
            key = doc.get("key")
            if not isinstance(key, str) or "value" not in doc:
                raise StoreCorrupt(f"{path} is damaged: setting document {doc.doc_id} has no key or value.")
            self._values[key] = (doc.doc_id, doc["value"])

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._values.get(key)
        return default if entry is None else copy.deepcopy(entry[1])

    def set(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError("setting keys are strings")
        # Round-trip through JSON: refuses what JSON cannot hold before touching the table,
        # and gives the value the exact shape it will have after a reload (tuples -> lists).
        value = json.loads(encode_json(value))
        entry = self._values.get(key)
        if entry is None:
            doc_id = self._table.insert({"key": key, "value": value})
        else:
            doc_id = entry[0]
            self._table.update({"key": key, "value": value}, doc_ids=[doc_id])
        self._values[key] = (doc_id, value)

    def close(self) -> None:
        self._db.close()
