"""Mirror IMAP folders into the local store: headers first, bodies later.

The sync is resumable at any instant because every batch is written to the
store (durably) before the next one is fetched, and because progress is
derived from what the store holds (message locations), not from a separate
cursor that could drift. State is keyed by Message-ID; UIDs are only a way to
find a message on the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from imapclient import IMAPClient

from shared_inbox.domain.model import MessageMeta
from shared_inbox.imap.fast_fetch import fetch_headers
from shared_inbox.imap.header_batches import fetched_row, normalise_flags, parse_rows, parser_pool
from shared_inbox.imap.qresync import QuickSelect, select_quickly
from shared_inbox.imap.second_look import distinct_identity, identify_by_text, read_bounces, stored_identity
from shared_inbox.imap.sync_window import WindowFloors, count_from, uids_from, window_floor, window_start
from shared_inbox.imap.uid_search import search_uids
from shared_inbox.mail.headers import WANTED_HEADERS
from shared_inbox.store import FolderState, Store

log = logging.getLogger(__name__)

HEADER_FIELDS = " ".join(name.upper() for name in WANTED_HEADERS)
HEADER_ITEMS = [
    b"FLAGS",
    b"INTERNALDATE",
    b"RFC822.SIZE",
    f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]".encode(),
]
FLAG_CHUNK = 5000
# Background body fetches stop at this size; bigger messages come on demand so
# one huge mail cannot hold up everything behind it.
BACKGROUND_BODY_LIMIT = 8 * 1024 * 1024
BODY_BATCH_BYTES = 4 * 1024 * 1024
# Below this many batches, starting a helper process costs more than it saves.
PARALLEL_MIN_BATCHES = 4

Progress = Callable[[str, str, int, int], None]  # folder, phase, done, total


def _no_progress(folder: str, phase: str, done: int, total: int) -> None:
    return None


@dataclass
class FolderReport:
    folder: str
    new: int = 0
    flag_updates: int = 0
    expunged: int = 0
    uidvalidity_reset: bool = False
    unchanged: bool = False
    new_ids: list[str] = field(default_factory=list)
    flagged_ids: list[str] = field(default_factory=list)  # known messages whose flags changed on the server


class FolderSync:
    """Syncs folders over one logged-in connection."""

    def __init__(
        self,
        client: IMAPClient,
        store: Store,
        *,
        our_addresses: frozenset[str],
        sent_folder: str,
        batch_size: int = 500,
        progress: Progress | None = None,
        since_days: int | None = None,
    ) -> None:
        self.client = client
        self.since_days = since_days
        self.store = store
        self.our_addresses = our_addresses
        self.sent_folder = sent_folder
        self.batch_size = max(1, batch_size)
        self.progress = progress or _no_progress
        self._pool: ProcessPoolExecutor | None = None
        # ENABLE CONDSTORE is sent once per connection, by connect_imap.
        self.condstore = getattr(client, "condstore_enabled", False)
        self.qresync = getattr(client, "qresync_enabled", False)

    def _parser_pool(self) -> ProcessPoolExecutor | None:
        """Started once and kept for every folder of this round: starting one costs ~0.3 s."""
        if self._pool is None:
            self._pool = parser_pool()
        return self._pool

    def close(self) -> None:
        """Stop the header-parsing helper process, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    # -- the whole folder ------------------------------------------------

    def sync_folder(self, folder: str) -> FolderReport:
        report = FolderReport(folder)
        stored = self.store.folder_state(folder)
        if stored is not None and self._unchanged(folder, stored):
            report.unchanged = True
            return report
        known = self.store.uid_map(folder)
        quick = self._select_quickly(folder, stored, known)
        if quick is not None:
            uidvalidity, uidnext, exists, modseq = (
                quick.uidvalidity,
                quick.uidnext,
                quick.exists,
                quick.highestmodseq,
            )
        else:
            selected = self.client.select_folder(folder)
            uidvalidity = int(selected[b"UIDVALIDITY"])
            uidnext = int(selected.get(b"UIDNEXT", 0))
            exists = int(selected.get(b"EXISTS", 0))
            modseq_raw = selected.get(b"HIGHESTMODSEQ")
            modseq = int(modseq_raw) if modseq_raw is not None else None

        if stored is not None and stored.uidvalidity != uidvalidity:
            log.warning("UIDVALIDITY of %s changed; re-reading it, local state is kept", folder)
            self.store.drop_folder_locations(folder)
            report.uidvalidity_reset = True
            stored = None
            quick = None  # the server's answer named no changes for a folder we must re-read
            known = {}

        if quick is not None:
            known = self._apply_quick_changes(folder, quick, known, report)
        known, new_uids = self._find_new(folder, known, (uidvalidity, uidnext, exists), report)
        self._fetch_headers(folder, uidvalidity, new_uids, report)
        if known and quick is None:
            since = stored.highestmodseq if stored is not None else None
            report.flagged_ids = self._refresh_flags(known, since)
            report.flag_updates = len(report.flagged_ids)
        self.store.save_folder_state(
            FolderState(
                name=folder,
                uidvalidity=uidvalidity,
                uidnext=uidnext,
                highestmodseq=modseq,
                last_full_flag_sync=datetime.now(UTC).isoformat(),
            )
        )
        return report

    def _find_new(
        self, folder: str, known: dict[int, str], selected: tuple[int, int, int], report: FolderReport
    ) -> tuple[dict[int, str], list[int]]:
        """The UIDs still on the server of those we hold, and the ones to fetch.

        Above the window's floor (everything, without a window) the server must hold
        exactly what we know plus what is new; when the count disagrees, messages were
        expunged, and one search names them. Older mail fetched on demand lies below the
        floor and is left alone.
        """
        uidvalidity, uidnext, exists = selected
        since = window_start(self.since_days, datetime.now(UTC))
        floor = window_floor(
            self.client, WindowFloors(self.store), (folder, uidvalidity, uidnext, exists), known, since
        )
        if isinstance(floor, list):
            return known, floor  # the first sync of a window: what arrived inside it
        above = {u: m for u, m in known.items() if u >= floor} if floor > 1 else known
        highest = max(known, default=0)
        new_uids = [u for u in search_uids(self.client, ["UID", f"{highest + 1}:*"], exists) if u > highest]
        windowed = floor > 1
        on_server = count_from(self.client, floor, exists) if windowed else exists
        if len(above) + len(new_uids) == on_server:
            return known, new_uids
        server_uids = (
            uids_from(self.client, floor, exists)
            if windowed
            else set(search_uids(self.client, ["ALL"], exists))
        )
        gone = [u for u in above if u not in server_uids]
        if gone:
            self.store.remove_locations(folder, gone)
            report.expunged += len(gone)
            known = {u: m for u, m in known.items() if u not in set(gone)}
        return known, sorted(u for u in server_uids if u not in known)

    def _select_quickly(
        self, folder: str, stored: FolderState | None, known: dict[int, str]
    ) -> QuickSelect | None:
        """A QRESYNC SELECT when the server offers it and we know where we left off."""
        if not self.qresync or stored is None or stored.highestmodseq is None:
            return None
        return select_quickly(self.client, folder, stored.uidvalidity, stored.highestmodseq, list(known))

    def _apply_quick_changes(
        self, folder: str, quick: QuickSelect, known: dict[int, str], report: FolderReport
    ) -> dict[int, str]:
        """Apply the expunges and flag changes a QRESYNC SELECT named; return the UIDs still there."""
        gone = quick.vanished.among(known)
        if gone:
            self.store.remove_locations(folder, sorted(gone))
            report.expunged = len(gone)
            known = {u: m for u, m in known.items() if u not in gone}
        changes: dict[str, frozenset[str]] = {}
        response: dict[int, dict[bytes, object]] = {
            uid: {b"FLAGS": flags} for uid, flags in quick.changed_flags.items()
        }
        self._collect_flag_changes(response, known, changes)
        if changes:
            self.store.update_flags(changes)
        report.flagged_ids = list(changes)
        report.flag_updates = len(changes)
        return known

    def _unchanged(self, folder: str, stored: FolderState) -> bool:
        """A STATUS round trip tells whether anything moved since last time."""
        what = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"]
        if self.condstore and stored.highestmodseq is not None:
            what.append(b"HIGHESTMODSEQ")
        status = self.client.folder_status(folder, what)
        if int(status[b"UIDVALIDITY"]) != stored.uidvalidity or int(status[b"UIDNEXT"]) != stored.uidnext:
            return False
        if b"HIGHESTMODSEQ" not in status:
            return False  # no cheap way to know flags did not change
        if int(status[b"HIGHESTMODSEQ"]) != stored.highestmodseq:
            return False
        if self.since_days is not None:
            # Older mail outside the window stays uncounted; a QRESYNC server moves
            # HIGHESTMODSEQ on every expunge (RFC 7162), which is then enough to know.
            return self.qresync
        return int(status[b"MESSAGES"]) == len(self.store.uid_map(folder))

    # -- headers ---------------------------------------------------------

    def _fetch_headers(
        self, folder: str, uidvalidity: int, uids: Sequence[int], report: FolderReport
    ) -> None:
        """Download header batches; parse each in a helper process while the next downloads.

        Batches are stored strictly in UID order, so what the store holds is always a
        prefix of the work and an interrupted sync resumes cleanly.
        """
        total = len(uids)
        self.progress(folder, "headers", 0, total)
        is_sent = folder == self.sent_folder
        batches = [list(uids[i : i + self.batch_size]) for i in range(0, total, self.batch_size)]
        pool = self._parser_pool() if len(batches) >= PARALLEL_MIN_BATCHES else None
        done = 0
        pending: Future[list[MessageMeta]] | list[MessageMeta] | None = None
        try:
            for batch in batches:
                response = fetch_headers(self.client, batch, HEADER_ITEMS)
                rows = [
                    fetched_row(uid, response[uid], folder, uidvalidity) for uid in batch if uid in response
                ]
                job: Future[list[MessageMeta]] | list[MessageMeta]
                if pool is not None:
                    job = pool.submit(parse_rows, rows, self.our_addresses, is_sent)
                else:
                    job = parse_rows(rows, self.our_addresses, is_sent)
                if pending is not None:
                    done += self._store_batch(pending, report)
                    self.progress(folder, "headers", done, total)
                pending = job
            if pending is not None:
                done += self._store_batch(pending, report)
            self.progress(folder, "headers", total, total)
        except BaseException:
            self.close()  # a failed batch may leave work queued in the helper
            raise

    def _store_batch(self, job: Future[list[MessageMeta]] | list[MessageMeta], report: FolderReport) -> int:
        fetched = job.result() if isinstance(job, Future) else job
        parsed = read_bounces(self.client, identify_by_text(self.client, fetched))
        metas: list[MessageMeta] = []
        seen_ids: dict[str, MessageMeta] = {}
        for meta in parsed:
            existing = seen_ids.get(meta.message_id) or self.store.message(meta.message_id)
            if existing is None and meta.synthetic_id:
                meta = stored_identity(self.store, meta)
                existing = seen_ids.get(meta.message_id) or self.store.message(meta.message_id)
            meta = distinct_identity(existing, meta)
            seen_ids[meta.message_id] = meta
            metas.append(meta)
        report.new_ids.extend(self.store.upsert_messages(metas))
        report.new += len(metas)
        return len(metas)

    # -- flags -------------------------------------------------------------

    def _refresh_flags(self, known: dict[int, str], since_modseq: int | None) -> list[str]:
        # imapclient only accepts explicit UID lists, and servers cap the command
        # line length, so UIDs go in chunks. CHANGEDSINCE keeps the answers small.
        changes: dict[str, frozenset[str]] = {}
        modifiers = [f"CHANGEDSINCE {since_modseq}"] if self.condstore and since_modseq is not None else None
        uids = sorted(known)
        for start in range(0, len(uids), FLAG_CHUNK):
            response = self.client.fetch(uids[start : start + FLAG_CHUNK], [b"FLAGS"], modifiers=modifiers)
            self._collect_flag_changes(response, known, changes)
        if changes:
            self.store.update_flags(changes)
        return list(changes)

    def _collect_flag_changes(
        self, response: dict[int, dict[bytes, object]], known: dict[int, str], out: dict[str, frozenset[str]]
    ) -> None:
        for uid, item in response.items():
            mid = known.get(uid)
            if mid is None:
                continue
            flags = normalise_flags(item.get(b"FLAGS") or ())  # type: ignore[arg-type]
            current = self.store.message(mid)
            if current is not None and current.flags != flags:
                out[mid] = flags

    def push_flags(self, changes: Sequence[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
        """Apply local flag changes (message_id, flag, add) on the server.

        Returns the changes that could not be applied because the message has no
        known location (they are dropped by the caller after logging).
        """
        by_folder: dict[tuple[str, str, bool], list[int]] = {}
        unplaced = []
        for mid, flag, add in changes:
            meta = self.store.message(mid)
            if meta is None or not meta.locations:
                unplaced.append((mid, flag, add))
                continue
            for loc in meta.locations:
                by_folder.setdefault((loc.folder, flag, add), []).append(loc.uid)
        for (folder, flag, add), uids in sorted(by_folder.items()):
            self.client.select_folder(folder)
            if add:
                self.client.add_flags(uids, [flag.encode()], silent=True)
            else:
                self.client.remove_flags(uids, [flag.encode()], silent=True)
        return unplaced

    def fetch_older(self, folder: str, criteria: list[object], limit: int) -> list[str]:
        """Headers of mail below the window's floor that match `criteria` (newest `limit`), stored.

        Returns the ids newly stored. Without a window everything is mirrored already.
        """
        selected = self.client.select_folder(folder, readonly=True)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        floor = WindowFloors(self.store).get(folder, uidvalidity)
        if floor is None or floor <= 1:
            return []
        wide = any(isinstance(c, str) and not c.isascii() for c in criteria)
        exists = int(selected.get(b"EXISTS", 0))
        found = search_uids(
            self.client, [*criteria, "UID", f"1:{floor - 1}"], exists, charset="UTF-8" if wide else None
        )
        known = self.store.uid_map(folder)
        wanted = sorted(uid for uid in found if uid < floor and uid not in known)[-limit:]
        report = FolderReport(folder)
        self._fetch_headers(folder, uidvalidity, wanted, report)
        return report.new_ids

    # -- bodies ------------------------------------------------------------

    def fetch_bodies(self, folder: str, *, limit: int | None = None) -> int:
        """Cache raw messages of a folder in the background, small batches first."""
        known = self.store.uid_map(folder)
        wanted: list[tuple[int, int, str]] = []
        for uid, mid in known.items():
            if self.store.has_raw(mid):
                continue
            meta = self.store.message(mid)
            size = meta.size if meta else 0
            if size > BACKGROUND_BODY_LIMIT:
                continue
            wanted.append((size, uid, mid))
        if not wanted:
            return 0
        wanted.sort(key=lambda w: (-w[1],))  # newest first: those are read first
        if limit is not None:
            wanted = wanted[:limit]
        self.client.select_folder(folder, readonly=True)
        done = 0
        self.progress(folder, "bodies", 0, len(wanted))
        batch: list[tuple[int, int, str]] = []
        batch_bytes = 0
        for entry in wanted:
            batch.append(entry)
            batch_bytes += entry[0]
            if batch_bytes >= BODY_BATCH_BYTES or len(batch) >= self.batch_size:
                done += self._fetch_body_batch(batch)
                self.progress(folder, "bodies", done, len(wanted))
                batch, batch_bytes = [], 0
        if batch:
            done += self._fetch_body_batch(batch)
            self.progress(folder, "bodies", done, len(wanted))
        return done

    def _fetch_body_batch(self, batch: Sequence[tuple[int, int, str]]) -> int:
        response = self.client.fetch([uid for _, uid, _ in batch], [b"BODY.PEEK[]"])
        items = []
        for _, uid, mid in batch:
            raw = response.get(uid, {}).get(b"BODY[]")
            if isinstance(raw, bytes):
                items.append((mid, raw))
        self.store.save_raw_many(items)
        return len(items)

    def fetch_body(self, message_id: str) -> bytes | None:
        """Fetch one message now (a conversation was opened), from any folder that has it."""
        cached = self.store.load_raw(message_id)
        if cached is not None:
            return cached
        meta = self.store.message(message_id)
        if meta is None:
            return None
        for loc in meta.locations:
            selected = self.client.select_folder(loc.folder, readonly=True)
            if int(selected[b"UIDVALIDITY"]) != loc.uidvalidity:
                continue
            raw = self.client.fetch([loc.uid], [b"BODY.PEEK[]"]).get(loc.uid, {}).get(b"BODY[]")
            if isinstance(raw, bytes):
                self.store.save_raw(message_id, raw)
                return raw
        return None
