"""The append-only event log: one checksummed JSON line per event.

Each line is `{"crc":"<crc32 hex>","e":{...}}` where the CRC covers the
canonical JSON of the event (sorted keys, compact, ASCII), which is also
exactly how the event is written. Appends are fsync'd before they are
acknowledged. A crash can only damage the last line, so on open an unreadable
tail is cut off; an unreadable line in the middle (disk damage, a bad manual
edit) is skipped with a warning so the rest of the team's history still loads.

Events are kept in memory as their canonical JSON text, which is several
times smaller than the parsed dicts; `events()` parses them on demand.
"""

from __future__ import annotations

import json
import logging
import os
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from shared_inbox.store.files import FILE_MODE, fsync_dir, sync_fd, write_all

log = logging.getLogger(__name__)

EVENTS_NAME = "events.log"
# The exact shape we write; other spellings of the same record still load (slower path).
_OUR_LINE = re.compile(rb'\{"crc":"([0-9a-f]{8})","e":(\{.*\})\}\s*', re.DOTALL)


def canonical_json(event: Mapping[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), allow_nan=False)


def checksum(canonical: str | bytes) -> str:
    data = canonical.encode("ascii") if isinstance(canonical, str) else canonical
    return format(zlib.crc32(data), "08x")


def encode_line(canonical: str) -> bytes:
    return f'{{"crc":"{checksum(canonical)}","e":{canonical}}}\n'.encode("ascii")


def decode_line(line: bytes) -> tuple[str, str] | None:
    """(event id, canonical JSON) for a sound line, None for a damaged one."""
    ours = _OUR_LINE.fullmatch(line)
    if ours is not None and checksum(ours.group(2)) == ours.group(1).decode():
        canonical = ours.group(2).decode("ascii")
        event = _parse_object(canonical)
    else:
        record = _parse_object(line)
        if record is None:
            return None
        crc, event = record.get("crc"), record.get("e")
        if not isinstance(crc, str) or not isinstance(event, dict):
            return None
        try:
            canonical = canonical_json(event)
        except ValueError:
            return None
        if checksum(canonical) != crc:
            return None
    if event is None or not isinstance(event.get("id"), str) or not event["id"]:
        return None
    return event["id"], canonical


def _parse_object(text: str | bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _lines(data: bytes) -> Iterator[tuple[int, bytes, int]]:
    """(line number, line without newline, offset just past the line)."""
    pos, number = 0, 0
    while pos < len(data):
        number += 1
        newline = data.find(b"\n", pos)
        end = len(data) if newline == -1 else newline + 1
        yield number, data[pos : end if newline == -1 else newline], end
        pos = end


class EventLog:
    """Events in file order, deduplicated by their "id"."""

    def __init__(self, path: Path, fd: int, size: int, entries: dict[str, str]) -> None:
        self.path = path
        self._fd: int | None = fd
        self._size = size
        self._entries = entries  # id -> canonical JSON, in file order

    @classmethod
    def open(cls, path: Path) -> EventLog:
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            if created:
                os.fchmod(fd, FILE_MODE)
                fsync_dir(path.parent)
            entries, size = _load_and_repair(path, fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, size, entries)

    def append(self, event: Mapping[str, Any]) -> bool:
        """Durably add `event`; False (and nothing written) if its id is already in the log."""
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[Mapping[str, Any]]) -> list[bool]:
        """Durably add several events with one write and one fsync; per event, whether it was new.

        An id already in the log, or earlier in the same batch, is not written again. Every
        event is checked before anything is written, so a bad one leaves the log unchanged;
        a crash mid-write loses at most the unacknowledged batch's torn tail, which the next
        open cuts off at the last whole line.
        """
        added: list[bool] = []
        fresh: dict[str, str] = {}
        for event in events:
            event_id = event.get("id")
            if not isinstance(event_id, str) or not event_id:
                raise ValueError("an event needs a non-empty string 'id'")
            is_new = event_id not in self._entries and event_id not in fresh
            if is_new:
                fresh[event_id] = canonical_json(event)
            added.append(is_new)
        if not fresh:
            return added
        data = b"".join(encode_line(canonical) for canonical in fresh.values())
        fd = self._require_fd()
        try:
            write_all(fd, data)
            sync_fd(fd)
        except BaseException:
            # Never leave half a line for the next append to glue onto.
            os.ftruncate(fd, self._size)
            raise
        self._size += len(data)
        self._entries.update(fresh)
        return added

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def events(self) -> list[dict[str, Any]]:
        """Freshly parsed events in the order they were appended (callers may keep or change them)."""
        parsed: list[dict[str, Any]] = json.loads("[" + ",".join(self._entries.values()) + "]")
        return parsed

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def _require_fd(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        return self._fd


def _load_and_repair(path: Path, fd: int) -> tuple[dict[str, str], int]:
    """Read every sound event; cut a damaged tail off the file so appends start clean."""
    data = b""
    while chunk := os.pread(fd, 1 << 20, len(data)):
        data += chunk
    entries: dict[str, str] = {}
    bad: list[int] = []
    good_end = 0
    for number, line, end in _lines(data):
        if not line.strip():
            continue
        decoded = decode_line(line)
        if decoded is None:
            bad.append(number)
            continue
        good_end = end
        for skipped in bad:
            log.warning("%s: line %d is damaged and was skipped", path, skipped)
        bad.clear()
        entries.setdefault(*decoded)
    if good_end < len(data):
        if bad:
            log.warning("%s: removed an incomplete last entry (line %d)", path, bad[0])
        os.ftruncate(fd, good_end)
        sync_fd(fd)
        data = data[:good_end]
    if data and not data.endswith(b"\n"):
        # The last event is whole but lost its newline; finish the line.
        write_all(fd, b"\n")
        sync_fd(fd)
        good_end += 1
    return entries, good_end
