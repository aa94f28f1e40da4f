"""The IMAP side of the events folder: create it, append batches, read new ones, delete covered ones.

Only standard IMAP: APPEND with \\Seen (webmail users see nothing unread),
UID ranges for incremental reads, \\Deleted plus UID EXPUNGE (UIDPLUS) to
remove exactly the messages a snapshot covers. No keywords carry data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from shared_inbox.net.folder_names import server_name
from shared_inbox.team.encoding import MAX_MESSAGE_BYTES, Batch, BatchError, batch_from
from shared_inbox.team.envelope import Envelope, EnvelopeError, describe, open_envelope
from shared_inbox.team.signing import NO_KEY, TeamKeys, Verdict

log = logging.getLogger(__name__)

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
FETCH_CHUNK = 200
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^<>\r\n]+)>", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int


@dataclass(frozen=True)
class Ignored:
    """A message of the folder that was not taken in, and why; `sender` and `subject` are safe to print."""

    uid: int
    reason: str
    sender: str = ""
    subject: str = ""


@dataclass
class ReadResult:
    """Accepted batches by UID, what was ignored, and the highest UID looked at (read or ignored).

    Presence notes come apart, verified but not decoded: they are not team state
    (see shared_inbox.team.presence).
    """

    uidvalidity: int
    batches: list[tuple[int, Batch]] = field(default_factory=list)
    presence: list[tuple[int, Envelope]] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    high_uid: int = 0
    previous_key: set[int] = field(default_factory=set)  # accepted UIDs signed with the previous key
    unsigned: list[tuple[int, Envelope]] = field(default_factory=list)  # ignored for lacking a signature


class EventsFolder:
    def __init__(self, client: IMAPClient, name: str) -> None:
        self.client = client
        self.name = name

    @classmethod
    def open(cls, client: IMAPClient, configured: str) -> EventsFolder:
        """The folder, created when missing (a teammate creating it at the same time is fine)."""
        folder = cls(client, server_name(client, configured))
        if not client.folder_exists(folder.name):
            try:
                client.create_folder(folder.name)
            except IMAPClientError:
                if not client.folder_exists(folder.name):
                    raise
        return folder

    def status(self) -> FolderStatus:
        """A cheap look (no SELECT) to tell whether anything arrived."""
        answer = self.client.folder_status(self.name, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
        return FolderStatus(
            uidvalidity=int(answer[b"UIDVALIDITY"]),
            uidnext=int(answer[b"UIDNEXT"]),
            messages=int(answer[b"MESSAGES"]),
        )

    def append(self, raw: bytes) -> None:
        self.client.append(self.name, raw, flags=(SEEN,))

    def append_at(self, raw: bytes) -> int | None:
        """Append and say which UID the message got (UIDPLUS, else a search for its Message-ID)."""
        answer = self.client.append(self.name, raw, flags=(SEEN,))
        found = _APPENDUID.search(answer if isinstance(answer, bytes) else str(answer).encode())
        if found is not None:
            return int(found.group(2))
        header = _MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
        if header is None:
            return None
        self.client.select_folder(self.name, readonly=True)
        uids = self.client.search(["HEADER", "Message-ID", header.group(1).decode("ascii", "replace")])
        return max(uids) if uids else None

    def read_after(self, last_uid: int, *, keys: TeamKeys = NO_KEY, readonly: bool = True) -> ReadResult:
        """Every batch `keys` accept with a UID above `last_uid`; all others are logged and listed."""
        selected = self.client.select_folder(self.name, readonly=readonly)
        result = ReadResult(uidvalidity=int(selected[b"UIDVALIDITY"]), high_uid=last_uid)
        if int(selected.get(b"EXISTS", 0)) == 0:
            return result
        uids = sorted(uid for uid in self.client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
        for chunk in _chunks(uids, FETCH_CHUNK):
            sizes = self.client.fetch(chunk, ["RFC822.SIZE"])
            wanted = []
            for uid in chunk:
                size = sizes.get(uid, {}).get(b"RFC822.SIZE")
                if not isinstance(size, int):
                    continue  # expunged meanwhile, by a teammate's compaction
                if size > MAX_MESSAGE_BYTES:
                    log.warning(
                        "events folder: message %d of %s bytes skipped (limit %d)",
                        uid,
                        size,
                        MAX_MESSAGE_BYTES,
                    )
                    result.ignored.append(Ignored(uid, f"over the {MAX_MESSAGE_BYTES} byte limit"))
                else:
                    wanted.append(uid)
            bodies = self.client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
            for uid in wanted:
                raw = bodies.get(uid, {}).get(b"BODY[]")
                if isinstance(raw, bytes):  # else expunged meanwhile, by a teammate's compaction
                    _take(result, uid, raw, keys)
            result.high_uid = max(result.high_uid, chunk[-1])
        return result

    def missing(self, uids: Sequence[int]) -> set[int]:
        """Which of these UIDs no longer exist (the folder must be selected)."""
        if not uids:
            return set()
        present = self.client.search(["UID", ",".join(str(uid) for uid in sorted(set(uids)))])
        return set(uids) - set(present)

    def delete(self, uids: Sequence[int]) -> None:
        """Remove exactly these messages (the folder must be selected read-write)."""
        if not uids:
            return
        self.client.add_flags(list(uids), [DELETED], silent=True)
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge(list(uids))
        else:
            self.client.expunge()  # also other \Deleted ones: those are covered by their own snapshots


def _take(result: ReadResult, uid: int, raw: bytes, keys: TeamKeys) -> None:
    """Sort one message into accepted batches, presence notes or ignored, checking trust before parsing."""
    try:
        envelope = open_envelope(raw, max_bytes=MAX_MESSAGE_BYTES)
    except EnvelopeError as exc:
        log.warning("events folder: message %d ignored: %s", uid, exc)
        result.ignored.append(Ignored(uid, str(exc), *describe(raw)))
        return
    verdict = keys.verify(envelope)
    if not verdict.accepted:
        log.warning("events folder: message %d ignored: %s", uid, verdict.value)
        result.ignored.append(Ignored(uid, verdict.value, envelope.sender, envelope.subject))
        if verdict is Verdict.UNSIGNED:
            result.unsigned.append((uid, envelope))
        return
    if verdict is Verdict.PREVIOUS_KEY:
        result.previous_key.add(uid)
    if envelope.kind == "presence":
        result.presence.append((uid, envelope))
        return
    try:
        batch = batch_from(envelope)
    except BatchError as exc:
        log.warning("events folder: message %d ignored: %s", uid, exc)
        result.ignored.append(Ignored(uid, str(exc), envelope.sender, envelope.subject))
        return
    for reason in batch.rejected[:5]:
        log.warning("events folder: an event in message %d ignored: %s", uid, reason)
    result.batches.append((uid, batch))


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
