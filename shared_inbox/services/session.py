"""Wiring: from a validated Config to an open store, inbox, commands and sync."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType

from shared_inbox.config import Config
from shared_inbox.imap.settings import imap_endpoint
from shared_inbox.imap.sync import Progress
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.syncing import BackgroundLoops, SyncPlan, SyncService
from shared_inbox.store import Store, StoreError
from shared_inbox.wallclock import Now, utc_now


def sync_plan(config: Config, env: Mapping[str, str] | None = None, *, fetch_bodies: bool = True) -> SyncPlan:
    imap = config.imap
    folders = ["INBOX"] + [f for f in imap.folders if f != "INBOX"]
    if imap.sent_folder and imap.sent_folder not in folders:
        folders.append(imap.sent_folder)
    return SyncPlan(
        endpoint=imap_endpoint(config, env),
        inbox="INBOX",
        folders=tuple(folders),
        sent_folder=imap.sent_folder,
        our_addresses=config.our_addresses,
        batch_size=imap.batch_size,
        fetch_bodies=fetch_bodies,
        idle=imap.idle,
        idle_renew=imap.idle_renew,
        idle_poll=imap.idle_poll,
        find_sent="sent" not in imap.special_folders,
        since_days=imap.sync_since_days,
        connections=imap.connections,
    )


# A loop asked to stop ends within about a second (IDLE listens in one-second slices);
# a server that stopped answering is given up on after this long, and the store closes anyway.
CLOSE_WAIT_SECONDS = 10.0


class SessionUnavailable(StoreError):
    """The local store cannot be opened (in use, damaged, written by a newer version); one sentence why."""


@dataclass
class Session:
    """Everything a front end needs, opened once; close() releases the store lock."""

    config: Config
    store: Store
    inbox: Inbox
    commands: Commands
    loops: BackgroundLoops = field(default_factory=lambda: BackgroundLoops())

    def sync_service(self, progress: Progress | None = None, *, fetch_bodies: bool = True) -> SyncService:
        plan = sync_plan(self.config, fetch_bodies=fetch_bodies)
        return SyncService(plan, self.store, progress, loops=self.loops)

    def close(self) -> None:
        """Let running sync loops (told to stop by their owner) finish their writes, then close."""
        self.loops.wait_until_idle(CLOSE_WAIT_SECONDS)
        if not self.store.closed:
            self.inbox.keep_state()  # for a quick next open
        self.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_session(config: Config, *, now: Now = utc_now) -> Session:
    """Open the store and load the inbox; raises SessionUnavailable when the store cannot be used."""
    with _gc_paused():
        try:
            store = Store.open(config.store.path)
        except StoreError as exc:
            raise SessionUnavailable(str(exc)) from exc
        try:
            inbox, commands = _load_inbox(config, store, now)
        except BaseException as exc:
            store.close()
            if isinstance(exc, StoreError):
                raise SessionUnavailable(str(exc)) from exc
            raise
        # The loaded mailbox is long-lived: keep the cyclic garbage collector from walking it
        # again and again (its full passes showed up as 100 ms stalls). Frozen before the
        # collector is turned back on, or its first pass would walk all of it once more.
        gc.freeze()
    return Session(config=config, store=store, inbox=inbox, commands=commands)


def _load_inbox(config: Config, store: Store, now: Now) -> tuple[Inbox, Commands]:
    inbox = Inbox(
        store,
        our_addresses=config.our_addresses,
        me=config.team.me,
        subject_merge=config.threading.subject_merge,
        subject_merge_window=timedelta(days=config.threading.subject_merge_window_days),
        reply_subjects=config.threading.reply_subjects,
        reply_window=timedelta(days=config.threading.reply_window_days),
        bulk_starts_clocks=config.threading.bulk_starts_clocks,
    ).load()
    return inbox, Commands(inbox, author=config.team.me, now=now)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading a large mailbox allocates millions of long-lived, acyclic objects; cyclic GC
    passes over them while they are being built tripled the time to open it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
