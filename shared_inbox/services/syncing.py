"""Running a sync: once, or continuously with IDLE and reconnect-with-backoff.

This is blocking code meant for a thread (the CLI's main thread, or a Textual
thread worker). Results leave through callbacks; nothing here touches a UI.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from shared_inbox.domain.events import Event
from shared_inbox.imap.connection import Endpoint, close_quietly, connect_imap, imap_failure, take_alerts
from shared_inbox.imap.idle import IDLE_RENEW_SECONDS, LAZY_IDLE_POLL_SECONDS, lazy_idle, wait_for_change
from shared_inbox.imap.special_use import discover as special_folders
from shared_inbox.imap.sync import FolderReport, FolderSync, Progress
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.net.folder_names import server_name
from shared_inbox.services.flags import PendingFlags
from shared_inbox.services.one_connection import (
    TEAM_EVERY,
    SharingStates,
    StopOrNudge,
    idle_wait,
    shares_connection,
)
from shared_inbox.services.reconnect import keep_connected
from shared_inbox.store import Store

log = logging.getLogger(__name__)

OTHER_FOLDERS_EVERY = 300.0  # seconds between checks of folders we do not IDLE on


@dataclass(frozen=True)
class SyncPlan:
    """Which folders to mirror and how; derived once from the config."""

    endpoint: Endpoint
    inbox: str
    folders: tuple[str, ...]  # INBOX first, then configured folders, then Sent
    sent_folder: str
    our_addresses: frozenset[str]
    batch_size: int = 500
    fetch_bodies: bool = True
    idle: bool = True
    idle_renew: float = IDLE_RENEW_SECONDS
    idle_poll: float | None = None  # None: only on servers whose IDLE is lazy; 0: never
    since_days: int | None = None  # the working set: mirror only this many recent days
    find_sent: bool = False  # look the Sent folder up by its special-use flag on the first connection
    connections: int = 2  # 1: the team exchange shares the INBOX connection (services/one_connection.py)
    team_every: float = TEAM_EVERY  # with one connection: seconds between team exchanges at most

    def with_sent_folder(self, found: str | None) -> SyncPlan:
        """This plan with the Sent folder the server flags (the fallback name when it flags none)."""
        if found is None or found == self.sent_folder:
            return replace(self, find_sent=False)
        folders = tuple(f for f in self.folders if f != self.sent_folder)
        if found not in folders:
            folders += (found,)
        return replace(self, folders=folders, sent_folder=found, find_sent=False)


class TeamExchanged(Protocol):
    @property
    def fetched(self) -> list[Event]: ...


class TeamExchange(Protocol):
    """Team events through the mailbox (services/team.py TeamSync); optional for a sync."""

    def exchange(self, client: IMAPClient) -> TeamExchanged: ...

    @property
    def wakeup(self) -> threading.Event:
        """Set when a local change wants shipping now; cleared by whoever exchanges next."""
        ...

    def watch(
        self,
        connect: Callable[[], IMAPClient],
        stop: threading.Event,
        on_events: Callable[[list[Event]], None],
        on_state: Callable[[str, str], None],
        describe: Callable[[BaseException], str] | None = None,
    ) -> None: ...


@dataclass
class SyncRound:
    reports: list[FolderReport] = field(default_factory=list)
    bodies: int = 0
    pushed_flags: int = 0
    team_events: list[Event] = field(default_factory=list)  # teammates' events, stored, not yet applied
    alerts: list[str] = field(default_factory=list)  # the server's [ALERT]s, for the user to see
    team_error: str | None = None  # why the team exchange failed; None when it worked or did not run

    @property
    def new_ids(self) -> list[str]:
        return [mid for r in self.reports for mid in r.new_ids]

    @property
    def flagged_ids(self) -> list[str]:
        """Known messages whose flags the server changed (read elsewhere, answered, flagged)."""
        return [mid for r in self.reports for mid in r.flagged_ids]

    @property
    def changed(self) -> bool:
        return (
            any(not r.unchanged for r in self.reports)
            or self.pushed_flags > 0
            or bool(self.team_events)
            or bool(self.alerts)
        )


class BackgroundLoops:
    """Counts the sync loops running in threads, so the store is not closed under their writes."""

    def __init__(self) -> None:
        self._running = 0
        self._changed = threading.Condition()

    @contextmanager
    def running(self) -> Iterator[None]:
        with self._changed:
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        """Whether every loop ended within `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._running == 0, timeout)


class SyncService:
    def __init__(
        self,
        plan: SyncPlan,
        store: Store,
        progress: Progress | None = None,
        *,
        team: TeamExchange | None = None,
        loops: BackgroundLoops | None = None,
    ) -> None:
        self.plan = plan
        self.loops = loops or BackgroundLoops()
        self.store = store
        self.progress = progress
        self.pending = PendingFlags(store)
        self.team = team
        self._deliver = threading.Lock()  # the team watcher reports from its own thread

    def connect(self) -> IMAPClient:
        client = connect_imap(self.plan.endpoint)
        if self.plan.find_sent:
            try:
                found = special_folders(client).sent
            except (OSError, EOFError, IMAPClientAbortError) as exc:
                close_quietly(client)
                raise imap_failure(self.plan.endpoint, exc, "while listing folders") from None
            self.plan = self.plan.with_sent_folder(found)
        return client

    def folder_sync(self, client: IMAPClient) -> FolderSync:
        """The sync engine for this plan on an open connection (rounds and body fetches share it)."""
        return FolderSync(
            client,
            self.store,
            our_addresses=self.plan.our_addresses,
            sent_folder=server_name(client, self.plan.sent_folder),
            batch_size=self.plan.batch_size,
            progress=self.progress,
            since_days=self.plan.since_days,
        )

    def run_round(self, client: IMAPClient, folders: Sequence[str] | None = None) -> SyncRound:
        """Push local flag changes, then pull headers (all folders), then bodies."""
        engine = self.folder_sync(client)
        try:
            result = SyncRound()
            pending = self.pending.load()
            if pending:
                unplaced = engine.push_flags(pending)
                for change in unplaced:
                    log.warning("flag change for %s dropped: the message is not on the server", change[0])
                self.pending.clear(pending)
                result.pushed_flags = len(pending)
            names = list(dict.fromkeys(server_name(client, name) for name in folders or self.plan.folders))
            existing = self._existing_folders(client)
            for name in names:
                if existing is not None and name not in existing:
                    log.warning("folder %s does not exist on the server; skipped", name)
                    continue
                result.reports.append(engine.sync_folder(name))
            engine.close()  # the header-parsing helper is not needed for bodies
            if self.plan.fetch_bodies:
                for name in names:
                    if existing is None or name in existing:
                        result.bodies += engine.fetch_bodies(name)
            if self.team is not None:
                result.team_events, result.team_error = _team_events(self.team, client)
            result.alerts = take_alerts(client)
            return result
        finally:
            engine.close()

    def _existing_folders(self, client: IMAPClient) -> set[str] | None:
        try:
            return {name for _, _, name in client.list_folders()}
        except IMAPClientError:
            return None

    def sync_once(self) -> SyncRound:
        client = self.connect()
        try:
            return self._guarded(lambda: self.run_round(client))
        finally:
            close_quietly(client)

    def _guarded(self, action: Callable[[], SyncRound]) -> SyncRound:
        try:
            return action()
        except (OSError, EOFError, IMAPClientError) as exc:
            raise imap_failure(self.plan.endpoint, exc, "while syncing") from None

    def watch(
        self,
        stop: threading.Event,
        on_round: Callable[[SyncRound], None],
        on_state: Callable[[str, str], None] = lambda state, detail: None,
    ) -> None:
        """Sync, then IDLE on the inbox, until `stop` is set. Reconnects with backoff.

        on_state receives ("connected" | "idle" | "syncing" | "offline" | "auth-failed", detail).
        An authentication failure stops the loop: retrying would only lock the account.
        """
        on_round = self._serialized(on_round)
        with self.loops.running():
            team_stop = threading.Event()  # ends with this loop, whatever ended it
            team_thread = self._start_team_watch(team_stop, on_round, on_state)
            try:
                self._watch(stop, on_round, on_state)
            finally:
                team_stop.set()
                if team_thread is not None:
                    team_thread.join()

    def _serialized(self, on_round: Callable[[SyncRound], None]) -> Callable[[SyncRound], None]:
        def deliver(result: SyncRound) -> None:
            with self._deliver:
                on_round(result)

        return deliver

    def _start_team_watch(
        self,
        stop: threading.Event,
        on_round: Callable[[SyncRound], None],
        on_state: Callable[[str, str], None],
    ) -> threading.Thread | None:
        """A second connection idles on the events folder: teammates' changes arrive within a second."""
        team = self.team
        if team is None or not self.plan.idle or shares_connection(self.plan.connections, team):
            return None

        def run() -> None:
            team.watch(
                self.connect,
                stop,
                lambda events: on_round(SyncRound(team_events=events)),
                on_state,
                lambda exc: str(imap_failure(self.plan.endpoint, exc, "while watching team events")),
            )

        thread = threading.Thread(target=run, name="team-events", daemon=True)
        thread.start()
        return thread

    def _watch(
        self,
        stop: threading.Event,
        on_round: Callable[[SyncRound], None],
        on_state: Callable[[str, str], None],
    ) -> None:
        def use(client: IMAPClient, healthy: Callable[[], None]) -> None:
            self._watch_connected(client, stop, on_round, on_state, healthy)

        keep_connected(self.connect, use, stop, on_state, self._describe, announce=self.plan.endpoint.host)

    def _round_sharing(
        self, client: IMAPClient, folders: Sequence[str] | None, sharing: SharingStates | None
    ) -> SyncRound:
        """A round; with one connection its team exchange also says whether sharing works."""
        result = self.run_round(client, folders)
        if sharing is not None:
            sharing.after(result.team_error)
        return result

    def _idle_poll(self, client: IMAPClient) -> float:
        return _idle_poll_for(self.plan, client)

    def _describe(self, exc: BaseException) -> str:
        return str(imap_failure(self.plan.endpoint, exc, "while syncing"))

    def _watch_connected(
        self,
        client: IMAPClient,
        stop: threading.Event,
        on_round: Callable[[SyncRound], None],
        on_state: Callable[[str, str], None],
        healthy: Callable[[], None] = lambda: None,
    ) -> None:
        team = self.team if shares_connection(self.plan.connections, self.team) else None
        woken = stop if team is None else StopOrNudge(stop, team.wakeup)
        sharing = SharingStates(on_state)
        on_state("syncing", "full")
        if team is not None:
            team.wakeup.clear()  # the round's exchange ships what is queued
        on_round(self._round_sharing(client, None, sharing if team is not None else None))
        last_full = time.monotonic()
        idle_ok = self.plan.idle and client.has_capability("IDLE")
        poll = self._idle_poll(client)
        announce = True  # "idle" once per wait after a round, not at every renewal or poll
        while not stop.is_set():
            if idle_ok:
                if announce:
                    on_state("idle", self.plan.inbox)
                wait = max(1.0, OTHER_FOLDERS_EVERY - (time.monotonic() - last_full))
                state = self.store.folder_state(self.plan.inbox)
                since = (state.uidnext, state.highestmodseq) if state else None
                # A fallback poll ends the wait early: the next wait's SELECT sees what IDLE did not report.
                wait = idle_wait(
                    min(wait, poll) if poll else wait, None if team is None else self.plan.team_every
                )
                renew = self.plan.idle_renew
                changed = wait_for_change(client, self.plan.inbox, wait, woken, since=since, renew=renew)
            else:
                on_state("connected", "polling")
                stop.wait(30.0)
                changed = True
            healthy()  # a round and a wait went through: the next drop starts the backoff over
            if stop.is_set():
                return
            full = time.monotonic() - last_full >= OTHER_FOLDERS_EVERY or self.pending.load()
            folders = None if full else [self.plan.inbox]
            announce = bool(changed or full)
            if team is not None:
                team.wakeup.clear()  # the exchange below (or the round's) ships what is queued
            if team is not None and not announce:
                events, error = _team_events(team, client)
                sharing.after(error)
                if events:
                    on_round(SyncRound(team_events=events))
            elif changed or full:
                on_state("syncing", "full" if full else self.plan.inbox)
                on_round(self._round_sharing(client, folders, sharing if team is not None else None))
                if full:
                    last_full = time.monotonic()


def _idle_poll_for(plan: SyncPlan, client: IMAPClient) -> float:
    """Seconds between checks while idling (0: none): configured, else short where IDLE is lazy."""
    if plan.idle_poll is not None:
        return plan.idle_poll
    return LAZY_IDLE_POLL_SECONDS if lazy_idle(client) else 0


def _team_events(team: TeamExchange, client: IMAPClient) -> tuple[list[Event], str | None]:
    """The round's team exchange and why it failed (None: it worked); a failure leaves the mail sync alone."""
    try:
        return list(team.exchange(client).fetched), None
    except IMAPClientError as exc:
        log.warning("team events could not be exchanged: %s", exc)
        return [], clean_line(f"the IMAP server refused the team events folder: {exc}")
