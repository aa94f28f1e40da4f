"""Team state through the mailbox: ship local events, take in teammates' events, compact.

`TeamSync` is blocking code for a sync thread. It works on a connection it is
given (`exchange`, called by every sync round) or on its own (`watch`: a second
connection that IDLEs on the events folder, so a teammate's change shows up
within about a second while the main connection IDLEs on INBOX). Teammates'
events leave through callbacks as plain `Event`s; whoever owns the inbox
applies them on its own thread with :func:`apply_remote`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from shared_inbox.config.model import DEFAULT_EVENTS_FOLDER
from shared_inbox.config.team_key import resolve_team_keys
from shared_inbox.domain.events import Event
from shared_inbox.domain.presence import PresenceNote
from shared_inbox.imap.idle import IDLE_RENEW_SECONDS, wait_for_change
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.presence import PresenceOutbox
from shared_inbox.services.reconnect import keep_connected
from shared_inbox.services.session import Session
from shared_inbox.services.team_states import TEAM_OFF, TEAM_ON
from shared_inbox.store import Store
from shared_inbox.team.compactor import CompactReport, compact_folder
from shared_inbox.team.encoding import BATCH_EVENTS, encode_batch
from shared_inbox.team.envelope import Envelope
from shared_inbox.team.folder import EventsFolder, Ignored
from shared_inbox.team.presence import PresenceError, encode_presence, note_from
from shared_inbox.team.shipping import FetchCursor, IgnoredMessage, IgnoredReport, ShipQueue
from shared_inbox.team.signing import MAX_CLOCK_AHEAD, NO_KEY, TeamKeys, new_key, split_by_clock
from shared_inbox.wallclock import Now, utc_now

log = logging.getLogger(__name__)

COMPACT_AT_MESSAGES = 1000  # compact automatically once the folder holds this many messages
IDLE_WAIT = 20 * 60.0
POLL_WAIT = 2.0  # without IDLE


@dataclass
class Exchange:
    """One round with the server: how many events went up, which came down."""

    shipped: int = 0
    fetched: list[Event] = field(default_factory=list)
    presence: list[PresenceNote] = field(default_factory=list)  # teammates' notes read this round
    compacted: CompactReport | None = None


@dataclass
class Staked:
    """An event put up in a message of its own, and what the folder held when it was read after it.

    ``seen`` has every event read, with the UID of its message (None for a snapshot, whose
    events keep no order); ``known`` is what the caller knew before the event went up.
    """

    uid: int | None  # None: the server did not say where the message landed
    known: list[Event] = field(default_factory=list)
    seen: list[tuple[int | None, Event]] = field(default_factory=list)
    fetched: list[Event] = field(default_factory=list)  # new to the store: apply with apply_remote


@dataclass(frozen=True)
class TeamStatus:
    folder: str
    backlog: int  # local log entries past the shipped cursor (at most this many to ship)
    last_uid: int | None
    signed: bool = False  # False: team state is unauthenticated (no team key)
    ignored: IgnoredReport = field(default_factory=lambda: IgnoredReport(0, []))
    sharing_off: str | None = None  # why the last exchange failed; None when it worked
    connections: int = 2  # IMAP connections this agent holds while syncing ([imap] connections)


class _SharingState:
    """Turns the reconnect loop's states into the team's own, and says when sharing works again."""

    def __init__(self, on_state: Callable[[str, str], None]) -> None:
        self._on_state = on_state
        self._off = False

    def report(self, state: str, detail: str) -> None:
        if state in ("offline", "auth-failed"):
            self._off = True
            self._on_state(TEAM_OFF, f"team sharing off: {detail}")

    def exchanged(self) -> None:
        if self._off:
            self._off = False
            self._on_state(TEAM_ON, "team sharing on")


class _StopOrWake(threading.Event):
    """Seen as set when either the owner stops us or a local change wants shipping now."""

    def __init__(self, stop: threading.Event, wake: threading.Event) -> None:
        super().__init__()
        self._stop, self._wake = stop, wake

    def is_set(self) -> bool:
        return self._stop.is_set() or self._wake.is_set()


class TeamSync:
    def __init__(
        self,
        store: Store,
        *,
        me: str,
        folder: str = DEFAULT_EVENTS_FOLDER,
        now: Now = utc_now,
        compact_at: int = COMPACT_AT_MESSAGES,
        keys: TeamKeys = NO_KEY,
        idle_renew: float = IDLE_RENEW_SECONDS,
        connections: int = 2,
    ) -> None:
        self.queue = ShipQueue(store)
        self.connections = connections
        self.idle_renew = idle_renew
        self.keys = keys  # signs what we write; decides what we read
        self.me = me
        self.folder_name = folder
        self.now = now
        self.compact_at = compact_at
        self._lock = threading.Lock()  # the sync round and the watcher may both exchange
        self._wake = threading.Event()
        self.presence = PresenceOutbox(me)
        # Called on the exchanging thread with teammates' presence notes as they are read.
        self.on_presence: Callable[[list[PresenceNote]], None] | None = None

    # -- one round -------------------------------------------------------------------

    def exchange(self, client: IMAPClient) -> Exchange:
        """Ship what is queued, read what is new, compact when the folder grew large.

        A refused command (no right to create or read the folder, ...) is remembered for
        `team status` and raised; a dropped connection is the mailbox's trouble, not the team's.
        """
        try:
            result = self._exchange(client)
        except IMAPClientError as exc:
            self.queue.record_sharing(f"the IMAP server refused the events folder {self.folder_name}: {exc}")
            raise
        self.queue.record_sharing(None)
        return result

    def _exchange(self, client: IMAPClient) -> Exchange:
        with self._lock:
            folder = EventsFolder.open(client, self.folder_name)
            result = Exchange(shipped=self._ship(folder))
            messages = self._fetch(folder, result)
            self._ship(folder)  # moves the cursor past what was just taken in
            self._ship_presence(folder)
            if messages - self.queue.ignored().total >= self.compact_at:
                result.compacted = self._compact(folder)
            return result

    def ship(self, client: IMAPClient) -> int:
        """Only ship (what `shared-inbox set` does right after a change)."""
        with self._lock:
            return self._ship(EventsFolder.open(client, self.folder_name))

    def compact(self, client: IMAPClient) -> Exchange:
        """Exchange, then compact regardless of size."""
        with self._lock:
            folder = EventsFolder.open(client, self.folder_name)
            result = Exchange(shipped=self._ship(folder))
            self._fetch(folder, result)
            self._ship(folder)
            result.compacted = self._compact(folder)
            return result

    def stake(self, client: IMAPClient, event: Event, known: Callable[[], list[Event]]) -> Staked:
        """Put `event` up in a message of its own and read the folder up to and past it.

        Local changes waiting to go are shipped first. `known` is called once nothing else
        can take events in (the exchange is locked), just before the append: what it returns
        was in the folder before `event`. The event joins the store as if read from there.
        """
        with self._lock:
            folder = EventsFolder.open(client, self.folder_name)
            self._ship(folder)
            staked = Staked(uid=None, known=known())
            staked.uid = folder.append_at(
                encode_batch([event], sender=self.me, now=self.now(), keys=self.keys)
            )
            result = Exchange()
            self._fetch(folder, result, seen=staked.seen)
            self._ship(folder)
            staked.fetched = result.fetched
            return staked

    def status(self) -> TeamStatus:
        cursor = self.queue.fetch_cursor()
        last_uid = cursor.last_uid if cursor else None
        backlog, ignored = self.queue.backlog(), self.queue.ignored()
        off = self.queue.sharing_off()
        return TeamStatus(
            self.folder_name,
            backlog,
            last_uid,
            self.keys.signed,
            ignored,
            off and clean_line(off),
            self.connections,
        )

    def _compact(self, folder: EventsFolder) -> CompactReport:
        """Compaction reads the whole folder, so what it ignored replaces the list of ignored messages."""
        ours = self.queue.known_events
        report = compact_folder(folder, sender=self.me, now=self.now(), keys=self.keys, ours=ours)
        validity = folder.status().uidvalidity
        self.queue.record_ignored(validity, [_named(entry) for entry in report.ignored], complete=True)
        return report

    def _ship(self, folder: EventsFolder) -> int:
        pending = self.queue.pending()
        events = pending.events
        for start in range(0, len(events), BATCH_EVENTS):
            chunk = events[start : start + BATCH_EVENTS]
            events_only = [event for event, _ in chunk]
            folder.append(encode_batch(events_only, sender=self.me, now=self.now(), keys=self.keys))
            self.queue.mark_shipped(chunk[-1][1], (event for event, _ in chunk))
        self.queue.mark_shipped(pending.end)
        return len(events)

    def _fetch(
        self, folder: EventsFolder, result: Exchange, seen: list[tuple[int | None, Event]] | None = None
    ) -> int:
        """Take in new batches; returns how many messages the folder holds.

        `seen` collects every event read with its message's UID (None for a snapshot).
        """
        status = folder.status()
        cursor = self.queue.fetch_cursor()
        if cursor is not None and cursor.uidvalidity != status.uidvalidity:
            log.info("events folder was recreated (UIDVALIDITY changed); reading it again")
            cursor = None
        if cursor is not None and cursor.keys != self.keys.fingerprint:
            log.info("the team key changed; reading the events folder again")  # what it ignored may count now
            cursor = None
        last_uid = cursor.last_uid if cursor else 0
        if status.messages == 0 or status.uidnext <= last_uid + 1:
            return status.messages
        read = folder.read_after(last_uid, keys=self.keys)
        ignored = [_named(entry) for entry in read.ignored]
        for uid, batch in read.batches:
            events, refused = split_by_clock(batch.events, self.now())
            if seen is not None:
                seen.extend((None if batch.snapshot else uid, event) for event in events)
            if refused:
                log.warning("%d event(s) in message %d refused: clock ahead", len(refused), uid)
                ignored.append(IgnoredMessage(uid, _clock_ahead(len(refused), "event(s)")))
            result.fetched.extend(self.queue.ingest(events))
        ignored += self._take_presence(read.presence, result)
        # Ignored messages named earlier may be gone (adopted by a compaction, or removed by hand).
        gone = folder.missing([entry.uid for entry in self.queue.ignored().named]) if last_uid else set()
        self.queue.record_ignored(read.uidvalidity, ignored, complete=last_uid == 0, gone=gone)
        # Every existing UID below the UIDNEXT seen first was read now: never look below it again.
        same_folder = read.uidvalidity == status.uidvalidity
        high = max(read.high_uid, status.uidnext - 1) if same_folder else read.high_uid
        self.queue.save_fetch_cursor(FetchCursor(read.uidvalidity, high, self.keys.fingerprint))
        return status.messages

    # -- presence (never in the event log) ------------------------------------------

    def _take_presence(self, messages: list[tuple[int, Envelope]], result: Exchange) -> list[IgnoredMessage]:
        """Teammates' notes to `result`, ours remembered; returns notes refused for a clock ahead."""
        refused: list[IgnoredMessage] = []
        limit = self.now() + MAX_CLOCK_AHEAD
        for uid, envelope in messages:
            try:
                note = note_from(envelope)
            except PresenceError as exc:
                log.debug("events folder: presence message %d ignored: %s", uid, exc)
                continue
            if note.sent_at > limit:
                log.warning("events folder: presence message %d refused: clock ahead", uid)
                refused.append(IgnoredMessage(uid, _clock_ahead(1, "presence note"), envelope.sender))
                continue
            if note.agent == self.me:
                self.presence.seen_own(uid, note)
            else:
                result.presence.append(note)
        if result.presence and self.on_presence is not None:
            self.on_presence(result.presence)
        return refused

    def _ship_presence(self, folder: EventsFolder) -> None:
        """Append this agent's presence when it changed or is due a refresh; delete our superseded notes."""
        now = self.now()
        note = self.presence.take(now)
        if note is not None:
            folder.append(encode_presence(note, self.keys))
        stale = self.presence.stale_own(now)
        if stale:
            folder.client.select_folder(folder.name, readonly=False)
            folder.delete(stale)
            self.presence.deleted(stale)

    # -- the watcher ---------------------------------------------------------------

    def nudge(self) -> None:
        """A local change was recorded: ship it soon instead of at the next sync round."""
        self._wake.set()

    @property
    def wakeup(self) -> threading.Event:
        """Set by nudge(); whoever exchanges on the watching connection clears it first."""
        return self._wake

    def watch(
        self,
        connect: Callable[[], IMAPClient],
        stop: threading.Event,
        on_events: Callable[[list[Event]], None],
        on_state: Callable[[str, str], None] = lambda state, detail: None,
        describe: Callable[[BaseException], str] | None = None,
    ) -> None:
        """Keep a connection idling on the events folder until `stop`; reconnects with backoff.

        A failed login ends the watcher: retrying would only lock the account. `describe`
        words a dropped connection (the sync service knows the server's name). States are
        the team's own (TEAM_OFF with why, TEAM_ON once it works again), so a folder the
        server refuses never makes the mailbox look offline.
        """
        wait_flag = _StopOrWake(stop, self._wake)
        sharing = _SharingState(on_state)

        def use(client: IMAPClient, healthy: Callable[[], None]) -> None:
            self._watch_connected(client, stop, wait_flag, on_events, healthy, sharing.exchanged)

        keep_connected(connect, use, stop, sharing.report, describe or _dropped)

    def _watch_connected(
        self,
        client: IMAPClient,
        stop: threading.Event,
        wait_flag: threading.Event,
        on_events: Callable[[list[Event]], None],
        healthy: Callable[[], None] = lambda: None,
        exchanged: Callable[[], None] = lambda: None,
    ) -> None:
        """`healthy` (the backoff starts over) only after an exchange and a wait went through."""
        idle_ok = client.has_capability("IDLE")
        while not stop.is_set():
            self._wake.clear()
            result = self.exchange(client)
            exchanged()
            if result.fetched:
                on_events(result.fetched)
            if stop.is_set():
                return
            if not idle_ok:
                _sleep_until(wait_flag, POLL_WAIT)
                healthy()
                continue
            cursor = self.queue.fetch_cursor()
            since = (cursor.last_uid + 1, None) if cursor else None
            name = EventsFolder.open(client, self.folder_name).name
            wait_for_change(client, name, IDLE_WAIT, wait_flag, since=since, renew=self.idle_renew)
            healthy()  # an exchange and a wait went through: the next drop starts the backoff over


def _dropped(exc: BaseException) -> str:
    return "the connection to the IMAP server was lost."


def _named(entry: Ignored) -> IgnoredMessage:
    return IgnoredMessage(entry.uid, entry.reason, entry.sender, entry.subject)


def _clock_ahead(count: int, what: str) -> str:
    minutes = int(MAX_CLOCK_AHEAD.total_seconds() // 60)
    return f"{count} {what} refused: clock more than {minutes} minutes ahead"


def _sleep_until(flag: threading.Event, seconds: float) -> None:
    """Sleep in short slices until `flag` reads as set (its is_set may be overridden)."""
    deadline = threading.Event()
    slices = max(1, int(seconds / 0.1))
    for _ in range(slices):
        if flag.is_set():
            return
        deadline.wait(0.1)


@dataclass(frozen=True)
class RemoteChanges:
    """What teammates' events changed, for screens to refresh and badge."""

    events: list[Event]
    conversation_ids: frozenset[str]  # conversations whose state the events touched
    authors: frozenset[str]  # who made the changes


def apply_remote(inbox: Inbox, commands: Commands, events: list[Event]) -> RemoteChanges:
    """Teammates' events into the inbox, on the thread that owns it.

    The command clock observes each event, so a local change made after seeing a
    teammate's change orders after it even when the local wall clock is behind.
    """
    now = commands.now()
    for event in events:
        commands.clock.observe(event.clock, now)
    add_many = getattr(inbox, "add_events", None)
    if callable(add_many) and len(events) > 1:
        add_many(events)  # one rebuild per conversation instead of one per event
    else:
        for event in events:
            inbox.add_event(event)
    touched = {inbox.index.conversation_of(event.anchor) for event in events}
    return RemoteChanges(
        events=list(events),
        conversation_ids=frozenset(conv_id for conv_id in touched if conv_id is not None),
        authors=frozenset(event.author for event in events),
    )


def team_sync_for(session: Session, env: Mapping[str, str] | None = None) -> TeamSync:
    """The session's team exchange, as configured; raises PasswordError when the team key cannot be had."""
    team = session.config.team
    current, previous = resolve_team_keys(team, os.environ if env is None else env)
    keys = TeamKeys.from_text(current, previous)
    imap = session.config.imap
    return TeamSync(
        session.store,
        me=team.me,
        folder=team.events_folder,
        keys=keys,
        idle_renew=imap.idle_renew,
        connections=imap.connections if imap.idle else 1,  # polling: the team rides along
    )


def new_team_key() -> str:
    """A fresh random team key for `[team] key_command` and friends."""
    return new_key()
